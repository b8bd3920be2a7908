// Plain records exchanged with the store. No behaviour, no SQL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace connect_auth::storage {

using SecretHash = std::array<std::uint8_t, 32>;  // keyed SHA-256 of an API secret

struct Account {
  std::string guid;  // UUID, lowercase, 36 chars
  std::string company_name;
  std::string country_code;  // ISO 3166-1 alpha-2, upper case
  bool active = true;
};

enum class Role : std::uint8_t { kAdministrator, kManager, kReporting };

struct User {
  std::int64_t id = 0;
  std::string user_name;
  std::string password_hash;  // argon2id encoded string (libsodium crypto_pwhash_str)
  bool disabled = false;
  // Access tokens issued (iat) before this unix second are refused. Set to now + 1 whenever the
  // user is disabled or their password changes, so enabling the user again revives no token.
  std::int64_t sessions_not_before = 0;
};

struct RoleGrant {
  std::int64_t user_id = 0;
  std::string account_guid;
  Role role = Role::kReporting;
};

struct ApiKey {
  std::string api_id;  // 25 chars [A-Z0-9]
  std::int64_t user_id = 0;
  SecretHash secret_hash{};
  // Incremented by every regeneration. Tokens carry it (in their jti) so a regenerated key's
  // old tokens are refused at once, not at expiry.
  std::int64_t generation = 1;
  std::vector<std::string> account_guids;  // sorted
  std::int64_t created_at = 0;             // unix seconds
  std::int64_t updated_at = 0;
  // May call the token introspection endpoint (RFC 7662). Off unless granted.
  bool may_introspect = false;
};

// Signing key material, encrypted at rest with a key derived from the master key.
// HS256: the raw 32-byte secret. RS256: the private key as PKCS#8 DER.
//
// Lifecycle (all times unix seconds): a key verifies (and RS256 keys are published in the JWKS)
// from insertion until retired_at; it may sign from activates_at on, which rotation sets a
// little in the future so every node publishes and verifies a key before any node signs with
// it. Among the keys of one algorithm that may sign, the one with the latest activates_at
// (then the greatest kid) signs. `active` false means it never signs again.
struct SigningKey {
  std::string kid;
  std::string algorithm;                      // "HS256" or "RS256"
  std::vector<std::uint8_t> sealed_material;  // nonce || ciphertext (libsodium secretbox)
  std::int64_t created_at = 0;
  bool active = true;
  std::optional<std::int64_t> retired_at;  // from then on it neither signs nor verifies
  std::int64_t activates_at = 0;
};

// --- refresh tokens (wire-contract §3). Tokens are opaque random strings; only their keyed
// SHA-256 is stored. A family is everything descended from one password login.
using TokenHash = std::array<std::uint8_t, 32>;

struct NewRefreshFamily {
  TokenHash token_hash{};  // the family's first token
  std::int64_t user_id = 0;
  std::string scope;  // as granted, lower case, e.g. "offline_access"
  std::int64_t now_ms = 0;
  std::int64_t absolute_expires_at_ms = 0;  // no token of the family is accepted after this
};

struct RefreshPolicy {
  std::int64_t grace_ms = 30'000;           // 0 disables replays
  std::int64_t idle_ms = 7LL * 86'400'000;  // a token unused this long after issue expires
};

struct RefreshRedemption {
  TokenHash presented{};
  TokenHash successor{};  // stored as the new token when the outcome issues one
  std::int64_t now_ms = 0;
  RefreshPolicy policy;
};

enum class RefreshOutcome : std::uint8_t {
  kRotated,          // presented was current: it is retired, successor is the new current
  kReplayedInGrace,  // presented was the previous generation, within grace: successor is a
                     // sibling of the current token (same generation), the family unchanged
  kUnknown,          // no such token
  kExpired,          // idle or absolute lifetime over
  kRevoked,          // the family was revoked before (logout, user disabled, earlier reuse)
  kReuseDetected,    // a retired token outside grace, or an older generation: the family is
                     // revoked by this very call
  kUserDisabled,     // the owner is disabled: the family is revoked by this call
};

struct RedeemedRefresh {
  RefreshOutcome outcome = RefreshOutcome::kUnknown;
  std::int64_t family_id = 0;
  std::int64_t user_id = 0;
  std::string user_name;
  std::string scope;
  std::int64_t generation = 0;  // of the successor when one was issued
};

// An access token revoked by its jti (RFC 7009); refused until it would have expired anyway.
struct RevokedAccessToken {
  std::string jti;
  // Unix seconds after which the token fails on its own: its exp plus the verification leeway.
  std::int64_t expires_at = 0;
};

// --- failed-login counters shared by every node (throttling, bad-inputs §F).
struct FailureCount {
  std::int64_t count = 0;            // consecutive failures within the window
  std::int64_t last_failure_ms = 0;  // 0 when none
};

// One entry of the change feed: something that caches must refresh. `kind` names the table,
// `ref` the row (api_id, account guid, user id as text, kid, or a revoked access token's jti).
enum class ChangeKind : std::uint8_t { kApiKey, kAccount, kUser, kSigningKey, kAccessToken };
struct Change {
  std::int64_t seq = 0;
  ChangeKind kind = ChangeKind::kApiKey;
  std::string ref;
};

// Everything the in-memory auth cache needs, read in one consistent snapshot.
struct AuthSnapshot {
  std::int64_t change_seq = 0;  // the feed position this snapshot includes
  std::vector<Account> accounts;
  std::vector<User> users;  // password_hash left empty: the cache never needs it
  std::vector<RoleGrant> grants;
  std::vector<ApiKey> api_keys;
  std::vector<RevokedAccessToken> revoked_access_tokens;  // not yet pruned (some may be expired)
};

}  // namespace connect_auth::storage
