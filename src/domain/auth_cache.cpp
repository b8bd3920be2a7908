#include "domain/auth_cache.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <optional>
#include <span>

#include "core/log.h"
#include "tokens/rs256_key.h"

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
  entry->may_introspect = key.may_introspect;
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

// Roles are added by the caller, from the snapshot's grants or list_roles.
std::shared_ptr<UserEntry> make_user_entry(const storage::User& user) {
  auto entry = std::make_shared<UserEntry>();
  entry->user_name = user.user_name;
  entry->disabled = user.disabled;
  entry->sessions_not_before = user.sessions_not_before;
  return entry;
}

}  // namespace

namespace {

Result<std::shared_ptr<const tokens::JwsKey>> make_jws_key(tokens::JwsAlgorithm algorithm,
                                                           const std::string& kid,
                                                           std::span<const std::uint8_t> material) {
  switch (algorithm) {
    case tokens::JwsAlgorithm::kHs256: {
      auto key = tokens::Hs256Key::create(kid, material);
      if (!key) return std::move(key).error();
      return std::shared_ptr<const tokens::JwsKey>(std::move(*key));
    }
    case tokens::JwsAlgorithm::kRs256: {
      auto key = tokens::Rs256Key::from_pkcs8_der(kid, material);
      if (!key) return std::move(key).error();
      return std::shared_ptr<const tokens::JwsKey>(std::move(*key));
    }
  }
  return make_error(ErrorCode::kInternal, "unknown signing algorithm");
}

bool usable_key(const storage::SigningKey& key, std::int64_t now) {
  // Unknown algorithms (a newer version's keys) are not ours to use; retired keys are gone.
  return tokens::parse_algorithm(key.algorithm).has_value() &&
         (!key.retired_at || *key.retired_at > now);
}

struct SignerChoice {
  // Per algorithm: the index in `stored` of the key that signs now, if any.
  std::array<std::optional<std::size_t>, tokens::kJwsAlgorithmCount> signer{};
  std::optional<std::int64_t> rebuild_at;
};

SignerChoice choose_signers(const std::vector<storage::SigningKey>& stored, std::int64_t now) {
  constexpr std::size_t kAlgorithms = tokens::kJwsAlgorithmCount;
  // Per algorithm: the active key that may sign now with the latest (activates_at, kid); the
  // same among superseded (inactive) keys; whether an active successor is scheduled.
  std::array<const storage::SigningKey*, kAlgorithms> signer{};
  std::array<const storage::SigningKey*, kAlgorithms> superseded{};
  std::array<bool, kAlgorithms> scheduled{};
  SignerChoice choice;
  const auto note = [&choice](std::int64_t at) {
    if (!choice.rebuild_at || at < *choice.rebuild_at) choice.rebuild_at = at;
  };
  const auto later = [](const storage::SigningKey* best, const storage::SigningKey& key) {
    return best == nullptr || key.activates_at > best->activates_at ||
           (key.activates_at == best->activates_at && key.kid > best->kid);
  };
  for (const auto& key : stored) {
    if (!usable_key(key, now)) continue;
    const auto index = static_cast<std::size_t>(*tokens::parse_algorithm(key.algorithm));
    if (key.retired_at) note(*key.retired_at);
    if (key.activates_at > now) {
      note(key.activates_at);
      scheduled[index] = scheduled[index] || key.active;
    } else if (key.active) {
      if (later(signer[index], key)) signer[index] = &key;
    } else if (later(superseded[index], key)) {
      superseded[index] = &key;
    }
  }
  // Rotation marks the previous keys inactive at once, while their successor only signs after
  // the publish delay: until then the newest superseded key keeps signing, so issuing never
  // stops. Without a scheduled successor an inactive key never signs.
  for (std::size_t i = 0; i < kAlgorithms; ++i) {
    if (signer[i] == nullptr && scheduled[i]) signer[i] = superseded[i];
    if (signer[i] != nullptr)
      choice.signer[i] = static_cast<std::size_t>(signer[i] - stored.data());
  }
  return choice;
}

}  // namespace

std::vector<SigningKeyState> signing_key_states(const std::vector<storage::SigningKey>& stored,
                                                std::int64_t now) {
  const SignerChoice choice = choose_signers(stored, now);
  std::vector<SigningKeyState> states;
  states.reserve(stored.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const storage::SigningKey& key = stored[i];
    if (!usable_key(key, now)) {
      states.push_back(SigningKeyState::kRetired);
    } else if (key.activates_at > now) {
      states.push_back(SigningKeyState::kScheduled);
    } else {
      const auto index = static_cast<std::size_t>(*tokens::parse_algorithm(key.algorithm));
      states.push_back(choice.signer[index] == i ? SigningKeyState::kSigning
                                                 : SigningKeyState::kVerifying);
    }
  }
  return states;
}

std::string_view signing_key_state_name(SigningKeyState state) {
  switch (state) {
    case SigningKeyState::kScheduled: return "scheduled";
    case SigningKeyState::kSigning: return "signing";
    case SigningKeyState::kVerifying: return "verifying";
    case SigningKeyState::kRetired: return "retired";
  }
  return "retired";
}

