#include "domain/token_inspection.h"

#include "core/log.h"
#include "domain/refresh_token.h"
#include "storage/refresh_rules.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;

Error not_your_token() {
  return make_error(ErrorCode::kUnauthorizedClient, "the token was not issued to this client");
}

bool is_first_party(const AuthenticatedClient& client) {
  return client.kind == AuthenticatedClient::Kind::kFirstParty;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& scope : scopes) {
    if (!out.empty()) out.push_back(' ');
    out += scope;
  }
  return out;
}

}  // namespace

TokenInspector::TokenInspector(storage::Store& store, AuthCache& cache, BearerCodecs codecs,
                               const tokens::SecretHasher& token_hasher, const Clock& clock,
                               TokenInspectionSettings settings)
    : store_(store),
      cache_(cache),
      codecs_(codecs),
      token_hasher_(token_hasher),
      clock_(clock),
      settings_(std::move(settings)) {}

Result<void> TokenInspector::revoke(std::string_view token, const AuthenticatedClient& client,
                                    const AuthView& view) {
  if (is_refresh_token_shape(token)) {
    const tokens::TokenHash hash = hash_refresh_token(token_hasher_, token);
    // Every refresh token belongs to the first-party client; another client is told so only
    // for a token that exists (RFC 7009 §2.2: an invalid token is a quiet 200).
    if (!is_first_party(client)) {
      auto status = store_.inspect_refresh_token(hash);
      if (!status) return std::move(status).error();
      return status->token ? Result<void>(not_your_token()) : Result<void>(Ok{});
    }
    auto revoked = store_.revoke_refresh_family_of(hash, clock_.now_millis());
    if (!revoked && revoked.error().code != ErrorCode::kStorageNotFound) {
      return std::move(revoked).error();
    }
    if (revoked) log::info("refresh_family_revoked", {{"client_id", client.client_id}});
    return Ok{};
  }

  auto verified = verify_bearer(token, view, codecs_, clock_.now_seconds());
  if (!verified) return Ok{};  // not a token we would accept: nothing to revoke (§2.2)
  const BearerFacts& facts = verified->facts;
  std::int64_t leeway = 0;
  if (facts.algorithm == tokens::JwsAlgorithm::kHs256) {
    // A v3 token is its API key's.
    if (client.kind != AuthenticatedClient::Kind::kApiKey ||
        client.client_id != verified->principal.api_id) {
      return not_your_token();
    }
    leeway = codecs_.v3.settings().leeway_seconds;
  } else {
    if (!is_first_party(client) || codecs_.v4 == nullptr) return not_your_token();
    leeway = codecs_.v4->settings().leeway_seconds;
  }
  auto stored = store_.revoke_access_token({facts.jti, facts.expires_at + leeway});
  if (!stored) return std::move(stored).error();
  // This node refuses the token from its very next request, whatever the poll interval.
  if (auto refreshed = cache_.refresh(); !refreshed) return std::move(refreshed).error();
  log::info("access_token_revoked", {{"client_id", client.client_id}});
  return Ok{};
}

Result<Introspection> TokenInspector::introspect(std::string_view token, const AuthView& view) {
  if (is_refresh_token_shape(token)) return introspect_refresh_token(token);
  auto verified = verify_bearer(token, view, codecs_, clock_.now_seconds());
  if (!verified) return Introspection{};
  const Principal& principal = verified->principal;
  BearerFacts& facts = verified->facts;
  Introspection out;
  out.active = true;
  out.token_type = "Bearer";
  out.jti = std::move(facts.jti);
  out.iat = facts.issued_at;
  out.exp = facts.expires_at;
  if (facts.algorithm == tokens::JwsAlgorithm::kHs256) {
    out.client_id = principal.api_id;
    out.sub = principal.api_id;
    out.iss = codecs_.v3.settings().issuer;
  } else {
    out.client_id = codecs_.v4->settings().client_id;
    out.username = principal.user != nullptr ? principal.user->user_name : std::string();
    out.sub = out.username;
    out.scope = join_scopes(facts.scopes);
    out.iss = codecs_.v4->settings().issuer;
    out.aud = codecs_.v4->settings().audience;
  }
  return out;
}

Result<Introspection> TokenInspector::introspect_refresh_token(std::string_view token) {
  auto status = store_.inspect_refresh_token(hash_refresh_token(token_hasher_, token));
  if (!status) return std::move(status).error();
  const std::int64_t now_ms = clock_.now_millis();
  // Active means the refresh grant would rotate it now; a retired token inside its grace period
  // is only a retry allowance, not a live credential.
  if (storage::decide_refresh(status->token, status->family, status->user_disabled, now_ms,
                              settings_.refresh_policy) != storage::RefreshOutcome::kRotated) {
    return Introspection{};
  }
  Introspection out;
  out.active = true;
  out.token_type = "refresh_token";
  out.client_id = settings_.first_party_client_id;
  out.username = std::move(status->user_name);
  out.sub = out.username;
  out.scope = std::move(status->scope);
  out.iss = codecs_.v4 != nullptr ? codecs_.v4->settings().issuer : codecs_.v3.settings().issuer;
  out.iat = status->token->issued_at_ms / kMsPerSecond;
  const std::int64_t idle_end_ms = status->token->issued_at_ms + settings_.refresh_policy.idle_ms;
  out.exp = std::min(idle_end_ms, status->family->absolute_expires_at_ms) / kMsPerSecond;
  return out;
}

}  // namespace connect_auth::domain
