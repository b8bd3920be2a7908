// The change feed: how every node's in-memory auth cache learns what changed in the store.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/access_token_revocation_store.h"
#include "storage/account_store.h"
#include "storage/api_key_store.h"
#include "storage/user_store.h"

namespace connect_auth::storage {

// One entry of the change feed: something that caches must refresh. `kind` names the table,
// `ref` the row (api_id, account guid, user id as text, kid, or a revoked access token's jti).
// Which mutation appends which entry is decided once, in storage/mutations.h.
enum class ChangeKind : std::uint8_t { kApiKey, kAccount, kUser, kSigningKey, kAccessToken };
struct Change {
  std::int64_t seq = 0;
  ChangeKind kind = ChangeKind::kApiKey;
  std::string ref;
};

// Everything the in-memory auth cache needs, read in one consistent snapshot.
struct AuthSnapshot {
  std::int64_t change_seq = 0;  // the feed position this snapshot includes
  std::vector<Account> accounts;
  std::vector<User> users;  // password_hash left empty: the cache never needs it
  std::vector<RoleGrant> grants;
  std::vector<ApiKey> api_keys;
  std::vector<RevokedAccessToken> revoked_access_tokens;  // not yet pruned (some may be expired)
};

// Contracts every backend keeps (tested by the conformance suite):
//  - An entry is appended in the same transaction as the mutation it reports.
//  - Visibility in commit order: seq values grow in the order their transactions commit, so a
//    reader that has seen seq N never later finds an entry below N appear. Polling
//    changes_since(last seen) therefore never skips an entry, whatever the writers' concurrency
//    (SQLite: one writer at a time; PostgreSQL: seqs are taken under a lock of the feed row).
//  - Entries are never renumbered, and a seq is never reused, also across pruning.
// Sleeps for `duration` unless `stop` is requested first (what a feed waiter does when it cannot
// be told of changes).
void sleep_unless_stopped(std::chrono::milliseconds duration, std::stop_token stop);

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;

  // Entries with seq > `after_seq`, in seq order, at most `limit`. A position older than the
  // oldest retained entry returns kStorageNotFound, telling the caller to reload a snapshot.
  virtual Result<std::vector<Change>> changes_since(std::int64_t after_seq, std::size_t limit) = 0;
  virtual Result<AuthSnapshot> load_auth_snapshot() = 0;
  // Forgets entries older than the given second (and any entry before them in seq order, so the
  // retained feed has no holes). Appends no change.
  virtual Result<void> prune_changes(std::int64_t keep_after_unix_s) = 0;

  // Returns once an entry may have been appended since the last call (an engine that can tell,
  // such as PostgreSQL with LISTEN/NOTIFY, returns early), once max_wait has passed, or once
  // `stop` is requested. The caller polls changes_since after it either way, so a missed
  // notification costs at most max_wait. The default just waits: the poll alone carries
  // propagation.
  virtual void wait_for_changes(std::chrono::milliseconds max_wait, std::stop_token stop);
};

}  // namespace connect_auth::storage
