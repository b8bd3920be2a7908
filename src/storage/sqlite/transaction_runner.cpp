#include "storage/sqlite/transaction_runner.h"

#include <sqlite3.h>

namespace connect_auth::storage::sqlite {

// Runs one batch as one write transaction. Each request gets its own SAVEPOINT, so a request
// that fails (a uniqueness clash, a missing user) undoes only its own writes. An engine fault
// thrown by any request, or a failed BEGIN or COMMIT, fails every request of the batch with
// the transaction's error: nothing of it was committed, so no caller may act as if it had been.
void TransactionRunner::run_batch(std::span<BatchedWrite* const> batch) {
  const Result<void> committed =
      transact<void>(true, {}, [&](SQLite::Database& db) -> Result<void> {
        for (BatchedWrite* write : batch) {
          db.exec("SAVEPOINT request");
          const bool keep = write->apply(db);
          // Some errors make SQLite roll back the whole transaction by itself. Going on would
          // run later requests in autocommit mode, and the requests before would be lost
          // while reported as done.
          if (sqlite3_get_autocommit(db.getHandle()) != 0) {
            return make_error(ErrorCode::kStorageUnavailable,
                              "database unavailable: the transaction was aborted");
          }
          if (keep) {
            db.exec("RELEASE request");
          } else {
            db.exec("ROLLBACK TO request");
            db.exec("RELEASE request");
          }
        }
        return Ok{};
      });
  if (!committed) {
    for (BatchedWrite* write : batch) write->fail(committed.error());
  }
}

}  // namespace connect_auth::storage::sqlite
