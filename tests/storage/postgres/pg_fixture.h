// The fixture of the PostgreSQL groundwork tests: a fresh database per test (or a skip when no
// server is configured), and connections to it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "pg_test_database.h"
#include "storage/postgres/pg_connection.h"

namespace connect_auth::storage::postgres {

class PgFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = connect_auth::testing::postgres_test_url();
    if (!server) GTEST_SKIP() << connect_auth::testing::kNoPostgres;
    server_url_ = *server;
    db_.emplace(*server);
    ASSERT_TRUE(db_->ok()) << db_->error();
  }

  const std::string& url() const { return db_->url(); }

  // A new connection to the test's database; nullptr (and a test failure) if it fails.
  std::unique_ptr<PgConnection> connect(const PgConnectOptions& options = {}) {
    auto conn = PgConnection::connect(url(), options);
    EXPECT_TRUE(conn.ok()) << conn.error().description;
    return conn ? std::move(*conn) : nullptr;
  }

  // Runs one statement that must succeed; returns its rows.
  static PgResult must(Result<PgResult> result) {
    EXPECT_TRUE(result.ok()) << result.error().description;
    return result ? std::move(result).value() : PgResult(nullptr);
  }

  std::string server_url_;
  std::optional<connect_auth::testing::PgTestDatabase> db_;
};

}  // namespace connect_auth::storage::postgres
