// The refresh-token rotation rules (wire-contract §3, bad-inputs §E), as pure functions every
// backend applies inside the transaction that holds the family's lock (through
// mutations::redeem_refresh_token). Keeping the decision and its write plan here means SQLite
// and PostgreSQL cannot drift apart, and the rules are unit-tested without a database.
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

#include "storage/refresh_token_store.h"

namespace connect_auth::storage {

// `token` and `family` as read under the family's lock; `user_disabled` from the same
// transaction. Only the outcome is decided here; plan_refresh_writes says what it writes.
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

// The rows one outcome changes:
//   kRotated: retire the presented token, advance the family from its current generation
//             (conditionally on that value) with rotated_at = now, insert the successor at
//             the new generation.
//   kReplayedInGrace: insert the successor at the current generation.
//   kReuseDetected, kUserDisabled: revoke the family.
//   anything else: nothing.
struct RefreshWritePlan {
  bool retire_presented = false;
  std::optional<std::int64_t> advance_from_generation;
  std::optional<std::int64_t> successor_generation;
  bool revoke_family = false;
};

inline RefreshWritePlan plan_refresh_writes(RefreshOutcome outcome,
                                            const std::optional<RefreshFamilyRow>& family) {
  RefreshWritePlan plan;
  switch (outcome) {
    case RefreshOutcome::kRotated:
      plan.retire_presented = true;
      plan.advance_from_generation = family->current_generation;
      plan.successor_generation = family->current_generation + 1;
      break;
    case RefreshOutcome::kReplayedInGrace:
      plan.successor_generation = family->current_generation;
      break;
    case RefreshOutcome::kReuseDetected:
    case RefreshOutcome::kUserDisabled: plan.revoke_family = true; break;
    case RefreshOutcome::kUnknown:
    case RefreshOutcome::kExpired:
    case RefreshOutcome::kRevoked: break;
  }
  return plan;
}

}  // namespace connect_auth::storage
