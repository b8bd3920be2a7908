// Lets GoogleTest print a RefreshOutcome by name instead of as a raw byte.
#pragma once

#include <ostream>

#include "storage/store.h"

namespace connect_auth::storage {

inline const char* refresh_outcome_name(RefreshOutcome outcome) {
  switch (outcome) {
    case RefreshOutcome::kRotated: return "kRotated";
    case RefreshOutcome::kReplayedInGrace: return "kReplayedInGrace";
    case RefreshOutcome::kUnknown: return "kUnknown";
    case RefreshOutcome::kExpired: return "kExpired";
    case RefreshOutcome::kRevoked: return "kRevoked";
    case RefreshOutcome::kReuseDetected: return "kReuseDetected";
    case RefreshOutcome::kUserDisabled: return "kUserDisabled";
  }
  return "(invalid)";
}

inline void PrintTo(RefreshOutcome outcome, std::ostream* os) {
  *os << refresh_outcome_name(outcome);
}

}  // namespace connect_auth::storage
