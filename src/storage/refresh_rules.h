// The refresh-token rotation rules (wire-contract §3, bad-inputs §E), as one pure function every
// backend applies inside the transaction that holds the family's lock. Keeping the decision here
// means SQLite and PostgreSQL cannot drift apart, and the rules are unit-tested without a
// database.
//
// Model: a family has a current generation. Redeeming a current token advances the family one
// generation (kRotated). Within the grace period after that advance, a token of the previous
// generation is honoured once more per presentation with a sibling of the current generation
// (kReplayedInGrace): it absorbs a client's retry after a lost response and a burst of
// concurrent refreshes, all of which stay in the one family. Anything older, or the previous
// generation after the grace period, is treated as stolen: the family is revoked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "storage/records.h"

namespace connect_auth::storage {

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

// What introspection (RFC 7662) needs to know about one refresh token, read without changing
// anything: whether decide_refresh would accept it now, and whose it is.
struct RefreshTokenStatus {
  std::optional<RefreshTokenRow> token;
  std::optional<RefreshFamilyRow> family;
  bool user_disabled = false;
  std::string user_name;
  std::string scope;
};

// `token` and `family` as read under the family's lock; `user_disabled` from the same
// transaction. Only the outcome is decided here; the caller performs its writes:
//   kRotated: retire the token, advance current_generation (conditionally on its old value),
//             set rotated_at_ms = now, insert the successor at the new generation.
//   kReplayedInGrace: insert the successor at current_generation.
//   kReuseDetected, kUserDisabled: revoke the family.
inline RefreshOutcome decide_refresh(const std::optional<RefreshTokenRow>& token,
                                     const std::optional<RefreshFamilyRow>& family,
                                     bool user_disabled, std::int64_t now_ms,
                                     const RefreshPolicy& policy) {
  if (!token || !family) return RefreshOutcome::kUnknown;
  if (family->revoked) return RefreshOutcome::kRevoked;
  if (user_disabled) return RefreshOutcome::kUserDisabled;
  if (now_ms >= family->absolute_expires_at_ms) return RefreshOutcome::kExpired;
  if (token->generation == family->current_generation && !token->retired) {
    if (now_ms - token->issued_at_ms >= policy.idle_ms) return RefreshOutcome::kExpired;
    return RefreshOutcome::kRotated;
  }
  if (token->generation == family->current_generation - 1 && policy.grace_ms > 0 &&
      now_ms - family->rotated_at_ms < policy.grace_ms) {
    return RefreshOutcome::kReplayedInGrace;
  }
  return RefreshOutcome::kReuseDetected;
}

}  // namespace connect_auth::storage
