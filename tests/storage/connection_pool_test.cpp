#include "storage/sqlite/connection_pool.h"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "storage/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

// The backend under test, by the name these tests have always used.
namespace connect_auth::storage {
using sqlite::SqliteStore;
}  // namespace connect_auth::storage

namespace connect_auth::storage::sqlite {
namespace {

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(SqliteStore::open(db_).ok()); }  // creates the file

  connect_auth::testing::TempDir dir_;
  std::filesystem::path db_ = dir_.file("pool.db");
};

TEST_F(ConnectionPoolTest, ReusesIdleConnections) {
  ConnectionPool pool(db_.string(), 2);
  sqlite3* first = nullptr;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().description;
    first = lease->db().getHandle();
  }
  auto again = pool.acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->db().getHandle(), first);
}

TEST_F(ConnectionPoolTest, WaitsForAConnectionWhenAllAreLeased) {
  ConnectionPool pool(db_.string(), 1);
  auto held = std::make_optional(pool.acquire());
  ASSERT_TRUE(held->ok());
  std::thread giver([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.reset();
  });
  const auto start = std::chrono::steady_clock::now();
  auto next = pool.acquire();
  const auto waited = std::chrono::steady_clock::now() - start;
  giver.join();
  ASSERT_TRUE(next.ok()) << next.error().description;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
}

TEST_F(ConnectionPoolTest, ConnectionLeftInATransactionIsNotReused) {
  ConnectionPool pool(db_.string(), 1);
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    lease->db().exec("BEGIN IMMEDIATE");  // as if a rollback had failed
  }
  auto next = pool.acquire();
  ASSERT_TRUE(next.ok());
  EXPECT_NE(sqlite3_get_autocommit(next->db().getHandle()), 0);
  // And the abandoned transaction released its write lock when its connection closed.
  SQLite::Database other(db_.string(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE; COMMIT;");
}

TEST_F(ConnectionPoolTest, ConnectionsHaveForeignKeysOn) {
  ConnectionPool pool(db_.string());
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->db().execAndGet("PRAGMA foreign_keys").getInt(), 1);
  EXPECT_EQ(lease->db().execAndGet("PRAGMA synchronous").getInt(), 2);  // FULL
  EXPECT_EQ(lease->db().execAndGet("PRAGMA busy_timeout").getInt(), kBusyTimeoutMs);
}

TEST_F(ConnectionPoolTest, MissingFileIsUnavailableNotRecreated) {
  ConnectionPool pool(dir_.file("nope.db").string());
  auto lease = pool.acquire();
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("nope.db")));
}

}  // namespace
}  // namespace connect_auth::storage::sqlite
