// Revocation (RFC 7009) and introspection (RFC 7662) of the tokens this server issues: v3 access
// tokens (HS256, an API key's), v4 access tokens (RS256, a user's, client = the first-party
// client) and refresh tokens (opaque, a user's, same client).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "domain/auth_cache.h"
#include "domain/client_auth.h"
#include "domain/resource_access.h"
#include "storage/store.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain {

// RFC 7662 §2.2 members; `active` false means nothing else may be told.
struct Introspection {
  bool active = false;
  std::string token_type;  // "Bearer" (an access token) or "refresh_token"
  std::string client_id;
  std::string sub;
  std::string username;  // user tokens only
  std::string scope;     // space-separated; empty: none
  std::string iss;
  std::string aud;  // v4 access tokens only
  std::string jti;  // access tokens only
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

struct TokenInspectionSettings {
  std::string first_party_client_id;
  storage::RefreshPolicy refresh_policy;  // grace and idle lifetime, as the refresh grant applies them
};

class TokenInspector {
 public:
  TokenInspector(storage::Store& store, AuthCache& cache, BearerCodecs codecs,
                 const tokens::SecretHasher& token_hasher, const Clock& clock,
                 TokenInspectionSettings settings);

  // RFC 7009 §2.1. A token that is unknown, malformed or no longer valid needs no revoking:
  // Ok. A token issued to another client: kUnauthorizedClient, nothing revoked. A refresh token
  // takes its whole family with it; an access token is refused by jti until it expires, by this
  // node from its very next request (the cache is refreshed before this returns), by the others
  // through the change feed. Store faults are errors (the caller must not report success).
  Result<void> revoke(std::string_view token, const AuthenticatedClient& client,
                      const AuthView& view);

  // RFC 7662 §2.2: active only if the token would be accepted right now (an access token by the
  // data endpoints, a refresh token by the refresh grant).
  Result<Introspection> introspect(std::string_view token, const AuthView& view);

 private:
  Result<Introspection> introspect_refresh_token(std::string_view token);

  storage::Store& store_;
  AuthCache& cache_;
  BearerCodecs codecs_;
  const tokens::SecretHasher& token_hasher_;
  const Clock& clock_;
  TokenInspectionSettings settings_;
};

}  // namespace connect_auth::domain
