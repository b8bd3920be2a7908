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
  // `clock` (default: the system clock) decides which signing keys sign and verify; see
  // open_key_ring.
  AuthCache(storage::Store& store, const tokens::MasterKey& master_key,
            const Clock* clock = nullptr);
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

  // When load() or the poller's last refresh succeeded, i.e. when the store last answered (the
  // poller reads the feed at least once per interval even when nothing changed). The readiness
  // check (app/readiness) compares it with now; the epoch when nothing succeeded yet.
  std::chrono::steady_clock::time_point last_success() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_success_.load(std::memory_order_acquire)));
  }

 private:
  Result<void> reload_all();
  Result<std::shared_ptr<const tokens::KeyRing>> load_key_ring();
  void publish(std::shared_ptr<const AuthView> view);
  void mark_success() {
    last_success_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                        std::memory_order_release);
  }

  storage::Store& store_;
  const tokens::MasterKey& master_key_;
  SystemClock system_clock_;  // used when no clock is given
  const Clock& clock_;
  std::mutex refresh_mutex_;  // one refresher at a time
  std::int64_t revoked_pruned_at_ = 0;  // guarded by refresh_mutex_
  mutable std::mutex publish_mutex_;
  std::shared_ptr<const AuthView> current_;
  std::atomic<std::uint64_t> version_{0};
  std::atomic<std::chrono::steady_clock::rep> last_success_{0};
  const std::uint64_t instance_id_;  // tells per-thread caches of different AuthCaches apart
  std::jthread poller_;
};

// Builds the key ring from stored signing keys as of `now`:
//   - a key retired at or before now is left out; every other key verifies (and RS256 keys are
//     published in the JWKS);
//   - per algorithm, the active key with activates_at <= now and the greatest activates_at (ties:
//     greatest kid) signs. While a rotation's successor waits for its activates_at, the previous
//     (now inactive, not retired) key with the greatest activates_at keeps signing.
// The ring's rebuild_at() is the earliest future activates_at or retired_at: the ring must be
// rebuilt then (AuthCache::refresh does).
Result<std::shared_ptr<const tokens::KeyRing>> open_key_ring(
    const std::vector<storage::SigningKey>& stored, const tokens::MasterKey& master_key,
    std::int64_t now);

// What a stored key does at `now`, by the rules above (one place decides, so `signing-key list`
// says exactly what the server does).
enum class SigningKeyState : std::uint8_t {
  kScheduled,  // published, signs from activates_at
  kSigning,    // the key this algorithm's tokens are signed with now
  kVerifying,  // published and verifies tokens it signed, signs nothing
  kRetired,    // neither (or an algorithm this version does not know)
};
std::vector<SigningKeyState> signing_key_states(const std::vector<storage::SigningKey>& stored,
                                                std::int64_t now);
std::string_view signing_key_state_name(SigningKeyState state);

}  // namespace connect_auth::domain
