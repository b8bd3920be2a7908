// A transaction that cannot be left open by accident: rolled back on destruction unless
// committed, so an early return or a MalformedRow thrown mid-way never leaves a connection
// inside a transaction (holding row locks, e.g. the change-feed lock) when it goes back to
// the pool.
#pragma once

#include "core/result.h"
#include "storage/postgres/pg_connection.h"

namespace connect_auth::storage::postgres {

class PgTransaction {
 public:
  static Result<PgTransaction> begin(PgConnection& conn,
                                     PgIsolation isolation = PgIsolation::kReadCommitted,
                                     PgAccess access = PgAccess::kReadWrite);
  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction& operator=(PgTransaction&&) = delete;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  // Rolls back if still open; a rollback that fails marks the connection broken.
  ~PgTransaction();

  Result<void> commit(const ErrorText& text = {});
  Result<void> rollback();
  PgConnection& connection() noexcept { return *conn_; }

 private:
  explicit PgTransaction(PgConnection* conn) noexcept : conn_(conn) {}
  PgConnection* conn_;
  bool open_ = true;
};

}  // namespace connect_auth::storage::postgres
