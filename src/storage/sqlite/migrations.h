// The SQLite schema as an ordered list of numbered migrations. A migration, once released, is
// never edited: a schema change is a new entry at the end.
#pragma once

#include <span>

namespace connect_auth::storage::sqlite {

struct Migration {
  int version;      // 1, 2, 3, … without gaps
  const char* sql;  // one or more statements, run inside the migration transaction
};

std::span<const Migration> migrations() noexcept;

// The newest schema version this build knows.
int latest_schema_version() noexcept;

}  // namespace connect_auth::storage::sqlite
