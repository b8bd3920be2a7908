// Throttling of password attempts (bad-inputs §F), shared by every node through the store's
// failure counters, so moving between nodes gains an attacker nothing.
//
// Policy (LoginThrottlePolicy defaults). Each attempt is counted under three keys:
//   - the (user name, source address) pair: 5 free failures, then a wait of 1 s after the last
//     failure, doubling with each further failure, capped at 15 min. This stops one client
//     guessing one account.
//   - the source address: 20 free failures, then the same backoff. This stops one client trying
//     a password against many names. IPv6 sources count per /64, which one client usually holds.
//   - the user name, across all sources: 100 free failures (NIST SP 800-63B §5.2.2), then 1 s
//     doubling, capped at 60 s. A distributed attacker can slow a victim down, never lock them
//     out for good: the wait never exceeds a minute and the victim's success resets the count.
// Failures count while each follows the previous within the window (15 min); after a quiet
// window the count restarts. With the pair and source caps equal to the window, a block that
// reached the cap ends with the count lapsing: one client gets about 16 guesses per half hour. A
// blocked attempt is answered 429 with Retry-After = the remaining wait rounded up, before any
// password is checked, and is not counted, so hammering never extends a block. A success clears the
// user and pair counts but not the source's (logging in to one's own account must not reset an
// address that guesses others' passwords).
//
// check() and record_failure() are separate round trips, so attempts racing in parallel may each
// pass one check; the bounded password pool (a few workers) bounds that slack.
//
// The user name is hashed into its key and the address normalised, so keys are short, bounded
// and carry nothing odd to the store. A storage failure is an error (503), never a pass.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "storage/store.h"

namespace connect_auth::domain {

struct BackoffTier {
  std::int64_t free_failures = 5;
  std::int64_t initial_delay_ms = 1'000;
  std::int64_t max_delay_ms = 900'000;
};

struct LoginThrottlePolicy {
  bool enabled = true;  // false: nothing is read, counted or refused
  BackoffTier per_user_and_source{5, 1'000, 900'000};
  BackoffTier per_source{20, 1'000, 900'000};
  BackoffTier per_user{100, 1'000, 60'000};
  std::int64_t window_ms = 900'000;
};

// How long after the last failure `count` consecutive failures block further attempts: 0 up to
// free_failures, then initial_delay_ms doubling per failure, at most max_delay_ms.
std::int64_t backoff_delay_ms(const BackoffTier& tier, std::int64_t count) noexcept;

// The three counter keys of one attempt. Computed once per attempt.
struct ThrottleKeys {
  static constexpr std::size_t kUserAndSource = 0;
  static constexpr std::size_t kSource = 1;
  static constexpr std::size_t kUser = 2;
  std::array<std::string, 3> keys;

  static ThrottleKeys of(std::string_view user_name, std::string_view source_address);
};

// What check() saw, for record_success().
struct ThrottleCheck {
  bool user_has_failures = false;  // the user or pair count is non-zero: a success clears it
};

class LoginThrottle {
 public:
  LoginThrottle(storage::Store& store, LoginThrottlePolicy policy);

  const LoginThrottlePolicy& policy() const { return policy_; }

  // Ok when the attempt may proceed; kTooManyRequests (retry_after_seconds set) while any of the
  // keys is blocked; storage errors as they come.
  Result<ThrottleCheck> check(const ThrottleKeys& keys, std::int64_t now_ms);
  Result<void> record_failure(const ThrottleKeys& keys, std::int64_t now_ms);
  // Clears the user and pair counts; skips the write when check() saw none (the common case).
  Result<void> record_success(const ThrottleKeys& keys, const ThrottleCheck& checked);

 private:
  const BackoffTier& tier(std::size_t index) const;

  storage::Store& store_;
  LoginThrottlePolicy policy_;
};

}  // namespace connect_auth::domain
