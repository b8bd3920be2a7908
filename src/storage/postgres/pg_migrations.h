// The PostgreSQL schema as an ordered list of numbered migrations, and the code that applies
// them. A migration, once released, is never edited: a schema change is a new entry at the end.
//
// Several nodes may start at once against one database: migrate() runs in one transaction
// under a transaction-scoped advisory lock, so they take turns and all but the first find
// nothing to do. A database written by a newer connect-auth is refused, never "downgraded".
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.h"
#include "storage/postgres/pg_connection.h"

namespace connect_auth::storage::postgres {

struct PgMigration {
  int version;                                   // 1, 2, 3, … without gaps
  std::span<const std::string_view> statements;  // each one statement, run in order
};

std::span<const PgMigration> pg_migrations() noexcept;

// The newest schema version this build knows.
int pg_latest_schema_version() noexcept;

struct SchemaVersion {
  int current = 0;  // 0: no schema yet
  int latest = 0;   // pg_latest_schema_version()
};

// Reads the version without changing anything (for `connect-auth migrate --status`).
Result<SchemaVersion> read_schema_version(PgConnection& conn);

// The key of the advisory lock migrate() holds; other maintenance that must not overlap a
// migration can take it too.
inline constexpr std::int64_t kMigrationLockKey = 0x63612d736368656dLL;  // "ca-schem"

// Applies the missing migrations in one transaction and returns the resulting version.
// `now_unix` is recorded as applied_at. Waits up to `lock_wait` for another node's migration
// to finish. Errors: kStorageUnavailable when the schema is newer than this build ("database
// schema version N is newer than this build supports (M); upgrade connect-auth"), when the
// database is not UTF8, or on any database failure (nothing is then applied).
Result<SchemaVersion> migrate(PgConnection& conn, std::int64_t now_unix,
                              std::chrono::milliseconds lock_wait = std::chrono::seconds(60));

}  // namespace connect_auth::storage::postgres
