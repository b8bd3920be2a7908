#include "storage/postgres/pg_migrations.h"

#include <gtest/gtest.h>

#include <barrier>
#include <future>
#include <thread>
#include <vector>

#include "pg_fixture.h"

namespace connect_auth::storage::postgres {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

class MigrationsTest : public PgFixture {
 protected:
  void SetUp() override {
    PgFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    conn_ = connect();
    ASSERT_NE(conn_, nullptr);
  }
  std::int64_t count(const char* sql) { return must(conn_->exec(sql)).get_int64(0, 0); }
  void migrate_now() {
    auto v = migrate(*conn_, kNow);
    ASSERT_TRUE(v.ok()) << v.error().description;
  }
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(MigrationsTest, AFreshDatabaseHasNoSchemaAndReadingChangesNothing) {
  auto v = read_schema_version(*conn_);
  ASSERT_TRUE(v.ok()) << v.error().description;
  EXPECT_EQ(v->current, 0);
  EXPECT_EQ(v->latest, pg_latest_schema_version());
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);
}

TEST_F(MigrationsTest, AppliesEveryTableOnce) {
  auto v = migrate(*conn_, kNow);
  ASSERT_TRUE(v.ok()) << v.error().description;
  EXPECT_EQ(v->current, pg_latest_schema_version());
  EXPECT_EQ(count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN"
                  " ('accounts', 'users', 'user_roles', 'api_keys', 'api_key_accounts',"
                  " 'signing_keys', 'refresh_families', 'refresh_tokens', 'login_failures',"
                  " 'changes', 'change_feed', 'revoked_access_tokens', 'schema_migrations')"),
            13);
  PgResult applied = must(conn_->exec("SELECT version, applied_at FROM schema_migrations"));
  ASSERT_EQ(applied.rows(), pg_latest_schema_version());
  EXPECT_EQ(applied.get_int64(0, 1), kNow);
  PgResult feed = must(conn_->exec("SELECT id, last_seq, pruned_through FROM change_feed"));
  ASSERT_EQ(feed.rows(), 1);
  EXPECT_EQ(feed.get_int64(0, 1), 0);
  EXPECT_EQ(feed.get_int64(0, 2), 0);
  auto read = read_schema_version(*conn_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->current, pg_latest_schema_version());
}

TEST_F(MigrationsTest, IsIdempotent) {
  migrate_now();
  auto again = migrate(*conn_, kNow + 100);
  ASSERT_TRUE(again.ok()) << again.error().description;
  EXPECT_EQ(again->current, pg_latest_schema_version());
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), pg_latest_schema_version());
  EXPECT_EQ(count("SELECT max(applied_at) FROM schema_migrations"), kNow);  // not re-applied
  EXPECT_EQ(count("SELECT count(*) FROM change_feed"), 1);
}

TEST_F(MigrationsTest, ConcurrentMigratorsTakeTurns) {
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<PgConnection>> conns;
  for (int i = 0; i < kNodes; ++i) {
    conns.push_back(connect());
    ASSERT_NE(conns.back(), nullptr);
  }
  std::barrier start(kNodes);
  std::vector<std::future<Result<SchemaVersion>>> results;
  results.reserve(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      start.arrive_and_wait();
      return migrate(*conns[i], kNow + i);
    }));
  }
  for (auto& r : results) {
    auto v = r.get();
    ASSERT_TRUE(v.ok()) << v.error().description;
    EXPECT_EQ(v->current, pg_latest_schema_version());
  }
  EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), pg_latest_schema_version());
  EXPECT_EQ(count("SELECT count(*) FROM change_feed"), 1);
}

