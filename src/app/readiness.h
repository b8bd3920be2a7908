// GET /health/ready: whether this node should get traffic now. A load balancer health-checks it
// (README "Several nodes"), so it must turn not-ready when the node cannot do its work, and at
// once when the node is about to stop:
//   - serving: started, and no shutdown signal received (SIGTERM turns it off before the drain
//     delay, so the balancer stops sending new connections while in-flight requests finish);
//   - signing keys loaded: the in-memory view has a signer for HS256 (v3) and RS256 (v4);
//   - the store reachable: the cache poller's last successful read of the change feed is recent,
//     within max(2 s, 4 × cache.poll_interval_ms). The poller reads the feed every interval even
//     when nothing changed, so this costs no extra round-trip and also proves that changes made
//     on other nodes still arrive.
#pragma once

#include <atomic>
#include <chrono>

#include "domain/auth_cache.h"

namespace connect_auth::app {

struct ReadinessInputs {
  bool serving = false;
  bool signing_keys_loaded = false;
  // Time since the store last answered the cache poller.
  std::chrono::steady_clock::duration since_store_success{};
  std::chrono::milliseconds poll_interval{250};
};

// The longest a node stays ready without hearing from the store: max(2 s, 4 × poll interval).
// Long enough that one slow poll or a missed notification does not flap the balancer.
std::chrono::milliseconds store_staleness_limit(std::chrono::milliseconds poll_interval);

// The rule, pure so it can be unit-tested.
bool is_ready(const ReadinessInputs& inputs);

// The rule applied to a live node. Thread-safe; check() is cheap (one view lookup, two atomic
// loads) and runs on the event loop for every health check.
class Readiness {
 public:
  Readiness(const domain::AuthCache& cache, std::chrono::milliseconds poll_interval)
      : cache_(cache), poll_interval_(poll_interval) {}

  void set_serving(bool serving) { serving_.store(serving, std::memory_order_release); }
  bool serving() const { return serving_.load(std::memory_order_acquire); }
  const std::atomic<bool>& serving_flag() const { return serving_; }
  bool check() const;

 private:
  const domain::AuthCache& cache_;
  const std::chrono::milliseconds poll_interval_;
  std::atomic<bool> serving_{false};
};

}  // namespace connect_auth::app
