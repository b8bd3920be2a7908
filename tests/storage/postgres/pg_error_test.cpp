#include "storage/postgres/pg_error.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "pg_fixture.h"
#include "storage/postgres/pg_pool.h"

namespace connect_auth::storage::postgres {
namespace {

constexpr ErrorText kText{"widget not found", "widget already exists", "owner not found"};

TEST(PgErrorMapping, IntegrityViolations) {
  const Error unique = error_from_fault({"23505"}, kText);
  EXPECT_EQ(unique.code, ErrorCode::kStorageConflict);
  EXPECT_EQ(unique.description, "widget already exists");
  const Error fk = error_from_fault({"23503"}, kText);
  EXPECT_EQ(fk.code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(fk.description, "owner not found");
  for (const char* s : {"23514", "23502", "23P01"}) {
    EXPECT_EQ(error_from_fault({s}, kText).code, ErrorCode::kInternal) << s;
  }
}

TEST(PgErrorMapping, TransientFaultsAreUnavailable) {
  for (const char* s :
       {"40001", "40P01", "40003", "08006", "08001", "08P01", "57P01", "57P02", "57P03", "55P03",
        "57014", "53300", "53100", "25006", "25P03", "58030", "XX001", "28P01"}) {
    const Error e = error_from_fault({s}, kText);
    EXPECT_EQ(e.code, ErrorCode::kStorageUnavailable) << s;
    EXPECT_EQ(e.description.rfind("database unavailable: ", 0), 0u) << s;
  }
  // No SQLSTATE at all, the connection gone: unavailable too.
  EXPECT_EQ(error_from_fault({"", true}, kText).code, ErrorCode::kStorageUnavailable);
  EXPECT_TRUE(fault_is_retryable({"40001"}));
  EXPECT_TRUE(fault_is_retryable({"40P01"}));
  EXPECT_FALSE(fault_is_retryable({"23505"}));
}

TEST(PgErrorMapping, BugsAreInternal) {
  for (const char* s : {"42601", "42P01", "42703", "22P02", "25P02", "0A000", ""}) {
    EXPECT_EQ(error_from_fault({s}, kText).code, ErrorCode::kInternal) << s;
  }
}

TEST(PgErrorMapping, TextThatIsNotUtf8IsTheCallersInput) {
  for (const char* s : {"22021", "22P05"}) {
    EXPECT_EQ(error_from_fault({s}, kText).code, ErrorCode::kInvalidRequest) << s;
  }
}

TEST(PgErrorMapping, WhichFaultsRetireTheConnection) {
  for (const char* s : {"08006", "08003", "57P01", "57P02", "57P03", "57P04", "25P03", "25006"}) {
    EXPECT_TRUE(fault_breaks_connection({s})) << s;
  }
  EXPECT_TRUE(fault_breaks_connection({"", true}));
  for (const char* s : {"23505", "23503", "40001", "40P01", "55P03", "57014", "42601", ""}) {
    EXPECT_FALSE(fault_breaks_connection({s})) << s;
  }
}

class PgErrorTest : public PgFixture {
 protected:
  void SetUp() override {
    PgFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    conn_ = connect();
    ASSERT_NE(conn_, nullptr);
    must(conn_->exec("CREATE TABLE owners (id BIGINT PRIMARY KEY)"));
    must(conn_->exec(
        "CREATE TABLE widgets (name TEXT PRIMARY KEY, owner BIGINT NOT NULL REFERENCES owners,"
        " size BIGINT NOT NULL CHECK (size > 0))"));
    must(conn_->exec("INSERT INTO owners VALUES (1)"));
    must(conn_->exec("INSERT INTO widgets VALUES ('w', 1, 1)"));
  }
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(PgErrorTest, RealUniqueViolationIsAConflict) {
  auto dup = conn_->exec("INSERT INTO widgets VALUES ('w', 1, 1)", {}, kText);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kStorageConflict);
  EXPECT_EQ(dup.error().description, "widget already exists");
  EXPECT_EQ(conn_->last_sqlstate(), "23505");
  EXPECT_TRUE(conn_->usable());
  EXPECT_TRUE(conn_->ping().ok());
  EXPECT_EQ(conn_->last_sqlstate(), "");
}

TEST_F(PgErrorTest, RealForeignKeyViolationIsNotFound) {
  PgParams p;
  p.text("v").int64(42);
  auto orphan = conn_->exec_prepared("pg_test_put_widget", "INSERT INTO widgets VALUES ($1, $2, 1)",
                                     p, kText);
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(orphan.error().description, "owner not found");
  EXPECT_EQ(conn_->last_sqlstate(), "23503");
}

TEST_F(PgErrorTest, CheckViolationAndBadSqlAreInternalAndQuoteNothing) {
  auto bad_row = conn_->exec("INSERT INTO widgets VALUES ('z', 1, -5)", {}, kText);
  ASSERT_FALSE(bad_row.ok());
  EXPECT_EQ(bad_row.error().code, ErrorCode::kInternal);
  auto bad_sql = conn_->exec("SELEC secret_column FROM widgets");
  ASSERT_FALSE(bad_sql.ok());
  EXPECT_EQ(bad_sql.error().code, ErrorCode::kInternal);
  EXPECT_EQ(bad_sql.error().description.find("secret_column"), std::string::npos);
  EXPECT_EQ(bad_sql.error().description.find("SELEC"), std::string::npos);
}

TEST_F(PgErrorTest, SerializationFailureIsUnavailableAndRetryable) {
  auto other = connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(conn_->begin(PgIsolation::kRepeatableRead).ok());
  must(conn_->exec("SELECT size FROM widgets WHERE name = 'w'"));  // takes the snapshot
  must(other->exec("UPDATE widgets SET size = 2 WHERE name = 'w'"));
  auto lost = conn_->exec("UPDATE widgets SET size = 3 WHERE name = 'w'");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_TRUE(fault_is_retryable({conn_->last_sqlstate()}));
  EXPECT_TRUE(conn_->rollback().ok());
  EXPECT_TRUE(conn_->usable());
}

TEST_F(PgErrorTest, LockTimeoutIsUnavailable) {
  auto holder = connect();
  ASSERT_NE(holder, nullptr);
  auto waiter = connect({.lock_timeout = std::chrono::milliseconds(200)});
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(holder->begin().ok());
  must(holder->exec("SELECT * FROM widgets WHERE name = 'w' FOR UPDATE"));
  ASSERT_TRUE(waiter->begin().ok());
  auto blocked = waiter->exec("SELECT * FROM widgets WHERE name = 'w' FOR UPDATE");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(waiter->last_sqlstate(), "55P03");
  EXPECT_TRUE(waiter->rollback().ok());
  EXPECT_TRUE(waiter->usable());
  EXPECT_TRUE(holder->rollback().ok());
}

TEST_F(PgErrorTest, StatementTimeoutIsUnavailable) {
  auto slow = connect({.statement_timeout = std::chrono::milliseconds(100)});
  ASSERT_NE(slow, nullptr);
  auto r = slow->exec("SELECT pg_sleep(5)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(slow->last_sqlstate(), "57014");
  EXPECT_TRUE(slow->usable());
}

TEST_F(PgErrorTest, KilledBackendIsUnavailableAndThePoolRecovers) {
  PgPool pool(url(), {.max_connections = 2});
  int killed_pid = 0;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().description;
    killed_pid = lease->conn().backend_pid();
    PgParams pid;
    pid.int64(killed_pid);
    // Waits (up to 5 s) until the backend has really exited.
    PgResult r = must(conn_->exec("SELECT pg_terminate_backend($1::integer, 5000)", pid));
    ASSERT_TRUE(r.get_bool(0, 0));
    auto after = lease->conn().exec("SELECT 1");
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code, ErrorCode::kStorageUnavailable);
    EXPECT_EQ(after.error().description.rfind("database unavailable: ", 0), 0u);
    EXPECT_FALSE(lease->conn().usable());
  }  // the broken connection is closed, not pooled
  EXPECT_EQ(pool.open_connections(), 0u);
  auto next = pool.acquire();
  ASSERT_TRUE(next.ok()) << next.error().description;
  EXPECT_TRUE(next->conn().ping().ok());
  EXPECT_NE(next->conn().backend_pid(), killed_pid);
}

}  // namespace
}  // namespace connect_auth::storage::postgres
