#include "storage/postgres/pg_transaction.h"

#include <utility>

namespace connect_auth::storage::postgres {

Result<PgTransaction> PgTransaction::begin(PgConnection& conn, PgIsolation isolation,
                                           PgAccess access) {
  if (auto started = conn.begin(isolation, access); !started) return std::move(started).error();
  return PgTransaction(&conn);
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : conn_(other.conn_), open_(std::exchange(other.open_, false)) {}

PgTransaction::~PgTransaction() {
  if (open_ && !conn_->rollback().ok()) conn_->mark_broken();
}

Result<void> PgTransaction::commit(const ErrorText& text) {
  open_ = false;  // a failed COMMIT ends the transaction too (or the connection is gone)
  return conn_->commit(text);
}

Result<void> PgTransaction::rollback() {
  open_ = false;
  auto done = conn_->rollback();
  if (!done) conn_->mark_broken();
  return done;
}

}  // namespace connect_auth::storage::postgres
