// Keeps an AuthView in memory and current with the store.
//
// Freshness: every store mutation appends to the store's change feed in the same transaction
// (storage/store.h). A background thread polls the feed (default every 250 ms) and applies the
// changed rows; a change made through this process calls refresh() itself, so its very next
// request sees it. We chose the feed over SQLite's PRAGMA data_version or a file watch because
// it is incremental (100,000 keys are not re-read for one change) and works unchanged on a
// shared PostgreSQL database with several nodes.
//
// Reads: the hot path calls view(), which costs one acquire load in the common case: each
// thread keeps its own reference to the current view and only takes the publish lock when the
// version moved. No reference count is touched per request, so threads never contend.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "domain/auth_view.h"
#include "storage/store.h"
#include "tokens/master_key.h"

namespace connect_auth::domain {

class AuthCache {
 public:
  AuthCache(storage::Store& store, const tokens::MasterKey& master_key);
  ~AuthCache();
  AuthCache(const AuthCache&) = delete;
  AuthCache& operator=(const AuthCache&) = delete;

  // Loads everything; must succeed once before view() is used.
  Result<void> load();
  // Applies the changes made since the last load/refresh. Thread-safe.
  Result<void> refresh();

  // The current view for this thread. The reference stays valid until this thread's next call.
  const AuthView& view() const;

  // Starts/stops the background poller (it also prunes feed entries older than a day).
  void start_polling(std::chrono::milliseconds interval, const Clock& clock);
  void stop_polling();

  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  Result<void> reload_all();
  void publish(std::shared_ptr<const AuthView> view);

  storage::Store& store_;
  const tokens::MasterKey& master_key_;
  std::mutex refresh_mutex_;  // one refresher at a time
  mutable std::mutex publish_mutex_;
  std::shared_ptr<const AuthView> current_;
  std::atomic<std::uint64_t> version_{0};
  const std::uint64_t instance_id_;  // tells per-thread caches of different AuthCaches apart
  std::jthread poller_;
};

// Builds the key ring from stored signing keys: every key that is not retired verifies; the
// newest active one signs.
Result<std::shared_ptr<const tokens::KeyRing>> open_key_ring(
    const std::vector<storage::SigningKey>& stored, const tokens::MasterKey& master_key);

}  // namespace connect_auth::domain
