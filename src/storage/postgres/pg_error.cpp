#include "storage/postgres/pg_error.h"

#include <string>

namespace connect_auth::storage::postgres {
namespace {

bool in_class(std::string_view sqlstate, std::string_view cls) {
  return sqlstate.size() == 5 && sqlstate.starts_with(cls);
}

Error unavailable(std::string_view why) {
  return make_error(ErrorCode::kStorageUnavailable,
                    std::string("database unavailable: ").append(why));
}

}  // namespace

bool fault_breaks_connection(const PgFault& fault) noexcept {
  const std::string_view s = fault.sqlstate;
  if (fault.connection_lost) return true;
  // 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown, 57P03
  // cannot_connect_now, 57P04 database_dropped, 57P05 idle_session_timeout: the server ends
  // the session right after sending them.
  if (in_class(s, "08") || (in_class(s, "57P") && s != "57P00")) return true;
  // 25P03 idle_in_transaction_session_timeout ends the session too.
  if (s == "25P03") return true;
  // 25006 read_only_sql_transaction: after a failover the same address may lead to another
  // server; a fresh connection may reach the new primary.
  if (s == "25006") return true;
  return false;
}

bool fault_is_retryable(const PgFault& fault) noexcept {
  return fault.sqlstate == "40001" || fault.sqlstate == "40P01";
}

Error error_from_fault(const PgFault& fault, const ErrorText& text) {
  const std::string_view s = fault.sqlstate;
  if (s == "23505") return make_error(ErrorCode::kStorageConflict, std::string(text.conflict));
  if (s == "23503") {
    return make_error(ErrorCode::kStorageNotFound, std::string(text.missing_reference));
  }
  if (in_class(s, "23")) {
    return make_error(ErrorCode::kInternal, "a stored value was rejected by the schema");
  }
  // Fixed phrases per cause: operators learn what happened, nothing from the server's message
  // (which can quote values) is passed on, and the HTTP layer hides them on the wire anyway.
  if (s == "40001") return unavailable("the transaction conflicted with another; try again");
  if (s == "40P01") return unavailable("deadlock detected; try again");
  if (in_class(s, "40")) return unavailable("the transaction was rolled back");
  // character_not_in_repertoire, untranslatable_character: a text value (never a key, which
  // travels as bytes) holds a NUL byte or invalid UTF-8. The caller's input, not our fault.
  if (s == "22021" || s == "22P05") {
    return make_error(ErrorCode::kInvalidRequest, "text must be valid UTF-8 without NUL bytes");
  }
  if (s == "55P03") return unavailable("a lock wait timed out");
  if (s == "57014") return unavailable("a statement timed out");
  if (s == "25006") return unavailable("the server is read-only");
  if (s == "25P03") return unavailable("the session was idle in a transaction for too long");
  if (in_class(s, "08") || in_class(s, "57P") || fault.connection_lost) {
    return unavailable("the connection was lost");
  }
  if (in_class(s, "53")) return unavailable("the server is out of resources");
  if (in_class(s, "28")) return unavailable("authentication failed");
  if (in_class(s, "58") || in_class(s, "XX")) return unavailable("server I/O or internal error");
  return make_error(ErrorCode::kInternal, "unexpected database error");
}

}  // namespace connect_auth::storage::postgres
