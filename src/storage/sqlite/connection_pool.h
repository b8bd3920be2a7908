// A small pool of SQLite connections to one database file.
//
// Why a pool and not one shared connection: a connection holds one transaction at a time, so
// sharing one would need a store-wide lock held across every transaction. Why not one
// connection per thread: the store does not own the threads that call it, and thread-locals
// would outlive the store. A leased connection is used by one thread at a time; SQLite's own
// file locks (WAL mode) arbitrate between connections, threads and processes alike.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"

namespace SQLite {
class Database;
}

namespace connect_auth::storage::sqlite {

// Per-connection settings; see connection_pool.cpp for why these values.
inline constexpr int kBusyTimeoutMs = 5000;
inline constexpr std::size_t kMaxConnections = 8;

class ConnectionPool {
 public:
  class Lease;

  explicit ConnectionPool(std::string path, std::size_t max_connections = kMaxConnections);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, a new one if fewer than max are open, or waits for one to come back
  // for at most the busy timeout (every wait has a deadline). Errors are kStorageUnavailable.
  Result<Lease> acquire();

 private:
  void release(std::unique_ptr<SQLite::Database> db, bool healthy);

  const std::string path_;
  const std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<SQLite::Database>> idle_;
  std::size_t open_ = 0;  // idle + leased
};

// Gives the connection back on destruction. A connection that saw an engine fault, or that is
// still inside a transaction (a failed rollback), is closed instead of reused.
class ConnectionPool::Lease {
 public:
  Lease(ConnectionPool* pool, std::unique_ptr<SQLite::Database> db);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  SQLite::Database& db() { return *db_; }
  void discard() { healthy_ = false; }

 private:
  ConnectionPool* pool_;
  std::unique_ptr<SQLite::Database> db_;
  bool healthy_ = true;
};

// Opens one connection with the store's per-connection pragmas. Throws SQLite::Exception.
std::unique_ptr<SQLite::Database> open_connection(const std::string& path);

}  // namespace connect_auth::storage::sqlite
