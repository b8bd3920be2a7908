#include "domain/resource_access.h"

#include <algorithm>

namespace connect_auth::domain {
namespace {

Error revoked() { return make_error(ErrorCode::kInvalidToken, "token has been revoked"); }

Result<Principal> api_key_principal(const V3TokenClaims& claims, const AuthView& view) {
  const KeyEntry* key = view.find_key(claims.api_id);
  if (key == nullptr || key->generation != claims.generation) return revoked();
  const UserEntry* owner = view.find_user(key->user_id);
  if (owner == nullptr || owner->disabled) return revoked();
  Principal principal;
  principal.kind = Principal::Kind::kApiKey;
  principal.api_id = claims.api_id;
  principal.key = key;
  principal.user_id = key->user_id;
  principal.user = owner;
  return principal;
}

Result<Principal> user_principal(const V4TokenClaims& claims, const AuthView& view) {
  const UserEntry* user = view.find_user(claims.user_id);
  // Disabling a user or changing their password moves sessions_not_before past every token
  // issued so far; enabling the user again does not bring those back.
  if (user == nullptr || user->disabled || claims.issued_at < user->sessions_not_before) {
    return revoked();
  }
  Principal principal;
  principal.kind = Principal::Kind::kUser;
  principal.user_id = claims.user_id;
  principal.user = user;
  return principal;
}

}  // namespace

Result<VerifiedBearer> verify_bearer(std::string_view token, const AuthView& view,
                                     const BearerCodecs& codecs, std::int64_t now) {
  if (!view.signing_keys) return make_error(ErrorCode::kInvalidToken, "token is not accepted");
  // One signature check; the algorithm of the key found by kid says which claims apply.
  auto verified = tokens::verify_jws(token, *view.signing_keys);
  if (!verified) return std::move(verified).error();
  switch (verified->key->algorithm()) {
    case tokens::JwsAlgorithm::kHs256: {
      auto claims = codecs.v3.verify_claims(verified->payload_json, now);
      if (!claims) return std::move(claims).error();
      if (view.is_revoked(claims->jti)) return revoked();
      auto principal = api_key_principal(*claims, view);
      if (!principal) return std::move(principal).error();
      return VerifiedBearer{std::move(*principal),
                            BearerFacts{tokens::JwsAlgorithm::kHs256, std::move(claims->jti),
                                        claims->issued_at, claims->expires_at, {}}};
    }
    case tokens::JwsAlgorithm::kRs256: {
      if (codecs.v4 == nullptr) {
        return make_error(ErrorCode::kInvalidToken, "token algorithm is not accepted here");
      }
      auto claims = codecs.v4->verify_claims(verified->payload_json, now);
      if (!claims) return std::move(claims).error();
      if (view.is_revoked(claims->jti)) return revoked();
      auto principal = user_principal(*claims, view);
      if (!principal) return std::move(principal).error();
      return VerifiedBearer{
          std::move(*principal),
          BearerFacts{tokens::JwsAlgorithm::kRs256, std::move(claims->jti), claims->issued_at,
                      claims->expires_at, std::move(claims->scopes)}};
    }
  }
  return make_error(ErrorCode::kInvalidToken, "token algorithm is not accepted here");
}

Result<Principal> authenticate_bearer(std::string_view token, const AuthView& view,
                                      const BearerCodecs& codecs, std::int64_t now) {
  auto verified = verify_bearer(token, view, codecs, now);
  if (!verified) return std::move(verified).error();
  return std::move(verified->principal);
}

Result<Principal> authenticate_bearer(std::string_view token, const AuthView& view,
                                      const V3TokenCodec& codec, std::int64_t now) {
  return authenticate_bearer(token, view, BearerCodecs{codec, nullptr}, now);
}

std::vector<VisibleAccount> visible_accounts(const Principal& principal, const AuthView& view) {
  std::vector<VisibleAccount> result;
  const UserEntry* user = view.find_user(principal.user_id);
  if (user == nullptr) return result;
  const auto add_if_active = [&](const std::string& guid) {
    const AccountEntry* account = view.find_account(guid);
    // Data of an inactive account is never returned (wire-contract §1).
    if (account != nullptr && account->active) result.push_back({guid, account});
  };
  if (principal.kind == Principal::Kind::kApiKey) {
    result.reserve(principal.key->account_guids.size());
    for (const std::string& guid : principal.key->account_guids) {
      if (user->account_guids.contains(guid)) add_if_active(guid);  // the owner's role too
    }
    return result;  // key grants are stored sorted
  }
  result.reserve(user->account_guids.size());
  for (const std::string& guid : user->account_guids) add_if_active(guid);
  // The user's roles are a hash set: sort for a stable answer.
  std::sort(result.begin(), result.end(),
            [](const VisibleAccount& a, const VisibleAccount& b) { return a.guid < b.guid; });
  return result;
}

}  // namespace connect_auth::domain
