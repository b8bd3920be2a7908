#include "storage/sqlite/connection_pool.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "storage/sqlite/sqlite_error.h"

namespace connect_auth::storage::sqlite {

std::unique_ptr<SQLite::Database> open_connection(const std::string& path) {
  // No OPEN_CREATE: SqliteStore::open creates the file (with mode 0600) before the first
  // connection. If the file vanishes later, failing beats silently starting an empty database.
  // kBusyTimeoutMs: a writer waits up to 5 s for another writer (thread or process) instead of
  // failing at once with SQLITE_BUSY; writes are short, so 5 s means something is really wrong.
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, kBusyTimeoutMs);
  // foreign_keys is off by default in SQLite and is per connection.
  // synchronous=FULL: in WAL mode NORMAL survives an application crash but a power loss or OS
  // crash may roll back the last commits. Invariant 1 of bad-inputs.md (a refresh token is
  // durably committed before the 200 that carries it) needs FULL: one fsync of the WAL per
  // commit. Writes are rare (key management, refresh), and the token hot path reads a cache.
  db->exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
  return db;
}

ConnectionPool::ConnectionPool(std::string path, std::size_t max_connections)
    : path_(std::move(path)), max_connections_(max_connections == 0 ? 1 : max_connections) {}

ConnectionPool::~ConnectionPool() = default;

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  while (idle_.empty() && open_ >= max_connections_) {
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_connections_) {
      return make_error(ErrorCode::kStorageUnavailable,
                        "database unavailable: all connections are busy");
    }
  }
  if (!idle_.empty()) {
    std::unique_ptr<SQLite::Database> db = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(db));
  }
  // Open a new connection outside the lock: opening touches the file system and may wait on
  // the busy timeout, and other threads should keep leasing idle connections meanwhile.
  ++open_;
  lock.unlock();
  try {
    return Lease(this, open_connection(path_));
  } catch (const SQLite::Exception& e) {
    lock.lock();
    --open_;
    returned_.notify_one();
    return error_from_exception(e, {});
  } catch (const std::exception&) {
    lock.lock();
    --open_;
    returned_.notify_one();
    return make_error(ErrorCode::kStorageUnavailable, "database unavailable: cannot connect");
  }
}

void ConnectionPool::release(std::unique_ptr<SQLite::Database> db, bool healthy) {
  // A connection left inside a transaction (its rollback failed) would make the next BEGIN
  // fail forever; close it and let the next caller open a fresh one.
  if (healthy && sqlite3_get_autocommit(db->getHandle()) == 0) healthy = false;
  std::unique_ptr<SQLite::Database> doomed;
  {
    std::lock_guard lock(mutex_);
    if (healthy) {
      idle_.push_back(std::move(db));
    } else {
      doomed = std::move(db);
      --open_;
    }
  }
  returned_.notify_one();
  // `doomed` closes here, outside the lock.
}

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<SQLite::Database> db)
    : pool_(pool), db_(std::move(db)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), db_(std::move(other.db_)), healthy_(other.healthy_) {
  other.pool_ = nullptr;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && db_ != nullptr) pool_->release(std::move(db_), healthy_);
}

}  // namespace connect_auth::storage::sqlite
