#include "domain/auth_cache.h"

#include <algorithm>
#include <condition_variable>

#include "core/log.h"

namespace connect_auth::domain {
namespace {

std::atomic<std::uint64_t> next_instance_id{1};

// Applying more changes than this one by one costs more than a full reload.
constexpr std::size_t kMaxIncrementalChanges = 512;
constexpr std::int64_t kFeedRetentionSeconds = 24 * 3600;

struct ThreadView {
  std::uint64_t instance_id = 0;
  std::uint64_t version = 0;
  std::shared_ptr<const AuthView> view;
};
thread_local ThreadView tls_view;

std::shared_ptr<const KeyEntry> make_key_entry(const storage::ApiKey& key) {
  auto entry = std::make_shared<KeyEntry>();
  entry->secret_hash = key.secret_hash;
  entry->generation = key.generation;
  entry->user_id = key.user_id;
  entry->account_guids = key.account_guids;
  return entry;
}

std::shared_ptr<const AccountEntry> make_account_entry(const storage::Account& account) {
  auto entry = std::make_shared<AccountEntry>();
  entry->company_name = account.company_name;
  entry->country_code = account.country_code;
  entry->active = account.active;
  return entry;
}

}  // namespace

Result<std::shared_ptr<const tokens::KeyRing>> open_key_ring(
    const std::vector<storage::SigningKey>& stored, const tokens::MasterKey& master_key) {
  auto ring = std::make_shared<tokens::KeyRing>();
  const storage::SigningKey* newest_active = nullptr;
  for (const auto& key : stored) {
    if (key.algorithm == "HS256" && !key.retired_at && key.active &&
        (newest_active == nullptr || key.created_at > newest_active->created_at ||
         (key.created_at == newest_active->created_at && key.kid > newest_active->kid))) {
      newest_active = &key;
    }
  }
  for (const auto& key : stored) {
    if (key.algorithm != "HS256" || key.retired_at) continue;
    auto material = master_key.open(key.sealed_material);
    if (!material) return std::move(material).error();
    auto hs256 = tokens::Hs256Key::create(key.kid, *material);
    if (!hs256) return std::move(hs256).error();
    ring->add(std::move(*hs256), &key == newest_active);
  }
  return std::shared_ptr<const tokens::KeyRing>(std::move(ring));
}

AuthCache::AuthCache(storage::Store& store, const tokens::MasterKey& master_key)
    : store_(store),
      master_key_(master_key),
      instance_id_(next_instance_id.fetch_add(1, std::memory_order_relaxed)) {}

AuthCache::~AuthCache() { stop_polling(); }

void AuthCache::publish(std::shared_ptr<const AuthView> view) {
  std::lock_guard lock(publish_mutex_);
  current_ = std::move(view);
  version_.fetch_add(1, std::memory_order_release);
}

const AuthView& AuthCache::view() const {
  ThreadView& mine = tls_view;
  const std::uint64_t version = version_.load(std::memory_order_acquire);
  if (mine.instance_id != instance_id_ || mine.version != version || !mine.view) {
    std::lock_guard lock(publish_mutex_);
    mine.instance_id = instance_id_;
    mine.version = version_.load(std::memory_order_relaxed);
    mine.view = current_;
  }
  return *mine.view;
}

Result<void> AuthCache::load() {
  std::lock_guard lock(refresh_mutex_);
  return reload_all();
}

Result<void> AuthCache::reload_all() {
  auto snapshot = store_.load_auth_snapshot();
  if (!snapshot) return std::move(snapshot).error();
  auto signing = store_.list_signing_keys();
  if (!signing) return std::move(signing).error();
  auto ring = open_key_ring(*signing, master_key_);
  if (!ring) return std::move(ring).error();

  auto view = std::make_shared<AuthView>();
  view->change_seq = snapshot->change_seq;
  view->signing_keys = std::move(*ring);
  view->keys.reserve(snapshot->api_keys.size());
  for (const auto& key : snapshot->api_keys) view->keys.emplace(key.api_id, make_key_entry(key));
  for (const auto& account : snapshot->accounts) {
    view->accounts.emplace(account.guid, make_account_entry(account));
  }
  std::unordered_map<std::int64_t, std::shared_ptr<UserEntry>> users;
  for (const auto& user : snapshot->users) {
    auto entry = std::make_shared<UserEntry>();
    entry->disabled = user.disabled;
    users.emplace(user.id, std::move(entry));
  }
  for (const auto& grant : snapshot->grants) {
    auto it = users.find(grant.user_id);
    if (it != users.end()) it->second->account_guids.insert(grant.account_guid);
  }
  for (auto& [id, entry] : users) view->users.emplace(id, std::move(entry));
  publish(std::move(view));
  return Ok{};
}

Result<void> AuthCache::refresh() {
  std::lock_guard lock(refresh_mutex_);
  std::shared_ptr<const AuthView> base;
  {
    std::lock_guard publish_lock(publish_mutex_);
    base = current_;
  }
  if (!base) return reload_all();

  auto changes = store_.changes_since(base->change_seq, kMaxIncrementalChanges + 1);
  if (!changes) {
    // The feed was pruned past our position: only a full reload is exact.
    if (changes.error().code == ErrorCode::kStorageNotFound) return reload_all();
    return std::move(changes).error();
  }
  if (changes->empty()) return Ok{};
  if (changes->size() > kMaxIncrementalChanges) return reload_all();

  // Copy-on-write: the new view shares every unchanged entry with the old one.
  auto view = std::make_shared<AuthView>(*base);
  for (const storage::Change& change : *changes) {
    switch (change.kind) {
      case storage::ChangeKind::kApiKey: {
        auto key = store_.find_api_key(change.ref);
        if (key) {
          view->keys.insert_or_assign(change.ref, make_key_entry(*key));
        } else if (key.error().code == ErrorCode::kStorageNotFound) {
          view->keys.erase(change.ref);
        } else {
          return std::move(key).error();
        }
        break;
      }
      case storage::ChangeKind::kAccount: {
        auto account = store_.find_account(change.ref);
        if (account) {
          view->accounts.insert_or_assign(change.ref, make_account_entry(*account));
        } else if (account.error().code == ErrorCode::kStorageNotFound) {
          view->accounts.erase(change.ref);
        } else {
          return std::move(account).error();
        }
        break;
      }
      case storage::ChangeKind::kUser: {
        std::int64_t user_id = 0;
        try {
          user_id = std::stoll(change.ref);
        } catch (...) {
          continue;  // not ours to interpret; a full reload would not help either
        }
        auto user = store_.find_user_by_id(user_id);
        if (!user) {
          if (user.error().code != ErrorCode::kStorageNotFound) return std::move(user).error();
          view->users.erase(user_id);
          break;
        }
        auto roles = store_.list_roles(user_id);
        if (!roles) return std::move(roles).error();
        auto entry = std::make_shared<UserEntry>();
        entry->disabled = user->disabled;
        for (const auto& grant : *roles) entry->account_guids.insert(grant.account_guid);
        view->users.insert_or_assign(user_id, std::move(entry));
        break;
      }
      case storage::ChangeKind::kSigningKey: {
        auto signing = store_.list_signing_keys();
        if (!signing) return std::move(signing).error();
        auto ring = open_key_ring(*signing, master_key_);
        if (!ring) return std::move(ring).error();
        view->signing_keys = std::move(*ring);
        break;
      }
    }
    view->change_seq = change.seq;
  }
  publish(std::move(view));
  return Ok{};
}

void AuthCache::start_polling(std::chrono::milliseconds interval, const Clock& clock) {
  stop_polling();
  poller_ = std::jthread([this, interval, &clock](std::stop_token stop) {
    std::mutex wait_mutex;
    std::condition_variable_any wake;
    std::int64_t last_prune = 0;
    bool failing = false;
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(wait_mutex);
        wake.wait_for(lock, stop, interval, [] { return false; });
      }
      if (stop.stop_requested()) break;
      auto refreshed = refresh();
      if (!refreshed && !failing) {
        log::warn("cache_refresh_failed", {{"code", error_code_name(refreshed.error().code)},
                                           {"reason", refreshed.error().description}});
      } else if (refreshed && failing) {
        log::info("cache_refresh_recovered");
      }
      failing = !refreshed;
      const std::int64_t now = clock.now_seconds();
      if (now - last_prune > 3600) {
        last_prune = now;
        (void)store_.prune_changes(now - kFeedRetentionSeconds);
      }
    }
  });
}

void AuthCache::stop_polling() {
  if (poller_.joinable()) {
    poller_.request_stop();
    poller_.join();
  }
}

}  // namespace connect_auth::domain
