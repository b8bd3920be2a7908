// Applies the numbered SQLite migrations (migrations.h) to a database.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <filesystem>

#include "core/result.h"

namespace connect_auth::storage::sqlite {

// Applies every pending migration in one IMMEDIATE transaction, so two processes starting at
// once take turns and the second finds nothing to do. A schema newer than this build knows is
// refused (kStorageUnavailable, naming both versions). Throws SQLite::Exception on engine faults.
Result<void> apply_migrations(SQLite::Database& db, std::int64_t now_unix_s);

// The schema version of the database file at `path` without changing anything: 0 when the file
// or its schema does not exist yet. kStorageUnavailable when it cannot be read.
Result<int> read_schema_version(const std::filesystem::path& path);

}  // namespace connect_auth::storage::sqlite
