#include "storage/postgres/pg_connection.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "pg_fixture.h"
#include "storage/postgres/pg_transaction.h"

namespace connect_auth::storage::postgres {
namespace {

using ConnectionTest = PgFixture;

TEST_F(ConnectionTest, ConnectsWithSessionSettingsAndPings) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_TRUE(conn->ping().ok());
  EXPECT_TRUE(conn->usable());
  EXPECT_GE(conn->server_version(), 150000);
  EXPECT_EQ(conn->server_parameter("client_encoding"), "UTF8");
  EXPECT_GT(conn->backend_pid(), 0);
  PgResult settings = must(
      conn->exec("SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),"
                 " current_setting('bytea_output'), current_setting('application_name')"));
  EXPECT_EQ(settings.get_text(0, 0), "5s");
  EXPECT_EQ(settings.get_text(0, 1), "30s");
  EXPECT_EQ(settings.get_text(0, 2), "hex");
  EXPECT_EQ(settings.get_text(0, 3), "connect-auth");
}

TEST_F(ConnectionTest, PreparesAStatementOncePerConnection) {
  auto conn = connect();
  auto other = connect();
  ASSERT_TRUE(conn && other);
  constexpr const char* kSql = "SELECT $1::bigint + 1";
  for (std::int64_t i = 0; i < 3; ++i) {
    PgParams params;
    params.int64(i);
    PgResult r = must(conn->exec_prepared("pg_test_add", kSql, params));
    EXPECT_EQ(r.get_int64(0, 0), i + 1);
  }
  EXPECT_TRUE(conn->is_prepared("pg_test_add"));
  EXPECT_EQ(conn->prepared_count(), 1u);
  // One server-side statement, executed three times (custom + generic plans count executions).
  PgResult seen =
      must(conn->exec("SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0)::bigint"
                      " FROM pg_prepared_statements WHERE name = 'pg_test_add'"));
  EXPECT_EQ(seen.get_int64(0, 0), 1);
  EXPECT_EQ(seen.get_int64(0, 1), 3);
  // The cache is per connection: the other one has prepared nothing.
  EXPECT_FALSE(other->is_prepared("pg_test_add"));
  PgResult none = must(other->exec("SELECT count(*) FROM pg_prepared_statements"));
  EXPECT_EQ(none.get_int64(0, 0), 0);
}

TEST_F(ConnectionTest, PreparedStatementSurvivesARolledBackTransaction) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->begin().ok());
  EXPECT_EQ(must(conn->exec_prepared("pg_test_one", "SELECT 1")).get_int64(0, 0), 1);
  ASSERT_TRUE(conn->rollback().ok());
  EXPECT_EQ(must(conn->exec_prepared("pg_test_one", "SELECT 1")).get_int64(0, 0), 1);
  EXPECT_EQ(must(conn->exec("SELECT count(*) FROM pg_prepared_statements")).get_int64(0, 0), 1);
}

TEST_F(ConnectionTest, StatementNameReusedForOtherSqlIsABug) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->exec_prepared("pg_test_q", "SELECT 1").ok());
  auto again = conn->exec_prepared("pg_test_q", "SELECT 2");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInternal);
  auto bad_name = conn->exec_prepared("Bad; name", "SELECT 1");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().code, ErrorCode::kInternal);
}

