// The v4 grants (wire-contract §3): user name + password → access token (and, with
// offline_access, a refresh token); refresh token → new access token and a rotated refresh token.
//
// These functions block (argon2, store round trips, durable commits): the HTTP layer runs them on
// a bounded worker pool, never on an event loop. Each call is independent and thread-safe.
//
// Error policy: every password failure (unknown user, wrong password, disabled user) is the same
// invalid_grant after the same work (unknown users are checked against a dummy hash), and is
// counted by the LoginThrottle; every refresh failure is one invalid_grant. A storage fault is
// always 503 (kStorageUnavailable), never invalid_grant: a client that hears invalid_grant throws
// its refresh token away, so a database outage must not say it (bad-inputs §E).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "domain/auth_view.h"
#include "domain/login_throttle.h"
#include "domain/password_hasher.h"
#include "domain/v4_tokens.h"
#include "storage/store.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain {

struct V4GrantSettings {
  // A retired refresh token presented again this soon after its rotation is honoured once more
  // (a client's retry after a lost response); later it revokes the family. 0–60 s.
  std::int64_t grace_period_seconds = 30;
  // A refresh token unused this long after it was issued expires.
  std::int64_t idle_lifetime_seconds = 7 * 86'400;
  // No token of a family is accepted this long after the password login that started it.
  std::int64_t absolute_lifetime_seconds = 90 * 86'400;
};

// Views into the caller's request, which owns (and wipes) the secrets; valid during the call.
struct PasswordGrantInput {
  std::string_view user_name;
  std::string_view password;
  bool offline_access = false;
  std::string_view source_address;  // the peer address, for throttling
};

struct RefreshGrantInput {
  std::string_view refresh_token;
  bool scope_present = false;   // the request named a scope
  bool offline_access = false;  // ... and it was offline_access
};

struct IssuedV4Tokens {
  std::string access_token;
  std::int64_t expires_in = 0;
  std::optional<std::string> refresh_token;
  std::string scope;  // the granted scope, "offline_access" exactly when a refresh token is issued
};

inline constexpr std::string_view kOfflineAccess = "offline_access";

class V4GrantService {
 public:
  V4GrantService(storage::Store& store, const V4TokenCodec& codec, const PasswordHasher& passwords,
                 const tokens::SecretHasher& token_hasher, LoginThrottle& throttle,
                 const Clock& clock, Random& random, V4GrantSettings settings);

  const V4GrantSettings& settings() const { return settings_; }

  // `view` supplies the RS256 signing key and the users' sessions_not_before.
  Result<IssuedV4Tokens> password_grant(const PasswordGrantInput& input, const AuthView& view);
  Result<IssuedV4Tokens> refresh_grant(const RefreshGrantInput& input, const AuthView& view);

 private:
  std::string mint(const tokens::JwsKey& key, std::int64_t user_id, std::string_view user_name,
                   bool offline_access, std::int64_t issued_at);

  storage::Store& store_;
  const V4TokenCodec& codec_;
  const PasswordHasher& passwords_;
  const tokens::SecretHasher& token_hasher_;
  LoginThrottle& throttle_;
  const Clock& clock_;
  Random& random_;
  V4GrantSettings settings_;
};

}  // namespace connect_auth::domain