Result<std::shared_ptr<const tokens::KeyRing>> open_key_ring(
    const std::vector<storage::SigningKey>& stored, const tokens::MasterKey& master_key,
    std::int64_t now) {
  const SignerChoice choice = choose_signers(stored, now);
  auto ring = std::make_shared<tokens::KeyRing>();
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const storage::SigningKey& key = stored[i];
    if (!usable_key(key, now)) continue;
    const tokens::JwsAlgorithm algorithm = *tokens::parse_algorithm(key.algorithm);
    auto material = master_key.open(key.sealed_material);
    if (!material) return std::move(material).error();
    auto opened = make_jws_key(algorithm, key.kid, *material);
    sodium_memzero(material->data(), material->size());
    if (!opened) return std::move(opened).error();
    ring->add(std::move(*opened), choice.signer[static_cast<std::size_t>(algorithm)] == i);
  }
  ring->set_rebuild_at(choice.rebuild_at);
  return std::shared_ptr<const tokens::KeyRing>(std::move(ring));
}

AuthCache::AuthCache(storage::Store& store, const tokens::MasterKey& master_key, const Clock* clock)
    : store_(store),
      master_key_(master_key),
      clock_(clock != nullptr ? *clock : system_clock_),
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
  auto loaded = reload_all();
  if (loaded) mark_success();
  return loaded;
}

Result<void> AuthCache::reload_all() {
  auto snapshot = store_.load_auth_snapshot();
  if (!snapshot) return std::move(snapshot).error();
  auto ring = load_key_ring();
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
    users.emplace(user.id, make_user_entry(user));
  }
  for (const auto& grant : snapshot->grants) {
    auto it = users.find(grant.user_id);
    if (it != users.end()) it->second->account_guids.insert(grant.account_guid);
  }
  for (auto& [id, entry] : users) view->users.emplace(id, std::move(entry));
  const std::int64_t now = clock_.now_seconds();
  for (const auto& revoked : snapshot->revoked_access_tokens) {
    if (revoked.expires_at >= now) view->revoked_tokens.insert(revoked.jti, revoked.expires_at);
  }
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
  // A key's activation or retirement time has come: the ring changes with no row changing.
  const std::optional<std::int64_t> rebuild_at =
      base->signing_keys ? base->signing_keys->rebuild_at() : std::nullopt;
  const bool ring_due = rebuild_at && *rebuild_at <= clock_.now_seconds();
  if (changes->empty() && !ring_due) return Ok{};
  if (changes->size() > kMaxIncrementalChanges) return reload_all();

  // Copy-on-write: the new view shares every unchanged entry with the old one.
  auto view = std::make_shared<AuthView>(*base);
  bool ring_reloaded = false;
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
        auto entry = make_user_entry(*user);
        for (const auto& grant : *roles) entry->account_guids.insert(grant.account_guid);
        view->users.insert_or_assign(user_id, std::move(entry));
        break;
      }
      case storage::ChangeKind::kAccessToken: {
        auto revoked = store_.find_revoked_access_token(change.ref);
        if (revoked) {
          view->revoked_tokens.insert(change.ref, revoked->expires_at);
        } else if (revoked.error().code != ErrorCode::kStorageNotFound) {
          return std::move(revoked).error();
        }  // else pruned: the token has expired, nothing left to refuse
        break;
      }
      case storage::ChangeKind::kSigningKey: {
        // The ring is read whole, so one read covers every key change of this batch.
        if (ring_reloaded) break;
        auto ring = load_key_ring();
        if (!ring) return std::move(ring).error();
        view->signing_keys = std::move(*ring);
        ring_reloaded = true;
        break;
      }
    }
    view->change_seq = change.seq;
  }
  // Expired revocations fail on their own; forgetting them once a minute keeps the set at
  // (revocation rate × token lifetime) without scanning it on every change.
  if (const std::int64_t now = clock_.now_seconds();
      view->revoked_tokens.size() > 0 && now - revoked_pruned_at_ >= 60) {
    view->revoked_tokens.drop_expired(now);
    revoked_pruned_at_ = now;
  }
  if (ring_due && !ring_reloaded) {
    auto ring = load_key_ring();
    if (!ring) return std::move(ring).error();
    view->signing_keys = std::move(*ring);
  }
  publish(std::move(view));
  return Ok{};
}

Result<std::shared_ptr<const tokens::KeyRing>> AuthCache::load_key_ring() {
  auto signing = store_.list_signing_keys();
  if (!signing) return std::move(signing).error();
  return open_key_ring(*signing, master_key_, clock_.now_seconds());
}

void AuthCache::start_polling(std::chrono::milliseconds interval, const Clock& clock) {
  stop_polling();
  poller_ = std::jthread([this, interval, &clock](std::stop_token stop) {
    std::int64_t last_prune = 0;
    bool failing = false;
    while (!stop.stop_requested()) {
      store_.wait_for_changes(interval, stop);  // early when the engine says something changed
      if (stop.stop_requested()) break;
      auto refreshed = refresh();
      if (refreshed) mark_success();
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
