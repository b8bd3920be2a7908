#include "app/maintenance.h"

#include <algorithm>
#include <map>

#include "core/log.h"
#include "domain/signing_keys.h"
#include "tokens/jws_key.h"

namespace connect_auth::app {

Maintenance::Maintenance(storage::Store& store, const tokens::MasterKey& master_key,
                         const Clock& clock, MaintenanceSettings settings)
    : store_(store), master_key_(master_key), clock_(clock), settings_(settings) {}

Maintenance::~Maintenance() { stop(); }

void Maintenance::start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      run_once();
      lock.lock();
      wake_.wait_for(lock, settings_.interval, [this] { return stopping_; });
    }
  });
}

void Maintenance::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Maintenance::run_once() {
  const std::int64_t now_ms = clock_.now_millis();
  const std::int64_t now = now_ms / 1000;
  auto warn = [](std::string_view step, const Error& error) {
    log::warn("maintenance_failed", {{"step", step}, {"reason", error.description}});
  };
  rotate_due_keys();
  if (auto done = store_.prune_refresh_tokens(now_ms, settings_.refresh_idle_ms); !done) {
    warn("prune_refresh_tokens", done.error());
  }
  if (auto done = store_.prune_failures(now_ms - settings_.throttle_window_ms); !done) {
    warn("prune_failures", done.error());
  }
  // A revoked access token past its exp (plus leeway) fails verification by itself.
  if (auto done = store_.prune_revoked_access_tokens(now); !done) {
    warn("prune_revoked_access_tokens", done.error());
  }
  if (auto done = store_.delete_retired_signing_keys(now); !done) {
    warn("delete_retired_signing_keys", done.error());
  }
}

// A key is due for rotation when the newest key of its algorithm that may sign (now or later)
// was created more than rotation_seconds ago: a rotation already scheduled by any node counts.
void Maintenance::rotate_due_keys() {
  if (settings_.rotation_seconds <= 0) return;
  auto keys = store_.list_signing_keys();
  if (!keys) {
    log::warn("maintenance_failed",
              {{"step", "list_signing_keys"}, {"reason", keys.error().description}});
    return;
  }
  const std::int64_t now = clock_.now_seconds();
  std::map<std::string, std::int64_t> newest;  // algorithm → newest created_at of a live signer
  for (const auto& key : *keys) {
    if (!key.active || (key.retired_at && *key.retired_at <= now)) continue;
    auto& at = newest[key.algorithm];
    at = std::max(at, key.created_at);
  }
  for (const auto algorithm : {tokens::JwsAlgorithm::kHs256, tokens::JwsAlgorithm::kRs256}) {
    const auto found = newest.find(std::string(tokens::algorithm_name(algorithm)));
    if (found != newest.end() && now - found->second < settings_.rotation_seconds) continue;
    auto rotated = domain::rotate_signing_key(
        store_, master_key_, random_, clock_, algorithm,
        domain::RotationTimes{settings_.publish_delay_seconds, settings_.retire_after_seconds,
                              now - settings_.rotation_seconds});
    if (!rotated && rotated.error().code == ErrorCode::kStorageConflict) continue;  // by another
    if (!rotated) {
      log::warn("maintenance_failed",
                {{"step", "rotate_signing_key"}, {"reason", rotated.error().description}});
      continue;
    }
    log::info("signing_key_rotated",
              {{"algorithm", tokens::algorithm_name(algorithm)}, {"reason", "schedule"}});
  }
}

}  // namespace connect_auth::app
