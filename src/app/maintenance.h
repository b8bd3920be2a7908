// Background housekeeping of a serving node: scheduled signing-key rotation and pruning of
// expired refresh tokens, failed-login counters and retired signing keys. One thread, woken once
// a minute; every step is idempotent, so several nodes doing the same is harmless (at worst two
// nodes rotate in the same minute and both new keys verify everywhere).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "storage/store.h"
#include "tokens/master_key.h"

namespace connect_auth::app {

struct MaintenanceSettings {
  std::int64_t rotation_seconds = 90LL * 86'400;  // 0: no scheduled rotation
  std::int64_t publish_delay_seconds = 300;
  std::int64_t retire_after_seconds = 3600 + 30;  // longest token lifetime + clock leeway
  std::int64_t refresh_idle_ms = 7LL * 86'400'000;
  std::int64_t throttle_window_ms = 900'000;
  std::chrono::milliseconds interval{60'000};
};

class Maintenance {
 public:
  Maintenance(storage::Store& store, const tokens::MasterKey& master_key, const Clock& clock,
              MaintenanceSettings settings);
  ~Maintenance();  // stops and joins
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  void start();
  void stop();
  // One pass, on the caller's thread (tests, and the first pass at start-up).
  void run_once();

 private:
  void rotate_due_keys();

  storage::Store& store_;
  const tokens::MasterKey& master_key_;
  const Clock& clock_;
  MaintenanceSettings settings_;
  SecureRandom random_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace connect_auth::app
