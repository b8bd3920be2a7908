#include "domain/resource_access.h"

namespace connect_auth::domain {

Result<Principal> authenticate_bearer(std::string_view token, const AuthView& view,
                                      const V3TokenCodec& codec, std::int64_t now) {
  if (!view.signing_keys) return make_error(ErrorCode::kInvalidToken, "token is not accepted");
  auto claims = codec.verify(token, *view.signing_keys, now);
  if (!claims) return std::move(claims).error();
  const KeyEntry* key = view.find_key(claims->api_id);
  if (key == nullptr || key->generation != claims->generation) {
    return make_error(ErrorCode::kInvalidToken, "token has been revoked");
  }
  const UserEntry* owner = view.find_user(key->user_id);
  if (owner == nullptr || owner->disabled) {
    return make_error(ErrorCode::kInvalidToken, "token has been revoked");
  }
  return Principal{std::move(claims->api_id), key};
}

std::vector<VisibleAccount> visible_accounts(const Principal& principal, const AuthView& view) {
  std::vector<VisibleAccount> result;
  const UserEntry* owner = view.find_user(principal.key->user_id);
  if (owner == nullptr) return result;
  result.reserve(principal.key->account_guids.size());
  for (const std::string& guid : principal.key->account_guids) {
    const AccountEntry* account = view.find_account(guid);
    // Data of an inactive account is never returned (wire-contract §1).
    if (account == nullptr || !account->active) continue;
    if (!owner->account_guids.contains(guid)) continue;
    result.push_back({guid, account});
  }
  return result;
}

}  // namespace connect_auth::domain
