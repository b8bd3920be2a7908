#include "storage/postgres/pg_pool.h"

#include <utility>

namespace connect_auth::storage::postgres {
namespace {

PgPoolOptions sanitised(PgPoolOptions options) {
  if (options.max_connections == 0) options.max_connections = 1;
  return options;
}

}  // namespace

PgPool::PgPool(std::string url, PgPoolOptions options)
    : url_(std::move(url)), options_(sanitised(options)) {}

PgPool::~PgPool() = default;

Result<PgPool::Lease> PgPool::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  while (true) {
    // The most recently returned connection first: it is the likeliest to be warm.
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (conn->probe()) return Lease(this, std::move(conn));
      conn.reset();  // closed outside the lock; its slot is free for a new dial
      lock.lock();
      --open_;
    }
    if (open_ < options_.max_connections) {
      // Dial outside the lock: it takes round trips (TLS, authentication) and up to the connect
      // timeout, and other callers should meanwhile keep getting idle connections.
      ++open_;
      lock.unlock();
      auto conn = PgConnection::connect(url_, options_.connect);
      if (conn) return Lease(this, std::move(*conn));
      lock.lock();
      --open_;
      lock.unlock();
      returned_.notify_one();  // someone waiting for a slot may dial in our place
      return std::move(conn).error();
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_connections) {
      return make_error(ErrorCode::kStorageUnavailable,
                        "database unavailable: all connections are busy");
    }
  }
}

void PgPool::release(std::unique_ptr<PgConnection> conn) {
  // Cleaning up takes a round trip, so it happens outside the lock. A connection that cannot
  // be brought back to a clean state is closed: reusing it would run the next caller's
  // statements inside someone else's transaction, or keep delivering notifications to no one.
  if (conn->usable() && conn->in_transaction() && !conn->rollback().ok()) conn->mark_broken();
  if (conn->usable() && conn->listening() && !conn->unlisten_all().ok()) conn->mark_broken();
  const bool keep = conn->usable() && !conn->in_transaction();
  std::unique_ptr<PgConnection> doomed;
  {
    std::lock_guard lock(mutex_);
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      doomed = std::move(conn);
      --open_;
    }
  }
  returned_.notify_one();
  // `doomed` closes here, outside the lock.
}

std::size_t PgPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t PgPool::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) noexcept
    : pool_(pool), conn_(std::move(conn)) {}

PgPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->release(std::move(conn_));
}

}  // namespace connect_auth::storage::postgres
