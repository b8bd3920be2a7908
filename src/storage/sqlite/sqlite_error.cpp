#include "storage/sqlite/sqlite_error.h"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <string>

namespace connect_auth::storage::sqlite {

Error error_from_sqlite(int primary_code, int extended_code, const ErrorText& text) {
  switch (primary_code & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (extended_code) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
          return make_error(ErrorCode::kStorageConflict, std::string(text.conflict));
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return make_error(ErrorCode::kStorageNotFound, std::string(text.missing_reference));
        default:
          // CHECK / NOT NULL: the store itself built a bad row; that is a bug, not bad input.
          return make_error(ErrorCode::kInternal, "a stored value was rejected by the schema");
      }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_INTERRUPT:
    case SQLITE_AUTH:
      // sqlite3_errstr() is a fixed English phrase per code ("disk I/O error"), never a path
      // or SQL, so operators learn the cause; the HTTP layer replaces it on the wire anyway.
      return make_error(ErrorCode::kStorageUnavailable, std::string("database unavailable: ") +
                                                            sqlite3_errstr(primary_code & 0xff));
    default: return make_error(ErrorCode::kInternal, "unexpected database error");
  }
}

Error error_from_exception(const SQLite::Exception& e, const ErrorText& text) {
  // SQLiteCpp raises some errors of its own (no SQLite code, -1): those are misuse, i.e. bugs.
  if (e.getErrorCode() < 0) return make_error(ErrorCode::kInternal, "unexpected database error");
  return error_from_sqlite(e.getErrorCode(), e.getExtendedErrorCode(), text);
}

}  // namespace connect_auth::storage::sqlite
