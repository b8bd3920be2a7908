// How the PostgreSQL backend runs a transaction: on a pooled connection, statements prepared
// once per connection, every failure converted into the store's error contract (nothing thrown
// inside escapes), and the change feed written at the very end of a write (change_feed.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/result.h"
#include "storage/error_texts.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/pg_pool.h"
#include "storage/postgres/pg_transaction.h"
#include "storage/postgres/pg_write_transaction.h"
#include "storage/write_transaction.h"

namespace connect_auth::storage::postgres {

// A statement that failed inside a transaction, already mapped to the error contract. Thrown by
// run() so the aggregate code reads as a sequence of statements; caught by the runner.
struct StatementFailed {
  Error error;
  bool retryable = false;  // a serialisation failure or deadlock: running it again may work
};

// The failure of the command `conn` just ran, as thrown.
StatementFailed statement_failed(PgConnection& conn, Error error);

// Executes one prepared statement (`name` names the SQL for the connection's statement cache)
// and throws StatementFailed if it fails.
PgResult run(PgConnection& conn, std::string_view name, std::string_view sql,
             const PgParams& params = {}, const ErrorText& text = {});

// Called by write() just before COMMIT with the transaction's pending feed entries: assigns
// their seqs under the feed row's lock and inserts them (change_feed.cpp).
void flush_changes(PgWriteTransaction& tx);

// Serialisation failures and deadlocks are retried this many times in all before the caller
// sees kStorageUnavailable.
inline constexpr int kMaxAttempts = 3;

class PgRunner {
 public:
  PgRunner(std::unique_ptr<PgPool> pool, std::shared_ptr<const Clock> clock)
      : pool_(std::move(pool)), clock_(std::move(clock)) {}

  const Clock& clock() const { return *clock_; }
  PgPool& pool() { return *pool_; }

  // `fn(PgConnection&)` in a REPEATABLE READ, READ ONLY transaction: one snapshot for all of
  // its statements, as SQLite's deferred read transaction gives.
  template <class T, class Fn>
  Result<T> read(const ErrorText& text, Fn&& fn) {
    return transact<T>(PgIsolation::kRepeatableRead, PgAccess::kReadOnly, text,
                       [&](PgConnection& conn) { return fn(conn); });
  }

  // `fn(WriteTransaction&)` (storage/mutations.h) in a READ COMMITTED transaction; its feed
  // entries are numbered and written last, then it commits.
  template <class T, class Fn>
  Result<T> write(const ErrorText& text, Fn&& fn);

  // `fn(PgConnection&)` in a READ COMMITTED transaction: statements no rule stands behind
  // (pruning, counters).
  template <class T, class Fn>
  Result<T> write_statements(const ErrorText& text, Fn&& fn) {
    return transact<T>(PgIsolation::kReadCommitted, PgAccess::kReadWrite, text,
                       [&](PgConnection& conn) { return fn(conn); });
  }

 private:
  template <class T, class Fn>
  Result<T> transact(PgIsolation isolation, PgAccess access, const ErrorText& text, Fn&& fn);

  std::unique_ptr<PgPool> pool_;
  std::shared_ptr<const Clock> clock_;
};

// Maps what a transaction body threw; nullopt for "retry". Must be called in a catch block.
std::optional<Error> error_of_current_exception();

template <class T, class Fn>
Result<T> PgRunner::transact(PgIsolation isolation, PgAccess access, const ErrorText& text,
                             Fn&& fn) {
  std::optional<Error> last;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease) return std::move(lease).error();
    PgConnection& conn = lease->conn();
    try {
      auto tx = PgTransaction::begin(conn, isolation, access);
      if (!tx) throw statement_failed(conn, std::move(tx).error());
      Result<T> result = fn(conn);
      if (!result) return result;  // ~PgTransaction rolls back
      if (auto committed = tx->commit(text); !committed) {
        throw statement_failed(conn, std::move(committed).error());
      }
      return result;
    } catch (...) {
      std::optional<Error> error = error_of_current_exception();
      if (error) return *error;
      last = make_error(ErrorCode::kStorageUnavailable,
                        "database unavailable: too much contention, try again");
    }
  }
  return *last;
}

template <class T, class Fn>
Result<T> PgRunner::write(const ErrorText& text, Fn&& fn) {
  return transact<T>(PgIsolation::kReadCommitted, PgAccess::kReadWrite, text,
                     [&](PgConnection& conn) -> Result<T> {
                       PgWriteTransaction tx(conn, *clock_, text);
                       Result<T> result = fn(static_cast<WriteTransaction&>(tx));
                       if (result) flush_changes(tx);
                       return result;
                     });
}

}  // namespace connect_auth::storage::postgres