TEST_F(MigrationsTest, ANewerSchemaIsRefusedWithBothVersions) {
  migrate_now();
  const int latest = pg_latest_schema_version();
  PgParams p;
  p.int64(latest + 1).int64(kNow);
  must(conn_->exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", p));
  auto refused = migrate(*conn_, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kStorageUnavailable);
  const std::string& text = refused.error().description;
  EXPECT_NE(text.find("version " + std::to_string(latest + 1)), std::string::npos) << text;
  EXPECT_NE(text.find("(" + std::to_string(latest) + ")"), std::string::npos) << text;
  EXPECT_NE(text.find("upgrade connect-auth"), std::string::npos) << text;
  EXPECT_FALSE(conn_->in_transaction());
  auto read = read_schema_version(*conn_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->current, latest + 1);
}

TEST_F(MigrationsTest, ANonUtf8DatabaseIsRefused) {
  const std::string name = db_->name() + "_ascii";
  must(db_->admin().exec(
      "CREATE DATABASE " + name +
      " TEMPLATE template0 ENCODING 'SQL_ASCII' LOCALE_PROVIDER libc LOCALE 'C'"));
  {
    auto ascii =
        PgConnection::connect(connect_auth::testing::postgres_url_with_database(server_url_, name));
    ASSERT_TRUE(ascii.ok()) << ascii.error().description;
    auto refused = migrate(**ascii, kNow);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().description.find("UTF8"), std::string::npos);
  }
  must(db_->admin().exec("DROP DATABASE " + name + " WITH (FORCE)"));
}

// The schema keeps SQLite's constraints (src/storage/sqlite/migrations.cpp).
class SchemaTest : public MigrationsTest {
 protected:
  void SetUp() override {
    MigrationsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    migrate_now();
    must(conn_->exec("INSERT INTO accounts VALUES ('acct', 'Acme', 'US', true)"));
    must(conn_->exec(
        "INSERT INTO users (user_name, password_hash, disabled) VALUES ('ops', 'h', false)"));
    user_id_ = count("SELECT id FROM users WHERE user_name = 'ops'");
  }
  Result<PgResult> insert_key(std::string_view api_id, std::size_t hash_size) {
    const std::vector<std::uint8_t> hash(hash_size, 0);
    PgParams p;
    p.key(api_id).int64(user_id_).bytes(hash);
    return conn_->exec(
        "INSERT INTO api_keys (api_id, user_id, secret_hash, generation, created_at, updated_at)"
        " VALUES ($1, $2, $3, 1, 0, 0)",
        p);
  }
  std::int64_t user_id_ = 0;
};

TEST_F(SchemaTest, TextKeysCompareAndSortAsBytes) {
  // Case and look-alikes are distinct names...
  must(conn_->exec(
      "INSERT INTO users (user_name, password_hash, disabled) VALUES ('Ops', 'h', false)"));
  auto dup = conn_->exec(
      "INSERT INTO users (user_name, password_hash, disabled) VALUES ('ops', 'h', false)");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kStorageConflict);
  // ...and ordering is by byte, whatever the database's default collation says.
  for (const char* id : {"b", "B", "a", "_", "\xc3\xa9"}) ASSERT_TRUE(insert_key(id, 32).ok());
  PgResult r = must(conn_->exec("SELECT api_id FROM api_keys ORDER BY api_id"));
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.get_key(i, 0));
  EXPECT_EQ(ids, (std::vector<std::string>{"B", "_", "a", "b", "\xc3\xa9"}));
  // Keys are bytes: a NUL byte or invalid UTF-8 is kept, never cut short or refused.
  const std::string odd("K\0x\xff", 4);
  ASSERT_TRUE(insert_key(odd, 32).ok());
  PgParams by_id;
  by_id.key(odd);
  EXPECT_EQ(must(conn_->exec("SELECT api_id FROM api_keys WHERE api_id = $1", by_id)).get_key(0, 0),
            odd);
  PgParams cut;
  cut.key("K");
  EXPECT_EQ(must(conn_->exec("SELECT api_id FROM api_keys WHERE api_id = $1", cut)).rows(), 0);
}

TEST_F(SchemaTest, HashesMustHave32Bytes) {
  EXPECT_TRUE(insert_key("K32", 32).ok());
  for (std::size_t size : {0u, 31u, 33u}) {
    auto bad = insert_key("K" + std::to_string(size), size);
    ASSERT_FALSE(bad.ok()) << size;
    EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
    EXPECT_EQ(conn_->last_sqlstate(), "23514");
  }
}

