// What only a networked engine can do to the store: a connection lost in the middle of a
// transaction, and writers whose commits are held up. Nothing half-written, an error the layers
// above answer with 503, and recovery on the next call without reopening the store.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stop_token>
#include <thread>

#include "pg_fixture.h"
#include "storage/postgres/pg_store.h"

namespace connect_auth::storage::postgres {
namespace {

class PgStoreFaultsTest : public PgFixture {
 protected:
  void SetUp() override {
    PgFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto store = PgStore::open(url());
    ASSERT_TRUE(store.ok()) << store.error().description;
    store_ = std::move(store).value();
    admin_ = connect();
    watcher_ = connect();
    ASSERT_NE(admin_, nullptr);
    ASSERT_NE(watcher_, nullptr);
  }

  // Waits until `n` backends of this database wait on a lock; true if they did within 10 s.
  // Asked on a connection of its own, outside any transaction: pg_stat_activity is read once per
  // transaction, so inside admin_'s it would never change.
  bool lock_waiters(int n) {
    for (int i = 0; i < 200; ++i) {
      PgResult r = must(
          watcher_->exec("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND wait_event_type = 'Lock'"));
      if (r.get_int64(0, 0) >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<PgStore> store_;
  std::unique_ptr<PgConnection> admin_;
  std::unique_ptr<PgConnection> watcher_;
};

TEST_F(PgStoreFaultsTest, ConnectionLostMidTransactionWritesNothingAndTheNextCallWorks) {
  // Hold the feed row, so the store's write blocks at its last step, inside its transaction.
  ASSERT_TRUE(admin_->begin().ok());
  must(admin_->exec("SELECT 1 FROM change_feed WHERE id = 1 FOR UPDATE"));
  auto write = std::async(std::launch::async, [&] {
    return store_->create_account(Account{"acct-lost", "Lost Co", "US", true});
  });
  ASSERT_TRUE(lock_waiters(1));
  {
    auto killer = connect();
    must(
        killer->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND wait_event_type = 'Lock'"));
  }
  const auto result = write.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kStorageUnavailable) << result.error().description;
  ASSERT_TRUE(admin_->rollback().ok());

  // Nothing of it was committed: no account, no feed entry; then the store carries on.
  EXPECT_EQ(store_->find_account("acct-lost").error().code, ErrorCode::kStorageNotFound);
  EXPECT_TRUE(store_->changes_since(0, 10)->empty());
  ASSERT_TRUE(store_->create_account(Account{"acct-lost", "Lost Co", "US", true}).ok());
  EXPECT_EQ(store_->changes_since(0, 10)->size(), 1u);
}

TEST_F(PgStoreFaultsTest, WritersHeldAtTheFeedCommitInOrderAndAPollerMissesNothing) {
  ASSERT_TRUE(admin_->begin().ok());
  must(admin_->exec("SELECT 1 FROM change_feed WHERE id = 1 FOR UPDATE"));
  auto first = std::async(std::launch::async, [&] {
    return store_->create_account(Account{"acct-1", "One", "US", true});
  });
  ASSERT_TRUE(lock_waiters(1));
  auto second = std::async(std::launch::async, [&] {
    return store_->create_account(Account{"acct-2", "Two", "US", true});
  });
  ASSERT_TRUE(lock_waiters(2));
  // Both accounts are written but not committed: a poller sees nothing yet...
  EXPECT_TRUE(store_->changes_since(0, 10)->empty());
  ASSERT_TRUE(admin_->rollback().ok());
  ASSERT_TRUE(first.get().ok());
  ASSERT_TRUE(second.get().ok());
  // ...and afterwards both, numbered 1 and 2 in the order they committed.
  auto seen = store_->changes_since(0, 10);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_EQ((*seen)[0].seq, 1);
  EXPECT_EQ((*seen)[1].seq, 2);
}

TEST_F(PgStoreFaultsTest, ALockHeldTooLongIsUnavailableNotAHang) {
  ASSERT_TRUE(admin_->begin().ok());
  must(admin_->exec("SELECT 1 FROM change_feed WHERE id = 1 FOR UPDATE"));
  const auto started = std::chrono::steady_clock::now();
  const auto result = store_->create_account(Account{"acct-slow", "Slow", "US", true});
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_LT(waited, std::chrono::seconds(20));  // lock_timeout (5 s), not forever
  ASSERT_TRUE(admin_->rollback().ok());
  EXPECT_TRUE(store_->create_account(Account{"acct-slow", "Slow", "US", true}).ok());
}

// LISTEN/NOTIFY: a node's poller wakes as soon as another node commits a change, and without a
// change it waits out its interval (the poll fallback).
TEST_F(PgStoreFaultsTest, AnotherNodesChangeWakesTheWaitingPoller) {
  auto other = PgStore::open(url());
  ASSERT_TRUE(other.ok()) << other.error().description;
  std::stop_source stop;
  auto started = std::chrono::steady_clock::now();
  store_->wait_for_changes(std::chrono::milliseconds(300), stop.get_token());  // dials, listens
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(290));

  auto waiting = std::async(std::launch::async, [&] {
    const auto begin = std::chrono::steady_clock::now();
    store_->wait_for_changes(std::chrono::seconds(20), stop.get_token());
    return std::chrono::steady_clock::now() - begin;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE((*other)->create_account(Account{"acct-wake", "Wake", "US", true}).ok());
  EXPECT_LT(waiting.get(), std::chrono::seconds(5));
}

// A rolling upgrade: a newer node (whose migration widened the kinds) appends a kind this build
// does not know; this node skips it and keeps following the feed.
TEST_F(PgStoreFaultsTest, AChangeKindFromANewerVersionIsSkipped) {
  ASSERT_TRUE(store_->create_account(Account{"acct-a", "A", "US", true}).ok());
  must(admin_->exec("ALTER TABLE changes DROP CONSTRAINT changes_kind_check"));
  must(admin_->exec(
      "WITH s AS (UPDATE change_feed SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq) "
      "INSERT INTO changes (seq, kind, ref, at) SELECT last_seq, 'console_session', 'x', 0 FROM "
      "s"));
  ASSERT_TRUE(store_->create_account(Account{"acct-b", "B", "US", true}).ok());
  auto seen = store_->changes_since(0, 10);
  ASSERT_TRUE(seen.ok()) << seen.error().description;
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_EQ((*seen)[0].ref, "acct-a");
  EXPECT_EQ((*seen)[1].ref, "acct-b");
  EXPECT_EQ((*seen)[1].seq, 3);  // the position moves past the skipped entry
}

}  // namespace
}  // namespace connect_auth::storage::postgres
