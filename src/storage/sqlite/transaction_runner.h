// How the SQLite backend runs a transaction: on a pooled connection, with writers queued
// in-process, refresh-token and login-failure writes grouped into shared commits, and every
// failure converted into the store's error contract (nothing thrown inside escapes).
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include "core/clock.h"
#include "core/result.h"
#include "storage/sqlite/connection_pool.h"
#include "storage/sqlite/group_commit.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_error.h"
#include "storage/sqlite/sqlite_write_transaction.h"
#include "storage/sqlite/writer_gate.h"

namespace connect_auth::storage::sqlite {

// One caller's write in a group-commit batch (group_commit.h): `apply` runs the caller's
// statements inside the batch transaction and records its result, returning whether the writes
// stand; `fail` overwrites that result when the batch as a whole did not commit.
struct BatchedWrite {
  std::function<bool(SQLite::Database&)> apply;
  std::function<void(const Error&)> fail;
};

// At most this many requests share one transaction: bounds how long one batch holds the write
// lock and how much one failed commit takes down with it.
inline constexpr std::size_t kMaxBatch = 256;

class TransactionRunner {
 public:
  TransactionRunner(std::unique_ptr<ConnectionPool> pool, std::shared_ptr<const Clock> clock)
      : pool_(std::move(pool)), clock_(std::move(clock)), batches_(kMaxBatch) {}

  const Clock& clock() const { return *clock_; }
  GroupCommitStats group_commit_stats() const { return batches_.stats(); }

  // `fn(SQLite::Database&)` in a deferred transaction: its first read pins one WAL snapshot,
  // so several queries see one instant.
  template <class T, class Fn>
  Result<T> read(const ErrorText& text, Fn&& fn) {
    return transact<T>(false, text, std::forward<Fn>(fn));
  }

  // `fn(WriteTransaction&)` (see mutations.h) in its own write transaction.
  template <class T, class Fn>
  Result<T> write(const ErrorText& text, Fn&& fn) {
    return transact<T>(true, text, [&](SQLite::Database& db) {
      SqliteWriteTransaction tx(db, *clock_);
      return fn(tx);
    });
  }

  // `fn(SQLite::Database&)` in its own write transaction: for statements no rule stands behind
  // (pruning, counters), which need no WriteTransaction.
  template <class T, class Fn>
  Result<T> write_statements(const ErrorText& text, Fn&& fn) {
    return transact<T>(true, text, std::forward<Fn>(fn));
  }

  // The same in a group-commit batch (see write_batched).
  template <class T, class Fn>
  Result<T> write_statements_batched(const ErrorText& text, Fn&& fn);

  // Like write(), but the transaction (and its fsync) is shared with whatever other batched
  // writes arrive meanwhile. Returns once the batch holding this write has committed.
  template <class T, class Fn>
  Result<T> write_batched(const ErrorText& text, Fn&& fn);

 private:
  // Writes use BEGIN IMMEDIATE, which takes the write lock up front (waiting up to the busy
  // timeout): a deferred transaction that read first and then tried to write could fail with
  // SQLITE_BUSY at the upgrade, which no busy timeout can fix.
  //
  // Writers of one store also queue at `writers_` first. SQLite admits one writer at a time
  // anyway; without the gate, same-process writers would wait in SQLite's busy handler, which
  // polls with sleeps of up to 100 ms, instead of being handed the turn at once. Other
  // processes still meet the busy timeout. Correctness never depends on this gate, only latency.
  template <class T, class Fn>
  Result<T> transact(bool write, const ErrorText& text, Fn&& fn);

  void run_batch(std::span<BatchedWrite* const> batch);

  std::unique_ptr<ConnectionPool> pool_;
  std::shared_ptr<const Clock> clock_;
  WriterGate writers_;
  GroupCommit<BatchedWrite> batches_;
};

template <class T, class Fn>
Result<T> TransactionRunner::transact(bool write, const ErrorText& text, Fn&& fn) {
  std::optional<WriterGate::Pass> pass;
  if (write) {
    if (!writers_.enter(std::chrono::milliseconds(kBusyTimeoutMs))) {
      return make_error(ErrorCode::kStorageUnavailable,
                        "database unavailable: another write is taking too long");
    }
    pass.emplace(&writers_);
  }
  auto lease = pool_->acquire();
  if (!lease) return std::move(lease).error();
  try {
    SQLite::Transaction tx(lease->db(), write ? SQLite::TransactionBehavior::IMMEDIATE
                                              : SQLite::TransactionBehavior::DEFERRED);
    Result<T> result = fn(lease->db());
    if (result.ok()) tx.commit();
    return result;  // on error, ~Transaction rolls back
  } catch (const SQLite::Exception& e) {
    Error error = error_from_exception(e, text);
    if (error.code == ErrorCode::kStorageUnavailable) lease->discard();
    return error;
  } catch (const MalformedRow&) {
    return make_error(ErrorCode::kInternal, "stored data is malformed");
  } catch (const std::exception&) {
    return make_error(ErrorCode::kInternal, "unexpected storage failure");
  }
}

template <class T, class Fn>
Result<T> TransactionRunner::write_statements_batched(const ErrorText& text, Fn&& fn) {
  std::optional<Result<T>> result;
  BatchedWrite write{
      [&](SQLite::Database& db) {
        try {
          result.emplace(fn(db));
        } catch (const SQLite::Exception& e) {
          Error error = error_from_exception(e, text);
          // An engine fault may have cost the whole transaction: fail the batch as one.
          if (error.code == ErrorCode::kStorageUnavailable) throw;
          result.emplace(std::move(error));
        } catch (const MalformedRow&) {
          result.emplace(make_error(ErrorCode::kInternal, "stored data is malformed"));
        } catch (const std::exception&) {
          result.emplace(make_error(ErrorCode::kInternal, "unexpected storage failure"));
        }
        return result->ok();
      },
      [&](const Error& error) { result.emplace(error); }};
  batches_.submit(write, [this](std::span<BatchedWrite* const> batch) { run_batch(batch); });
  if (!result) return make_error(ErrorCode::kInternal, "unexpected storage failure");
  return std::move(*result);
}

template <class T, class Fn>
Result<T> TransactionRunner::write_batched(const ErrorText& text, Fn&& fn) {
  return write_statements_batched<T>(text, [&](SQLite::Database& db) {
    SqliteWriteTransaction tx(db, *clock_);
    return fn(tx);
  });
}

}  // namespace connect_auth::storage::sqlite
