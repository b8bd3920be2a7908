// Conformance cases that only a concurrent engine can get wrong: several store handles (nodes)
// writing one database at once. SQLite passes them by serialising writers; a multi-writer engine
// must pass them by design (change_feed.h, refresh_token_store.h, login_failure_store.h).
// Joined like store_conformance.h: INSTANTIATE_TYPED_TEST_SUITE_P(My, StoreConcurrencyTest, B).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_conformance.h"

namespace connect_auth::storage::conformance {

template <class Backend>
class StoreConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = Backend::unavailable_reason()) GTEST_SKIP() << *reason;
    for (int i = 0; i < kNodes; ++i) {
      auto opened = backend_.open(clock_);
      ASSERT_TRUE(opened.ok()) << opened.error().description;
      nodes_.push_back(std::move(opened).value());
    }
  }

  static constexpr int kNodes = 3;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kStartTime);
  Backend backend_;
  std::vector<std::unique_ptr<Store>> nodes_;
};

TYPED_TEST_SUITE_P(StoreConcurrencyTest);

// Writers on two nodes commit as fast as they can while a third node polls the feed the way the
// auth cache does (changes_since its last position). If seqs became visible out of commit order,
// the poller would step past an entry that commits later and never see it.
TYPED_TEST_P(StoreConcurrencyTest, FeedPollerNeverSkipsAnEntryUnderConcurrentWriters) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 40;
  std::atomic<int> writing{kWriters};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  std::latch start(kWriters + 1);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Store& node = *this->nodes_[w % 2];
      start.arrive_and_wait();
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string guid = "feed-" + std::to_string(w) + "-" + std::to_string(i);
        if (!node.create_account(make_account(guid)).ok()) ++failures;
      }
      --writing;
    });
  }

  Store& poller = *this->nodes_[2];
  std::vector<Change> seen;
  std::int64_t position = 0;
  bool ordered = true;
  start.arrive_and_wait();
  for (bool last_round = false; !last_round;) {
    last_round = writing.load() == 0;  // one more poll after every writer has finished
    auto batch = poller.changes_since(position, 64);
    ASSERT_TRUE(batch.ok()) << batch.error().description;
    for (const Change& c : *batch) {
      if (c.seq <= position) ordered = false;
      position = c.seq;
      seen.push_back(c);
    }
    if (batch->size() == 64) last_round = false;  // drain before stopping
  }
  for (auto& t : writers) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(ordered) << "changes_since returned seqs out of order";
  auto all = poller.changes_since(0, 1'000'000);
  ASSERT_TRUE(all.ok()) << all.error().description;
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kWriters * kPerWriter));
  std::set<std::string> polled;
  for (const Change& c : seen) polled.insert(c.ref);
  for (const Change& c : *all) {
    EXPECT_TRUE(polled.count(c.ref)) << "the poller skipped seq " << c.seq << " (" << c.ref << ")";
  }
}

// Throttling is shared: guesses spread over nodes must all be counted (no lost update).
TYPED_TEST_P(StoreConcurrencyTest, FailureCountsFromSeveralNodesAreNeverLost) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 25;
  const std::vector<std::string> keys{"user:ops@acme.test", "addr:192.0.2.7"};
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& node = *this->nodes_[t % StoreConcurrencyTest<TypeParam>::kNodes];
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        if (!node.record_failures(keys, kStartMs + i, 3'600'000).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto counts = this->nodes_[0]->read_failures(keys);
  ASSERT_TRUE(counts.ok()) << counts.error().description;
  for (const FailureCount& c : *counts) EXPECT_EQ(c.count, kThreads * kPerThread);
}

// A scheduled rotation found due by every node at once is done by exactly one of them.
TYPED_TEST_P(StoreConcurrencyTest, ExactlyOneNodeRotatesADueSigningKey) {
  SigningKey old;
  old.kid = "old";
  old.algorithm = "RS256";
  old.sealed_material = {1, 2, 3};
  old.created_at = kStartTime - 10 * 86'400;
  ASSERT_TRUE(this->nodes_[0]->insert_signing_key(old).ok());

  constexpr int kThreads = 6;
  std::atomic<int> rotated{0};
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SigningKey key = old;
      key.kid = "new-" + std::to_string(t);
      key.created_at = kStartTime;
      key.activates_at = kStartTime + 5;
      start.arrive_and_wait();
      auto done =
          this->nodes_[t % StoreConcurrencyTest<TypeParam>::kNodes]->rotate_signing_key_if_due(
              key, kStartTime + 3600, kStartTime - 86'400);
      if (!done.ok()) {
        ++failures;
      } else if (*done) {
        ++rotated;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(rotated.load(), 1);
  auto keys = this->nodes_[1]->list_signing_keys();
  ASSERT_TRUE(keys.ok()) << keys.error().description;
  EXPECT_EQ(keys->size(), 2u);  // the old key (now retiring) and exactly one successor
}

REGISTER_TYPED_TEST_SUITE_P(StoreConcurrencyTest, FeedPollerNeverSkipsAnEntryUnderConcurrentWriters,
                            FailureCountsFromSeveralNodesAreNeverLost,
                            ExactlyOneNodeRotatesADueSigningKey);

}  // namespace connect_auth::storage::conformance
