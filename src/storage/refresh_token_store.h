// Refresh tokens (wire-contract §3). Tokens are opaque random strings; only their keyed SHA-256
// is stored. A family is everything descended from one password login. The rotation rules are
// in refresh_rules.h; every backend applies them through mutations::redeem_refresh_token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "tokens/secret_hash.h"

namespace connect_auth::storage {

struct NewRefreshFamily {
  tokens::TokenHash token_hash{};  // the family's first token
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
  tokens::TokenHash presented{};
  tokens::TokenHash successor{};  // stored as the new token when the outcome issues one
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

struct RefreshTokenRow {
  std::int64_t family_id = 0;
  std::int64_t generation = 0;
  std::int64_t issued_at_ms = 0;
  bool retired = false;  // it was redeemed (kRotated) once
};

struct RefreshFamilyRow {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::int64_t current_generation = 1;
  std::int64_t rotated_at_ms = 0;  // when current_generation was reached
  std::int64_t absolute_expires_at_ms = 0;
  bool revoked = false;
};

// One refresh token, its family and owner, as read in one transaction.
struct RefreshTokenStatus {
  std::optional<RefreshTokenRow> token;
  std::optional<RefreshFamilyRow> family;
  bool user_disabled = false;
  std::string user_name;
  std::string scope;
};

// Every call is one transaction, durably committed before it returns (the 200 carrying a token
// is sent only after this). Times are unix milliseconds.
class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // Creates a family holding its first token (generation 1); returns the family id.
  // kStorageNotFound if the user does not exist.
  virtual Result<std::int64_t> create_refresh_family(const NewRefreshFamily& family) = 0;
  // The family lock: the decision and its writes happen under one exclusive lock of the family,
  // held from the read to the commit (never read-then-write), on every node at once. So N
  // concurrent redemptions of one token, through any number of store handles, yield exactly one
  // kRotated, and with grace 0 no other success.
  virtual Result<RedeemedRefresh> redeem_refresh_token(const RefreshRedemption& redemption) = 0;
  // Revokes the family holding this token (RFC 7009); kStorageNotFound if no such token.
  // Revoking a revoked family again succeeds and changes nothing.
  virtual Result<void> revoke_refresh_family_of(const tokens::TokenHash& token_hash,
                                                std::int64_t now_ms) = 0;
  // Reads one token, its family and owner without changing anything (introspection). A token
  // that does not exist yields an empty `token`, not an error.
  virtual Result<RefreshTokenStatus> inspect_refresh_token(const tokens::TokenHash& token_hash) = 0;
  // Deletes families revoked or absolutely expired before `before_ms`, and tokens idle-expired
  // before it (issued_at + idle_ms < before_ms), retired or not: a retired token is kept as long
  // as it could have been used unrotated, so a retry inside grace still works and a later
  // replay is still detected as reuse, however often this runs.
  virtual Result<void> prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) = 0;
};

}  // namespace connect_auth::storage