TEST_F(SchemaTest, ForeignKeysCascadesAndChecks) {
  ASSERT_TRUE(insert_key("K1", 32).ok());
  must(conn_->exec("INSERT INTO api_key_accounts VALUES ('K1', 'acct')"));
  auto unknown_account = conn_->exec("INSERT INTO api_key_accounts VALUES ('K1', 'nope')");
  ASSERT_FALSE(unknown_account.ok());
  EXPECT_EQ(unknown_account.error().code, ErrorCode::kStorageNotFound);
  auto unknown_user = conn_->exec("INSERT INTO user_roles VALUES (999, 'acct', 'MANAGER')");
  ASSERT_FALSE(unknown_user.ok());
  EXPECT_EQ(unknown_user.error().code, ErrorCode::kStorageNotFound);
  auto bad_role = conn_->exec("INSERT INTO user_roles VALUES (1, 'acct', 'OWNER')");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_EQ(conn_->last_sqlstate(), "23514");
  // Deleting a key takes its account grants with it; deleting a used account is refused.
  must(conn_->exec("DELETE FROM api_keys WHERE api_id = 'K1'"));
  EXPECT_EQ(count("SELECT count(*) FROM api_key_accounts"), 0);
  must(conn_->exec("INSERT INTO user_roles VALUES (" + std::to_string(user_id_) +
                   ", 'acct', 'MANAGER')"));
  EXPECT_FALSE(conn_->exec("DELETE FROM accounts WHERE guid = 'acct'").ok());
  // A refresh family's tokens go with it.
  PgParams fam;
  fam.int64(user_id_);
  const std::int64_t family =
      must(conn_->exec(
               "INSERT INTO refresh_families (user_id, scope, current_generation, rotated_at_ms,"
               " created_at_ms, absolute_expires_at_ms) VALUES ($1, 'offline_access', 1, 0, 0, 1)"
               " RETURNING id",
               fam))
          .get_int64(0, 0);
  PgParams tok;
  tok.bytes(std::vector<std::uint8_t>(32, 7)).int64(family);
  must(conn_->exec("INSERT INTO refresh_tokens VALUES ($1, $2, 1, 0, NULL)", tok));
  must(conn_->exec("DELETE FROM refresh_families"));
  EXPECT_EQ(count("SELECT count(*) FROM refresh_tokens"), 0);
  // The change kinds are a closed set, and the feed has exactly one row.
  EXPECT_FALSE(conn_->exec("INSERT INTO changes VALUES (1, 'widget', 'x', 0)").ok());
  EXPECT_TRUE(conn_->exec("INSERT INTO changes VALUES (1, 'access_token', 'x', 0)").ok());
  EXPECT_FALSE(conn_->exec("INSERT INTO change_feed VALUES (2, 0, 0)").ok());
  EXPECT_FALSE(conn_->exec("UPDATE change_feed SET pruned_through = 5").ok());  // > last_seq
}

// The design the change feed's comment describes: seqs come from the one change_feed row,
// locked until commit, so they are handed out in commit order and without holes.
TEST_F(SchemaTest, ChangeFeedSeqsAreTakenInCommitOrder) {
  auto second = connect();
  ASSERT_NE(second, nullptr);
  constexpr const char* kTake =
      "UPDATE change_feed SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq";
  PgParams two;
  two.int64(2);
  ASSERT_TRUE(conn_->begin().ok());
  EXPECT_EQ(must(conn_->exec(kTake, two)).get_int64(0, 0), 2);
  // The second writer blocks on the row until the first one ends...
  auto waiting = std::async(std::launch::async, [&] {
    PgParams one;
    one.int64(1);
    EXPECT_TRUE(second->begin().ok());
    auto r = second->exec(kTake, one);
    const std::int64_t seq = r ? r->get_int64(0, 0) : -1;
    EXPECT_TRUE(second->commit().ok());
    return seq;
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  // ...and a rollback hands the same numbers out again: no hole in the feed.
  ASSERT_TRUE(conn_->rollback().ok());
  EXPECT_EQ(waiting.get(), 1);
  EXPECT_EQ(count("SELECT last_seq FROM change_feed"), 1);
}

}  // namespace
}  // namespace connect_auth::storage::postgres
