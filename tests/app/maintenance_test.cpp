// Scheduled housekeeping against a real SQLite store with a manual clock: signing keys rotate
// when the signer is older than the schedule (once, however often the pass runs), retired keys
// are deleted once every token they signed has expired.
#include "app/maintenance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <thread>

#include "app/open_store.h"
#include "domain/signing_keys.h"
#include "support/fixed_master_key.h"
#include "support/temp_dir.h"

namespace connect_auth::app {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000;
constexpr std::int64_t kDay = 86'400;

class MaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(app::open_store("sqlite://" + (dir_ / "store.db").string()).value());
    ASSERT_TRUE(domain::ensure_signing_keys(*store_, master_, random_, clock_).ok());
  }

  MaintenanceSettings settings() const {
    MaintenanceSettings s;
    s.rotation_seconds = 90 * kDay;
    s.publish_delay_seconds = 300;
    s.retire_after_seconds = 3630;
    return s;
  }

  std::map<std::string, int> count_by_algorithm() {
    std::map<std::string, int> counts;
    const auto keys = store_->list_signing_keys();  // held: a range-for over .value() of a
    for (const auto& key : keys.value()) ++counts[key.algorithm];  // temporary would dangle
    return counts;
  }

  testing::TempDir dir_;
  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(0x24);
  ManualClock clock_{kT0};
  SecureRandom random_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(MaintenanceTest, FreshKeysAreNotRotated) {
  Maintenance maintenance(*store_, master_, clock_, settings());
  clock_.advance(89 * kDay);
  maintenance.run_once();
  EXPECT_EQ(count_by_algorithm(), (std::map<std::string, int>{{"HS256", 1}, {"RS256", 1}}));
}

TEST_F(MaintenanceTest, OldSignersAreRotatedOnceAndPublishedBeforeTheySign) {
  Maintenance maintenance(*store_, master_, clock_, settings());
  clock_.advance(90 * kDay);
  const std::int64_t now = clock_.now_seconds();
  maintenance.run_once();
  maintenance.run_once();  // a second pass (or node) finds the rotation already scheduled
  EXPECT_EQ(count_by_algorithm(), (std::map<std::string, int>{{"HS256", 2}, {"RS256", 2}}));
  const auto keys = store_->list_signing_keys();
  for (const auto& key : keys.value()) {
    if (key.created_at == now) {
      EXPECT_EQ(key.activates_at, now + 300) << key.kid;  // published first, signs later
      EXPECT_FALSE(key.retired_at.has_value());
    } else {
      ASSERT_TRUE(key.retired_at.has_value()) << key.kid;
      EXPECT_EQ(*key.retired_at, now + 300 + 3630);  // outlives every token it signed
    }
  }
}

TEST_F(MaintenanceTest, RetiredKeysAreDeletedOnlyAfterTheirRetirement) {
  Maintenance maintenance(*store_, master_, clock_, settings());
  clock_.advance(90 * kDay);
  maintenance.run_once();
  clock_.advance(300 + 3630 - 1);
  maintenance.run_once();
  EXPECT_EQ(count_by_algorithm(), (std::map<std::string, int>{{"HS256", 2}, {"RS256", 2}}));
  clock_.advance(2);
  maintenance.run_once();
  EXPECT_EQ(count_by_algorithm(), (std::map<std::string, int>{{"HS256", 1}, {"RS256", 1}}));
}

TEST_F(MaintenanceTest, ZeroMeansNoScheduledRotation) {
  MaintenanceSettings s = settings();
  s.rotation_seconds = 0;
  Maintenance maintenance(*store_, master_, clock_, s);
  clock_.advance(1000 * kDay);
  maintenance.run_once();
  EXPECT_EQ(count_by_algorithm(), (std::map<std::string, int>{{"HS256", 1}, {"RS256", 1}}));
}

TEST_F(MaintenanceTest, StartAndStopRunAPassAndJoin) {
  MaintenanceSettings s = settings();
  s.interval = std::chrono::milliseconds(10);
  Maintenance maintenance(*store_, master_, clock_, s);
  clock_.advance(90 * kDay);
  maintenance.start();
  // The first pass runs at once; wait for it without a fixed sleep.
  for (int i = 0; i < 500 && count_by_algorithm()["RS256"] < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  maintenance.stop();
  EXPECT_EQ(count_by_algorithm()["RS256"], 2);
}

}  // namespace
}  // namespace connect_auth::app
