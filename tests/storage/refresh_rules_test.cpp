// The rotation rules on their own, without a database: every boundary at ±1 ms.
#include "storage/refresh_rules.h"

#include <gtest/gtest.h>

#include <optional>

#include "refresh_outcome_printer.h"

namespace connect_auth::storage {
namespace {

constexpr std::int64_t kIssued = 1'700'000'000'000;  // when the presented token was issued
constexpr std::int64_t kGrace = 30'000;
constexpr std::int64_t kIdle = 7LL * 86'400'000;
constexpr std::int64_t kAbsolute = kIssued + 90LL * 86'400'000;

RefreshPolicy policy(std::int64_t grace = kGrace, std::int64_t idle = kIdle) {
  return RefreshPolicy{grace, idle};
}

// A family at generation 3 that reached it at `rotated_at`, its current token, and a token of
// generation `generation` (retired when older than current).
RefreshFamilyRow family(std::int64_t rotated_at = kIssued, bool revoked = false) {
  return RefreshFamilyRow{7, 42, 3, rotated_at, kAbsolute, revoked};
}
RefreshTokenRow token(std::int64_t generation = 3, bool retired = false,
                      std::int64_t issued_at = kIssued) {
  return RefreshTokenRow{7, generation, issued_at, retired};
}

RefreshOutcome decide(const std::optional<RefreshTokenRow>& t,
                      const std::optional<RefreshFamilyRow>& f, std::int64_t now,
                      const RefreshPolicy& p = policy(), bool disabled = false) {
  return decide_refresh(t, f, disabled, now, p);
}

TEST(RefreshRulesTest, CurrentTokenRotates) {
  EXPECT_EQ(decide(token(), family(), kIssued), RefreshOutcome::kRotated);
  EXPECT_EQ(decide(token(), family(), kIssued + 1000), RefreshOutcome::kRotated);
}

TEST(RefreshRulesTest, MissingTokenOrFamilyIsUnknown) {
  EXPECT_EQ(decide(std::nullopt, family(), kIssued), RefreshOutcome::kUnknown);
  EXPECT_EQ(decide(token(), std::nullopt, kIssued), RefreshOutcome::kUnknown);
  EXPECT_EQ(decide(std::nullopt, std::nullopt, kIssued), RefreshOutcome::kUnknown);
}

TEST(RefreshRulesTest, RevokedFamilyWinsOverEverythingElse) {
  const auto revoked = family(kIssued, true);
  EXPECT_EQ(decide(token(), revoked, kIssued), RefreshOutcome::kRevoked);
  EXPECT_EQ(decide(token(2, true), revoked, kIssued + 1), RefreshOutcome::kRevoked);
  EXPECT_EQ(decide(token(1, true), revoked, kIssued + 1), RefreshOutcome::kRevoked);
  EXPECT_EQ(decide(token(), revoked, kAbsolute + 1), RefreshOutcome::kRevoked);
  EXPECT_EQ(decide(token(), revoked, kIssued, policy(), true), RefreshOutcome::kRevoked);
}

TEST(RefreshRulesTest, DisabledUserComesBeforeExpiryAndReuse) {
  EXPECT_EQ(decide(token(), family(), kIssued, policy(), true), RefreshOutcome::kUserDisabled);
  EXPECT_EQ(decide(token(), family(), kAbsolute, policy(), true), RefreshOutcome::kUserDisabled);
  EXPECT_EQ(decide(token(1, true), family(), kIssued, policy(), true),
            RefreshOutcome::kUserDisabled);
}

TEST(RefreshRulesTest, AbsoluteExpiryBoundary) {
  // Issued recently enough that idle expiry is not what decides.
  const auto fresh = token(3, false, kAbsolute - 1000);
  EXPECT_EQ(decide(fresh, family(), kAbsolute - 1), RefreshOutcome::kRotated);
  EXPECT_EQ(decide(fresh, family(), kAbsolute), RefreshOutcome::kExpired);
  EXPECT_EQ(decide(fresh, family(), kAbsolute + 1), RefreshOutcome::kExpired);
  // An expired family does not count as reuse either: nothing is revoked.
  EXPECT_EQ(decide(token(1, true), family(), kAbsolute), RefreshOutcome::kExpired);
}

TEST(RefreshRulesTest, IdleExpiryBoundary) {
  EXPECT_EQ(decide(token(), family(), kIssued + kIdle - 1), RefreshOutcome::kRotated);
  EXPECT_EQ(decide(token(), family(), kIssued + kIdle), RefreshOutcome::kExpired);
  EXPECT_EQ(decide(token(), family(), kIssued + kIdle + 1), RefreshOutcome::kExpired);
}

TEST(RefreshRulesTest, PreviousGenerationInsideGraceIsReplayed) {
  const std::int64_t rotated = kIssued + 5000;
  EXPECT_EQ(decide(token(2, true), family(rotated), rotated), RefreshOutcome::kReplayedInGrace);
  EXPECT_EQ(decide(token(2, true), family(rotated), rotated + kGrace - 1),
            RefreshOutcome::kReplayedInGrace);
  EXPECT_EQ(decide(token(2, true), family(rotated), rotated + kGrace),
            RefreshOutcome::kReuseDetected);
  EXPECT_EQ(decide(token(2, true), family(rotated), rotated + kGrace + 1),
            RefreshOutcome::kReuseDetected);
  // A sibling of the previous generation that was never redeemed itself is treated alike.
  EXPECT_EQ(decide(token(2, false), family(rotated), rotated + 1),
            RefreshOutcome::kReplayedInGrace);
  EXPECT_EQ(decide(token(2, false), family(rotated), rotated + kGrace),
            RefreshOutcome::kReuseDetected);
}

TEST(RefreshRulesTest, OlderGenerationIsReuseEvenInsideGrace) {
  const std::int64_t rotated = kIssued + 5000;
  EXPECT_EQ(decide(token(1, true), family(rotated), rotated), RefreshOutcome::kReuseDetected);
  EXPECT_EQ(decide(token(1, true), family(rotated), rotated + 1), RefreshOutcome::kReuseDetected);
}

TEST(RefreshRulesTest, GraceZeroHonoursNoReplay) {
  const std::int64_t rotated = kIssued + 5000;
  EXPECT_EQ(decide(token(2, true), family(rotated), rotated, policy(0)),
            RefreshOutcome::kReuseDetected);
  EXPECT_EQ(decide(token(2, true), family(rotated), rotated - 1, policy(0)),
            RefreshOutcome::kReuseDetected);
  EXPECT_EQ(decide(token(), family(rotated), rotated, policy(0)), RefreshOutcome::kRotated);
}

TEST(RefreshRulesTest, RetiredTokenOfTheCurrentGenerationIsNeverRotatedAgain) {
  // Cannot arise from the writes the rules prescribe; if it did, it must not issue a token.
  EXPECT_EQ(decide(token(3, true), family(), kIssued + 1), RefreshOutcome::kReuseDetected);
}

TEST(RefreshRulesTest, FutureGenerationIsReuse) {
  EXPECT_EQ(decide(token(4), family(), kIssued + 1), RefreshOutcome::kReuseDetected);
}

// ------------------------------------------------------------------ the write plan

TEST(RefreshWritePlanTest, RotationRetiresAdvancesAndIssuesTheNextGeneration) {
  const RefreshWritePlan plan = plan_refresh_writes(RefreshOutcome::kRotated, family());
  EXPECT_TRUE(plan.retire_presented);
  EXPECT_EQ(plan.advance_from_generation, 3);
  EXPECT_EQ(plan.successor_generation, 4);
  EXPECT_FALSE(plan.revoke_family);
}

TEST(RefreshWritePlanTest, ReplayIssuesASiblingAndTouchesNothingElse) {
  const RefreshWritePlan plan = plan_refresh_writes(RefreshOutcome::kReplayedInGrace, family());
  EXPECT_FALSE(plan.retire_presented);
  EXPECT_FALSE(plan.advance_from_generation);
  EXPECT_EQ(plan.successor_generation, 3);
  EXPECT_FALSE(plan.revoke_family);
}

TEST(RefreshWritePlanTest, ReuseAndDisabledOwnerRevokeTheFamilyAndIssueNothing) {
  for (const RefreshOutcome o : {RefreshOutcome::kReuseDetected, RefreshOutcome::kUserDisabled}) {
    const RefreshWritePlan plan = plan_refresh_writes(o, family());
    EXPECT_TRUE(plan.revoke_family);
    EXPECT_FALSE(plan.successor_generation);
    EXPECT_FALSE(plan.retire_presented);
    EXPECT_FALSE(plan.advance_from_generation);
  }
}

TEST(RefreshWritePlanTest, RefusalsWriteNothing) {
  for (const RefreshOutcome o :
       {RefreshOutcome::kUnknown, RefreshOutcome::kExpired, RefreshOutcome::kRevoked}) {
    const RefreshWritePlan plan = plan_refresh_writes(o, std::nullopt);
    EXPECT_FALSE(plan.revoke_family || plan.successor_generation || plan.retire_presented ||
                 plan.advance_from_generation);
  }
}

}  // namespace
}  // namespace connect_auth::storage
