#include "storage/postgres/pg_runner.h"

#include "storage/postgres/pg_error.h"
#include "storage/postgres/pg_result.h"

namespace connect_auth::storage::postgres {

StatementFailed statement_failed(PgConnection& conn, Error error) {
  const PgFault fault{conn.last_sqlstate(), !conn.usable()};
  return StatementFailed{std::move(error), fault_is_retryable(fault)};
}

PgResult run(PgConnection& conn, std::string_view name, std::string_view sql,
             const PgParams& params, const ErrorText& text) {
  auto result = conn.exec_prepared(name, sql, params, text);
  if (!result) throw statement_failed(conn, std::move(result).error());
  return std::move(result).value();
}

PgResult PgWriteTransaction::exec(std::string_view name, std::string_view sql,
                                  const PgParams& params) {
  return run(conn_, name, sql, params, text_);
}

std::optional<Error> error_of_current_exception() {
  try {
    throw;
  } catch (const StatementFailed& failed) {
    if (failed.retryable) return std::nullopt;
    return failed.error;
  } catch (const MalformedRow&) {
    return make_error(ErrorCode::kInternal, "stored data is malformed");
  } catch (const std::exception&) {
    return make_error(ErrorCode::kInternal, "unexpected storage failure");
  }
}

}  // namespace connect_auth::storage::postgres
