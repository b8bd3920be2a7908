// `connect-auth migrate` underneath: the schema status of each engine, read without changing
// anything, and migrations applied once. PostgreSQL cases run on the `postgres` CTest fixture's
// server (tests/storage/postgres) and skip without one.
#include "app/schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/pg_test_database.h"
#include "storage/sqlite/migrations.h"
#include "support/temp_dir.h"

namespace connect_auth::app {
namespace {

TEST(SchemaTest, SqliteStatusReadsWithoutCreatingThenMigrateAppliesEverything) {
  testing::TempDir dir;
  const std::filesystem::path db = dir.file("data") / "auth.db";
  const std::string url = "sqlite://" + db.string();
  const int latest = storage::sqlite::latest_schema_version();

  auto before = schema_status(url);
  ASSERT_TRUE(before.ok()) << before.error().description;
  EXPECT_EQ(before->engine, "sqlite");
  EXPECT_EQ(before->current, 0);
  EXPECT_EQ(before->latest, latest);
  EXPECT_FALSE(std::filesystem::exists(db)) << "--status must not create the database";

  auto applied = migrate_schema(url);
  ASSERT_TRUE(applied.ok()) << applied.error().description;
  EXPECT_EQ(applied->current, latest);
  auto again = migrate_schema(url);  // nothing left to do
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->current, latest);
  EXPECT_EQ(schema_status(url)->current, latest);
}

TEST(SchemaTest, PostgresStatusThenMigrate) {
  const std::optional<std::string> server = ::connect_auth::testing::postgres_test_url();
  if (!server) GTEST_SKIP() << ::connect_auth::testing::kNoPostgres;
  ::connect_auth::testing::PgTestDatabase database(*server);
  ASSERT_TRUE(database.ok()) << database.error();
  const int latest = storage::postgres::pg_latest_schema_version();

  auto before = schema_status(database.url());
  ASSERT_TRUE(before.ok()) << before.error().description;
  EXPECT_EQ(before->engine, "postgresql");
  EXPECT_EQ(before->current, 0);
  EXPECT_EQ(before->latest, latest);

  auto applied = migrate_schema(database.url());
  ASSERT_TRUE(applied.ok()) << applied.error().description;
  EXPECT_EQ(applied->current, latest);
  EXPECT_EQ(schema_status(database.url())->current, latest);
}

TEST(SchemaTest, UnreachablePostgresIsUnavailableWithoutThePassword) {
  auto status = schema_status("postgresql://app:s3cret@127.0.0.1:1/auth?connect_timeout=2");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(status.error().description.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace connect_auth::app
