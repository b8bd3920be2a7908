// Test access to a real PostgreSQL: where the server is, and a fresh database per test.
//
// The server's URL comes from the file named by CONNECT_AUTH_TEST_POSTGRES_URL_FILE (what the
// ctest fixture `postgres` writes, see scripts/test-postgres.sh), else from
// CONNECT_AUTH_TEST_POSTGRES_URL. With neither, tests skip with kNoPostgres as the reason.
//
//   void SetUp() override {
//     auto server = connect_auth::testing::postgres_test_url();
//     if (!server) GTEST_SKIP() << connect_auth::testing::kNoPostgres;
//     db_.emplace(*server);
//     ASSERT_TRUE(db_->ok()) << db_->error();
//   }
//
// Each PgTestDatabase is CREATE DATABASE … TEMPLATE template0 under a unique name, so tests
// run in parallel (ctest -j) without sharing a row, and it is dropped WITH (FORCE) at the end,
// even if the test left connections open.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "storage/postgres/pg_connection.h"

namespace connect_auth::testing {

inline constexpr const char* kNoPostgres =
    "no PostgreSQL server: run through ctest (its `postgres` fixture starts one and sets "
    "CONNECT_AUTH_TEST_POSTGRES_URL_FILE) or set CONNECT_AUTH_TEST_POSTGRES_URL";

inline std::optional<std::string> postgres_test_url() {
  auto trimmed = [](std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
  };
  if (const char* file = std::getenv("CONNECT_AUTH_TEST_POSTGRES_URL_FILE"); file && *file) {
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line) && !trimmed(line).empty()) return trimmed(line);
  }
  if (const char* url = std::getenv("CONNECT_AUTH_TEST_POSTGRES_URL"); url && *url) {
    return trimmed(url);
  }
  return std::nullopt;
}

// `url` naming database `name` instead of its own (the URI path), query and userinfo kept.
inline std::string postgres_url_with_database(std::string_view url, std::string_view name) {
  const std::size_t authority = url.find("://");
  if (authority == std::string_view::npos) return std::string(url);
  std::size_t host = authority + 3;
  const std::size_t first_slash = url.find('/', host);
  const std::size_t at = url.substr(0, first_slash).rfind('@');
  if (at != std::string_view::npos && at >= host) host = at + 1;
  const std::size_t path = url.find_first_of("/?", host);
  std::string out(url.substr(0, path == std::string_view::npos ? url.size() : path));
  out.append("/").append(name);
  if (path == std::string_view::npos) return out;
  const std::size_t query = url.find('?', path);
  if (query != std::string_view::npos) out.append(url.substr(query));
  return out;
}

class PgTestDatabase {
 public:
  explicit PgTestDatabase(const std::string& server_url) {
    auto admin = storage::postgres::PgConnection::connect(server_url);
    if (!admin) {
      error_ = "cannot connect to the test server: " + admin.error().description;
      return;
    }
    admin_ = std::move(*admin);
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    // Unique across parallel test processes (pid), tests in one process (counter) and runs
    // that reuse pids (random). [a-z0-9_] only, so the name needs no quoting.
    name_ = "ca_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(random() % 1000000);
    // An identifier cannot be a parameter; the name is ours and plain.
    auto made = admin_->exec("CREATE DATABASE " + name_ + " TEMPLATE template0 ENCODING 'UTF8'");
    if (!made) {
      error_ = "CREATE DATABASE failed: " + made.error().description;
      name_.clear();
      return;
    }
    url_ = postgres_url_with_database(server_url, name_);
  }
  ~PgTestDatabase() {
    if (admin_ && !name_.empty())
      (void)admin_->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  bool ok() const { return !url_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& url() const { return url_; }  // the fresh database
  const std::string& name() const { return name_; }
  // A connection to the server's maintenance database, as the superuser of the test server.
  storage::postgres::PgConnection& admin() { return *admin_; }

 private:
  std::unique_ptr<storage::postgres::PgConnection> admin_;
  std::string name_;
  std::string url_;
  std::string error_;
};

}  // namespace connect_auth::testing
