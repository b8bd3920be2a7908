// LoginThrottle over the real SQLite store's failure counters, with a hand-driven clock.
#include "domain/login_throttle.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>

#include "core/clock.h"
#include "domain/outage_store.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kMinute = 60'000;

TEST(BackoffDelayTest, FreeFailuresThenDoublingUpToTheCap) {
  const BackoffTier tier{5, 1'000, 900'000};
  for (std::int64_t count = 0; count <= 5; ++count) EXPECT_EQ(backoff_delay_ms(tier, count), 0);
  EXPECT_EQ(backoff_delay_ms(tier, 6), 1'000);
  EXPECT_EQ(backoff_delay_ms(tier, 7), 2'000);
  EXPECT_EQ(backoff_delay_ms(tier, 8), 4'000);
  EXPECT_EQ(backoff_delay_ms(tier, 15), 512'000);
  EXPECT_EQ(backoff_delay_ms(tier, 16), 900'000);  // 1,024,000 capped
  EXPECT_EQ(backoff_delay_ms(tier, 1'000'000), 900'000);
  EXPECT_EQ(backoff_delay_ms(tier, INT64_MAX), 900'000);
  const BackoffTier user{100, 1'000, 60'000};
  EXPECT_EQ(backoff_delay_ms(user, 100), 0);
  EXPECT_EQ(backoff_delay_ms(user, 101), 1'000);
  EXPECT_EQ(backoff_delay_ms(user, 106), 32'000);
  EXPECT_EQ(backoff_delay_ms(user, 107), 60'000);
}

TEST(ThrottleKeysTest, KeysAreStableBoundedAndSeparate) {
  const ThrottleKeys a = ThrottleKeys::of("ops@acme.test", "192.0.2.1");
  const ThrottleKeys same = ThrottleKeys::of("ops@acme.test", "192.0.2.1");
  EXPECT_EQ(a.keys, same.keys);
  EXPECT_EQ(a.keys[ThrottleKeys::kSource], "s:192.0.2.1");
  const ThrottleKeys other_user = ThrottleKeys::of("OPS@acme.test", "192.0.2.1");
  EXPECT_NE(a.keys[ThrottleKeys::kUser], other_user.keys[ThrottleKeys::kUser]);
  EXPECT_NE(a.keys[ThrottleKeys::kUserAndSource], other_user.keys[ThrottleKeys::kUserAndSource]);
  EXPECT_EQ(a.keys[ThrottleKeys::kSource], other_user.keys[ThrottleKeys::kSource]);
  // Splitting the same bytes differently between name and address makes another pair key.
  EXPECT_NE(ThrottleKeys::of("a1", "2").keys[ThrottleKeys::kUserAndSource],
            ThrottleKeys::of("a", "12").keys[ThrottleKeys::kUserAndSource]);

  const ThrottleKeys odd = ThrottleKeys::of(std::string(100'000, 'x') + "\n' OR 1=1 --\0",
                                            "not an address\r\n" + std::string(500, 'y'));
  for (const std::string& key : odd.keys) {
    EXPECT_LE(key.size(), 64u) << key;
    for (char c : key) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || std::strchr(":._-#/", c)) << key;
    }
  }
}

TEST(ThrottleKeysTest, SourcesAreNormalised) {
  const auto source = [](std::string_view address) {
    return ThrottleKeys::of("u", address).keys[ThrottleKeys::kSource];
  };
  EXPECT_EQ(source("::ffff:192.0.2.7"), source("192.0.2.7"));
  // One IPv6 client holds a /64: all of it counts as one source.
  EXPECT_EQ(source("2001:db8:1:2::1"), "s:2001:db8:1:2::/64");
  EXPECT_EQ(source("2001:db8:1:2:ffff:eeee:dddd:cccc"), source("2001:db8:1:2::1"));
  EXPECT_NE(source("2001:db8:1:3::1"), source("2001:db8:1:2::1"));
  EXPECT_EQ(source("2001:DB8:1:2::1"), source("2001:db8:1:2::1"));
  EXPECT_NE(source(""), source("192.0.2.7"));
}

class LoginThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(
        ::connect_auth::test::open_sqlite_store("sqlite://" + (dir_ / "s.db").string()).value());
    outage_ = std::make_unique<test::OutageStore>(*store_);
    throttle_ = std::make_unique<LoginThrottle>(*outage_, LoginThrottlePolicy{});
  }

  // Records a failure under `keys` at the current time.
  void fail(const ThrottleKeys& keys) {
    ASSERT_TRUE(throttle_->record_failure(keys, now_ms_).ok());
  }
  // The Retry-After check() asks for now, 0 when the attempt may go ahead.
  std::int32_t wait(const ThrottleKeys& keys) {
    auto checked = throttle_->check(keys, now_ms_);
    if (checked) return 0;
    EXPECT_EQ(checked.error().code, ErrorCode::kTooManyRequests);
    return checked.error().retry_after_seconds;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<test::OutageStore> outage_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::int64_t now_ms_ = kStartMs;
  const ThrottleKeys alice_ = ThrottleKeys::of("alice@acme.test", "192.0.2.1");
};

TEST_F(LoginThrottleTest, FiveFreeFailuresThenTheSixthBlocks) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(wait(alice_), 0) << i;
    fail(alice_);
  }
  EXPECT_EQ(wait(alice_), 0);  // the 5th failure costs nothing
  fail(alice_);                // the 6th does
  EXPECT_EQ(wait(alice_), 1);
  now_ms_ += 999;
  EXPECT_EQ(wait(alice_), 1);  // 1 ms left, rounded up
  now_ms_ += 1;
  EXPECT_EQ(wait(alice_), 0);
}

TEST_F(LoginThrottleTest, BackoffDoublesUpToFifteenMinutes) {
  for (int i = 0; i < 6; ++i) fail(alice_);
  std::int32_t expected = 1;
  for (int failure = 6; failure < 16; ++failure) {
    EXPECT_EQ(wait(alice_), expected) << failure;
    now_ms_ += std::int64_t{expected} * 1000 - 1;
    EXPECT_EQ(wait(alice_), 1);
    now_ms_ += 1;  // waited it out: fail again
    EXPECT_EQ(wait(alice_), 0);
    fail(alice_);
    expected *= 2;
  }
  EXPECT_EQ(wait(alice_), 900);  // the 16th failure: 1024 s capped at 15 min
  // 15 min after the last failure the count has lapsed: the next failure is the first again.
  now_ms_ += 900'000;
  EXPECT_EQ(wait(alice_), 0);
  fail(alice_);
  EXPECT_EQ(store_->read_failures(alice_.keys).value()[ThrottleKeys::kUserAndSource].count, 1);
  EXPECT_EQ(wait(alice_), 0);
}

TEST_F(LoginThrottleTest, AQuietWindowRestartsTheCount) {
  for (int i = 0; i < 6; ++i) fail(alice_);
  EXPECT_EQ(wait(alice_), 1);
  now_ms_ += 15 * kMinute - 1;
  fail(alice_);  // still within the window: the 7th
  EXPECT_EQ(wait(alice_), 2);
  now_ms_ += 15 * kMinute;  // a whole window after the last failure
  EXPECT_EQ(wait(alice_), 0);
  fail(alice_);  // counts as the first again
  for (int i = 0; i < 4; ++i) fail(alice_);
  EXPECT_EQ(wait(alice_), 0);  // 5 failures in the new window: still free
  fail(alice_);
  EXPECT_EQ(wait(alice_), 1);
}

TEST_F(LoginThrottleTest, ASuccessClearsTheUserButNotTheSource) {
  for (int i = 0; i < 6; ++i) fail(alice_);
  // Another name from the same address has 6 failures on the source key; 14 more make 20.
  const ThrottleKeys bob = ThrottleKeys::of("bob@acme.test", "192.0.2.1");
  for (int i = 0; i < 14; ++i) fail(bob);
  now_ms_ += 60'000;
  auto checked = throttle_->check(alice_, now_ms_);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked->user_has_failures);
  ASSERT_TRUE(throttle_->record_success(alice_, *checked).ok());
  auto counts = store_->read_failures(alice_.keys).value();
  EXPECT_EQ(counts[ThrottleKeys::kUserAndSource].count, 0);
  EXPECT_EQ(counts[ThrottleKeys::kUser].count, 0);
  EXPECT_EQ(counts[ThrottleKeys::kSource].count, 20);
  // The source's 21st failure blocks it, whichever name comes next.
  fail(alice_);
  EXPECT_EQ(wait(ThrottleKeys::of("carol@acme.test", "192.0.2.1")), 1);
  EXPECT_EQ(wait(ThrottleKeys::of("carol@acme.test", "192.0.2.2")), 0);
}

TEST_F(LoginThrottleTest, ManySourcesSlowAUserButNeverLockThemOut) {
  // 100 failures from 100 addresses: nothing per source or pair, the user's own count reaches
  // the NIST limit and stays free.
  for (int i = 0; i < 100; ++i) {
    fail(ThrottleKeys::of("alice@acme.test", "198.51.100." + std::to_string(i)));
  }
  EXPECT_EQ(wait(alice_), 0);
  // From then on each failure doubles the user's wait, up to a minute and never longer.
  std::int32_t expected = 1;
  for (int i = 0; i < 12; ++i) {
    fail(ThrottleKeys::of("alice@acme.test", "203.0.113." + std::to_string(i)));
    EXPECT_EQ(wait(ThrottleKeys::of("alice@acme.test", "192.0.2.99")), std::min(expected, 60));
    now_ms_ += std::int64_t{std::min(expected, 60)} * 1000;
    expected *= 2;
  }
  EXPECT_EQ(wait(ThrottleKeys::of("alice@acme.test", "192.0.2.99")), 0);  // a minute later
}

TEST_F(LoginThrottleTest, CheckingCountsNothing) {
  for (int i = 0; i < 6; ++i) fail(alice_);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(wait(alice_), 1);
  EXPECT_EQ(store_->read_failures(alice_.keys).value()[ThrottleKeys::kUser].count, 6);
  auto checked = throttle_->check(ThrottleKeys::of("new@acme.test", "192.0.2.50"), now_ms_);
  ASSERT_TRUE(checked.ok());
  EXPECT_FALSE(checked->user_has_failures);
}

TEST_F(LoginThrottleTest, StorageFaultsAreErrorsNeverAPass) {
  outage_->down = true;
  auto checked = throttle_->check(alice_, now_ms_);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, ErrorCode::kStorageUnavailable);
  auto recorded = throttle_->record_failure(alice_, now_ms_);
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.error().code, ErrorCode::kStorageUnavailable);
  auto cleared = throttle_->record_success(alice_, ThrottleCheck{true});
  ASSERT_FALSE(cleared.ok());
  EXPECT_EQ(cleared.error().code, ErrorCode::kStorageUnavailable);
}

TEST_F(LoginThrottleTest, ADisabledThrottleNeverBlocksOrTouchesTheStore) {
  LoginThrottlePolicy off;
  off.enabled = false;
  LoginThrottle throttle(*outage_, off);
  outage_->down = true;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(throttle.record_failure(alice_, now_ms_).ok());
  EXPECT_TRUE(throttle.check(alice_, now_ms_).ok());
}

}  // namespace
}  // namespace connect_auth::domain
