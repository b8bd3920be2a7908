#include "app/readiness.h"

#include <gtest/gtest.h>

namespace connect_auth::app {
namespace {

using std::chrono::milliseconds;

ReadinessInputs healthy() {
  ReadinessInputs inputs;
  inputs.serving = true;
  inputs.signing_keys_loaded = true;
  inputs.since_store_success = milliseconds(100);
  inputs.poll_interval = milliseconds(250);
  return inputs;
}

TEST(Readiness, HealthyNodeIsReady) { EXPECT_TRUE(is_ready(healthy())); }

TEST(Readiness, NotServingIsNotReady) {
  auto inputs = healthy();
  inputs.serving = false;  // before start, or after SIGTERM during the drain delay
  EXPECT_FALSE(is_ready(inputs));
}

TEST(Readiness, NoSigningKeysIsNotReady) {
  auto inputs = healthy();
  inputs.signing_keys_loaded = false;
  EXPECT_FALSE(is_ready(inputs));
}

TEST(Readiness, StalenessLimitIsTwoSecondsOrFourPolls) {
  EXPECT_EQ(store_staleness_limit(milliseconds(250)), milliseconds(2'000));
  EXPECT_EQ(store_staleness_limit(milliseconds(10)), milliseconds(2'000));
  EXPECT_EQ(store_staleness_limit(milliseconds(500)), milliseconds(2'000));
  EXPECT_EQ(store_staleness_limit(milliseconds(1'000)), milliseconds(4'000));
}

TEST(Readiness, StoreSilentPastTheLimitIsNotReady) {
  auto inputs = healthy();
  inputs.since_store_success = milliseconds(2'000);
  EXPECT_TRUE(is_ready(inputs));  // the limit itself still counts as recent
  inputs.since_store_success = milliseconds(2'001);
  EXPECT_FALSE(is_ready(inputs));
  inputs.poll_interval = milliseconds(1'000);  // a slow poller gets 4 intervals
  inputs.since_store_success = milliseconds(3'900);
  EXPECT_TRUE(is_ready(inputs));
  inputs.since_store_success = milliseconds(4'100);
  EXPECT_FALSE(is_ready(inputs));
}

TEST(Readiness, NeverHeardFromTheStoreIsNotReady) {
  auto inputs = healthy();
  // last_success() is the steady clock's epoch until the first load: now - epoch is huge.
  inputs.since_store_success = std::chrono::steady_clock::now().time_since_epoch();
  inputs.since_store_success += std::chrono::hours(1);
  EXPECT_FALSE(is_ready(inputs));
}

}  // namespace
}  // namespace connect_auth::app
