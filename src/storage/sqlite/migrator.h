// Applies the numbered SQLite migrations (migrations.h) to a database.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>

#include "core/result.h"

namespace connect_auth::storage::sqlite {

// Applies every pending migration in one IMMEDIATE transaction, so two processes starting at
// once take turns and the second finds nothing to do. A schema newer than this build knows is
// refused (kStorageUnavailable, naming both versions). Throws SQLite::Exception on engine faults.
Result<void> apply_migrations(SQLite::Database& db, std::int64_t now_unix_s);

}  // namespace connect_auth::storage::sqlite
