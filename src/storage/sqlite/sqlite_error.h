// Turns SQLite failures into the store's error contract (store.h). The engine's own message
// is never copied: it can quote SQL or a file path.
#pragma once

#include <string_view>

#include "core/error.h"
#include "storage/error_texts.h"

namespace SQLite {
class Exception;
}

namespace connect_auth::storage::sqlite {

// UNIQUE / PRIMARY KEY → kStorageConflict; FOREIGN KEY → kStorageNotFound (the referenced row
// does not exist); BUSY, LOCKED, IOERR, CANTOPEN, FULL, CORRUPT, … → kStorageUnavailable;
// anything else (a bug: bad SQL, misuse) → kInternal.
Error error_from_sqlite(int primary_code, int extended_code, const ErrorText& text);
Error error_from_exception(const SQLite::Exception& e, const ErrorText& text);

}  // namespace connect_auth::storage::sqlite