TEST_F(ConnectionTest, ByteaRoundTripKeepsZeroBytes) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  must(conn->exec("CREATE TABLE blobs (id BIGINT PRIMARY KEY, b BYTEA NOT NULL)"));
  std::array<std::uint8_t, 32> hash{};  // all zero but two bytes: a C string would be empty
  hash[5] = 0x01;
  hash[31] = 0xff;
  std::vector<std::uint8_t> every_byte(256);
  for (int i = 0; i < 256; ++i) every_byte[i] = static_cast<std::uint8_t>(i);
  const std::vector<std::uint8_t> empty;
  const std::vector<std::vector<std::uint8_t>> values{
      {hash.begin(), hash.end()}, every_byte, empty, {0x00}};
  for (std::size_t i = 0; i < values.size(); ++i) {
    PgParams p;
    p.int64(static_cast<std::int64_t>(i)).bytes(values[i]);
    must(conn->exec_prepared("pg_test_put", "INSERT INTO blobs (id, b) VALUES ($1, $2)", p));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    PgParams p;
    p.int64(static_cast<std::int64_t>(i));
    PgResult r = must(conn->exec("SELECT b, octet_length(b) FROM blobs WHERE id = $1", p));
    ASSERT_EQ(r.rows(), 1);
    EXPECT_EQ(r.get_bytes(0, 0), values[i]) << i;
    EXPECT_EQ(r.get_int64(0, 1), static_cast<std::int64_t>(values[i].size())) << i;
  }
  // A bytea parameter also works as a lookup key, and the fixed-size getter reads it back.
  PgParams key;
  key.bytes(hash);
  PgResult found = must(conn->exec("SELECT id, b FROM blobs WHERE b = $1", key));
  ASSERT_EQ(found.rows(), 1);
  EXPECT_EQ(found.get_int64(0, 0), 0);
  EXPECT_EQ(found.get_fixed_bytes<32>(0, 1), hash);
  EXPECT_THROW((void)found.get_fixed_bytes<31>(0, 1), MalformedRow);
}

TEST_F(ConnectionTest, TextParametersAreExactBytesAndNeverSql) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  for (const std::string value : {"Ünïcödé ✓", "'); DROP TABLE x; --", "$1", "back\\slash", ""}) {
    PgParams p;
    p.text(value);
    PgResult r = must(conn->exec("SELECT $1::text, octet_length($1::text)", p));
    EXPECT_EQ(r.get_text(0, 0), value);
    EXPECT_EQ(r.get_int64(0, 1), static_cast<std::int64_t>(value.size()));
  }
  // A NUL byte or invalid UTF-8 is refused as the caller's input, never cut short: libpq's
  // text format would have sent "name" for "name\0x" and matched another row.
  for (const std::string value : {std::string("name\0x", 6), std::string("n\xff")}) {
    PgParams p;
    p.text(value);
    auto r = conn->exec("SELECT $1::text", p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  }
}

TEST_F(ConnectionTest, TypedGettersRefuseTypeSurprises) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  PgResult r = must(conn->exec(
      "SELECT 1::integer AS i, 9223372036854775807::bigint AS big, 'x'::text AS t, true AS yes,"
      " NULL::bigint AS nothing, '\\x00ff'::bytea AS b, false AS no"));
  EXPECT_EQ(r.get_int64(0, r.column("i")), 1);
  EXPECT_EQ(r.get_int64(0, r.column("big")), INT64_MAX);
  EXPECT_EQ(r.get_text(0, r.column("t")), "x");
  EXPECT_TRUE(r.get_bool(0, r.column("yes")));
  EXPECT_FALSE(r.get_bool(0, r.column("no")));
  EXPECT_TRUE(r.is_null(0, r.column("nothing")));
  EXPECT_EQ(r.get_optional_int64(0, r.column("nothing")), std::nullopt);
  EXPECT_EQ(r.get_optional_int64(0, r.column("i")), 1);
  EXPECT_EQ(r.get_bytes(0, r.column("b")), (std::vector<std::uint8_t>{0x00, 0xff}));

  EXPECT_THROW((void)r.get_int64(0, r.column("t")), MalformedRow);
  EXPECT_THROW((void)r.get_text(0, r.column("i")), MalformedRow);
  EXPECT_THROW((void)r.get_bool(0, r.column("i")), MalformedRow);
  EXPECT_THROW((void)r.get_bytes(0, r.column("t")), MalformedRow);
  EXPECT_THROW((void)r.get_int64(0, r.column("nothing")), MalformedRow);
  EXPECT_THROW((void)r.get_text(1, 0), MalformedRow);
  EXPECT_THROW((void)r.get_text(0, 99), MalformedRow);
  EXPECT_THROW((void)r.column("missing"), MalformedRow);
}

