// Failed-login counters shared by every node (throttling, bad-inputs §F), keyed by opaque
// strings chosen by the caller. Batched so one attempt costs one round trip.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace connect_auth::storage {

struct FailureCount {
  std::int64_t count = 0;            // consecutive failures within the window
  std::int64_t last_failure_ms = 0;  // 0 when none
};

// Times are unix milliseconds. Results are in the order of `keys`.
class LoginFailureStore {
 public:
  virtual ~LoginFailureStore() = default;

  virtual Result<std::vector<FailureCount>> read_failures(std::span<const std::string> keys) = 0;
  // Adds one failure to each key, atomically per key on every node at once (no lost update); a
  // count whose last failure is window_ms or more before now_ms restarts at 1. A key named
  // twice counts twice. Returns the new counts.
  virtual Result<std::vector<FailureCount>> record_failures(std::span<const std::string> keys,
                                                            std::int64_t now_ms,
                                                            std::int64_t window_ms) = 0;
  virtual Result<void> clear_failures(std::span<const std::string> keys) = 0;
  virtual Result<void> prune_failures(std::int64_t last_failure_before_ms) = 0;
};

}  // namespace connect_auth::storage
