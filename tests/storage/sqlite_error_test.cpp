#include "storage/sqlite/sqlite_error.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace connect_auth::storage::sqlite {
namespace {

constexpr ErrorText kText{"widget not found", "widget already exists", "owner not found"};

TEST(SqliteErrorTest, ConstraintsMapToConflictOrNotFound) {
  EXPECT_EQ(error_from_sqlite(SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_UNIQUE, kText).code,
            ErrorCode::kStorageConflict);
  const Error pk = error_from_sqlite(SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_PRIMARYKEY, kText);
  EXPECT_EQ(pk.code, ErrorCode::kStorageConflict);
  EXPECT_EQ(pk.description, "widget already exists");
  const Error fk = error_from_sqlite(SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_FOREIGNKEY, kText);
  EXPECT_EQ(fk.code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(fk.description, "owner not found");
  EXPECT_EQ(error_from_sqlite(SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_CHECK, kText).code,
            ErrorCode::kInternal);
}

TEST(SqliteErrorTest, EngineFaultsAreUnavailable) {
  for (int code : {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL,
                   SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_READONLY, SQLITE_NOMEM}) {
    const Error e = error_from_sqlite(code, code, kText);
    EXPECT_EQ(e.code, ErrorCode::kStorageUnavailable) << code;
    EXPECT_EQ(e.description.rfind("database unavailable: ", 0), 0u);
  }
  // Extended codes carry the primary code in their low byte.
  EXPECT_EQ(error_from_sqlite(SQLITE_IOERR_FSYNC, SQLITE_IOERR_FSYNC, kText).code,
            ErrorCode::kStorageUnavailable);
  EXPECT_EQ(error_from_sqlite(SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_SNAPSHOT, kText).code,
            ErrorCode::kStorageUnavailable);
}

TEST(SqliteErrorTest, BugsAreInternal) {
  for (int code : {SQLITE_ERROR, SQLITE_MISUSE, SQLITE_RANGE, SQLITE_MISMATCH}) {
    EXPECT_EQ(error_from_sqlite(code, code, kText).code, ErrorCode::kInternal) << code;
  }
}

}  // namespace
}  // namespace connect_auth::storage::sqlite