TEST_F(ConnectionTest, AffectedRowsAndCommandTag) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  must(conn->exec("CREATE TABLE n (v BIGINT)"));
  PgResult inserted = must(conn->exec("INSERT INTO n SELECT generate_series(1, 3)"));
  EXPECT_EQ(inserted.affected_rows(), 3);
  EXPECT_EQ(inserted.command_tag(), "INSERT 0 3");
  EXPECT_EQ(must(conn->exec("DELETE FROM n WHERE v > 1")).affected_rows(), 2);
}

TEST_F(ConnectionTest, CommitRollbackAndTheTransactionGuard) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  must(conn->exec("CREATE TABLE t (v BIGINT PRIMARY KEY)"));
  auto count = [&] { return must(conn->exec("SELECT count(*) FROM t")).get_int64(0, 0); };

  ASSERT_TRUE(conn->begin().ok());
  EXPECT_TRUE(conn->in_transaction());
  must(conn->exec("INSERT INTO t VALUES (1)"));
  ASSERT_TRUE(conn->commit().ok());
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(count(), 1);

  ASSERT_TRUE(conn->begin(PgIsolation::kRepeatableRead).ok());
  must(conn->exec("INSERT INTO t VALUES (2)"));
  ASSERT_TRUE(conn->rollback().ok());
  EXPECT_EQ(count(), 1);

  {  // a guard that is never committed rolls back
    auto tx = PgTransaction::begin(*conn, PgIsolation::kSerializable);
    ASSERT_TRUE(tx.ok());
    must(conn->exec("INSERT INTO t VALUES (3)"));
  }
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(count(), 1);

  // COMMIT of a failed transaction is an error, not the server's quiet "ROLLBACK".
  ASSERT_TRUE(conn->begin().ok());
  must(conn->exec("INSERT INTO t VALUES (4)"));
  EXPECT_FALSE(conn->exec("INSERT INTO t VALUES (1)").ok());  // duplicate
  auto committed = conn->commit();
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(count(), 1);

  // A read-only transaction refuses writes.
  ASSERT_TRUE(conn->begin(PgIsolation::kRepeatableRead, PgAccess::kReadOnly).ok());
  EXPECT_FALSE(conn->exec("INSERT INTO t VALUES (5)").ok());
  ASSERT_TRUE(conn->rollback().ok());
}

TEST_F(ConnectionTest, BadUrlsAreRefusedWithoutEchoingThem) {
  auto wrong_scheme = PgConnection::connect("mysql://u:s3cr3t@localhost/db");
  ASSERT_FALSE(wrong_scheme.ok());
  EXPECT_EQ(wrong_scheme.error().code, ErrorCode::kInvalidRequest);
  auto unparsable = PgConnection::connect("postgresql://u:s3cr3t@localhost/db?no_such_option=1");
  ASSERT_FALSE(unparsable.ok());
  EXPECT_EQ(unparsable.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(unparsable.error().description.find("s3cr3t"), std::string::npos);
  // Port 1 on loopback: refused at once.
  auto refused = PgConnection::connect("postgresql://u:s3cr3t@127.0.0.1:1/db");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(refused.error().description.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(refused.error().description.find("127.0.0.1"), std::string::npos);
}

TEST_F(ConnectionTest, WrongPasswordIsUnavailableAndNotEchoed) {
  // The fixture's server uses scram-sha-256 and a generated password in its URL.
  const std::string url = db_->url();
  const std::size_t at = url.find('@');
  const std::size_t colon = url.find(':', url.find("://") + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) {
    GTEST_SKIP() << "the test server's URL carries no password";
  }
  const std::string wrong = url.substr(0, colon + 1) + "Wr0ngPassw0rd" + url.substr(at);
  auto conn = PgConnection::connect(wrong);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(conn.error().description.find("Wr0ngPassw0rd"), std::string::npos);
  // And without any password: the hint says one is wanted.
  const std::string none = url.substr(0, colon) + url.substr(at);
  auto bare = PgConnection::connect(none);
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().description.find("password"), std::string::npos);
}

}  // namespace
}  // namespace connect_auth::storage::postgres
