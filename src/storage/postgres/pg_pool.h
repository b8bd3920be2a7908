// A bounded pool of PostgreSQL connections to one database.
//
// - At most max_connections are open; acquire() hands out an idle one, dials a new one below
//   the bound, or waits for one to come back until acquire_timeout, then answers
//   kStorageUnavailable ("database unavailable: …"): every wait has a deadline.
// - Dialling is lazy and happens outside the pool's lock: nothing is opened before it is
//   needed, and a connection that broke (server restart, failover, pg_terminate_backend) is
//   closed when its lease ends and replaced on a later acquire. So the server recovers by
//   itself once the database is back, with no restart and no background thread.
// - An idle connection is probed without a round trip before it is handed out (a terminated
//   backend leaves a FATAL message and end-of-stream on its socket), so a database restart
//   costs the callers no failed request for each connection that sat idle through it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/postgres/pg_connection.h"

namespace connect_auth::storage::postgres {

inline constexpr std::size_t kDefaultMaxConnections = 8;

struct PgPoolOptions {
  std::size_t max_connections = kDefaultMaxConnections;  // 0 is taken as 1
  std::chrono::milliseconds acquire_timeout{5000};
  PgConnectOptions connect;
};

class PgPool {
 public:
  class Lease;

  // Dials nothing yet. `url` is kept for dialling and never printed (see redact_url()).
  explicit PgPool(std::string url, PgPoolOptions options = {});
  ~PgPool();  // every lease must have ended
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Errors: kStorageUnavailable (no connection within acquire_timeout, or the dial failed),
  // kInvalidRequest (the URL cannot be parsed).
  Result<Lease> acquire();

  std::size_t open_connections() const;  // idle + leased
  std::size_t idle_connections() const;

 private:
  void release(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const PgPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // most recently returned last
  std::size_t open_ = 0;
};

// Gives the connection back on destruction: a usable one goes back to the pool (rolled back
// first if left inside a transaction, UNLISTENed if it listened); a broken one is closed.
class PgPool::Lease {
 public:
  Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) noexcept;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  PgConnection& conn() noexcept { return *conn_; }
  PgConnection* operator->() noexcept { return conn_.get(); }
  // Close the connection instead of reusing it.
  void discard() noexcept { conn_->mark_broken(); }

 private:
  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace connect_auth::storage::postgres
