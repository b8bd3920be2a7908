#include "domain/v3_grant.h"

#include <gtest/gtest.h>

#include "domain/view_builder.h"

namespace connect_auth::domain {
namespace {

constexpr const char* kId = "AAAAABBBBBCCCCCDDDDDEEEEE";
constexpr const char* kSecret = "correct-horse-battery-staple-0123456789abcd";
constexpr const char* kGuid = "11111111-1111-4111-8111-111111111111";

class V3GrantTest : public ::testing::Test {
 protected:
  V3GrantTest() {
    builder_.signing_key("k1", 9).account(kGuid, "Acme").user(1, {kGuid}).user(2, {kGuid}, true);
    builder_.key(kId, kSecret, hasher_, 1, {kGuid}, 5);
    builder_.key("DISABLEDOWNERKEY000000000", kSecret, hasher_, 2, {kGuid});
  }
  Result<IssuedV3Token> grant(const std::string& id, const std::string& secret) {
    return grant_v3_token({id, secret}, *builder_.view, codec_, hasher_, clock_, random_);
  }
  static std::array<std::uint8_t, 32> pepper() { return test::bytes_of(1); }

  std::array<std::uint8_t, 32> pepper_ = pepper();
  tokens::SecretHasher hasher_{pepper_};
  test::ViewBuilder builder_;
  V3TokenCodec codec_{{"https://issuer.test", 1200, 30}};
  ManualClock clock_{1'700'000'000};
  SequenceRandom random_;
};

TEST_F(V3GrantTest, IssuesATokenForTheRightSecret) {
  auto issued = grant(kId, kSecret);
  ASSERT_TRUE(issued.ok()) << issued.error().description;
  EXPECT_EQ(issued->expires_in, 1200);
  auto claims =
      codec_.verify(issued->access_token, *builder_.view->signing_keys, clock_.now_seconds());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->api_id, kId);
  EXPECT_EQ(claims->generation, 5);
  EXPECT_EQ(claims->issued_at, clock_.now_seconds());
}

TEST_F(V3GrantTest, EveryFailureLooksTheSame) {
  std::vector<Result<IssuedV3Token>> failures;
  failures.push_back(grant("ZZZZZBBBBBCCCCCDDDDDEEEEE", kSecret));  // unknown id
  failures.push_back(grant(kId, std::string(kSecret) + "x"));       // wrong secret
  failures.push_back(grant(kId, ""));                               // empty secret
  failures.push_back(grant("aaaaabbbbbcccccdddddeeeee", kSecret));  // case variant
  failures.push_back(grant("DISABLEDOWNERKEY000000000", kSecret));  // disabled owner
  failures.push_back(grant("' OR 1=1 --", kSecret));                // SQL text
  for (const auto& failure : failures) {
    ASSERT_FALSE(failure.ok());
    EXPECT_EQ(failure.error().code, ErrorCode::kInvalidClient);
    EXPECT_EQ(failure.error().description, "client authentication failed");
  }
}

TEST_F(V3GrantTest, DeletedKeyNoLongerBuysTokens) {
  ASSERT_TRUE(grant(kId, kSecret).ok());
  builder_.view->keys.erase(kId);
  EXPECT_EQ(grant(kId, kSecret).error().code, ErrorCode::kInvalidClient);
}

TEST_F(V3GrantTest, WithoutASigningKeyTheAnswerIsUnavailableNotUnauthorized) {
  builder_.view->signing_keys.reset();
  auto issued = grant(kId, kSecret);
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.error().code, ErrorCode::kStorageUnavailable);
}

TEST_F(V3GrantTest, LifetimeComesFromSettings) {
  V3TokenCodec short_lived({"https://issuer.test", 60, 0});
  auto issued =
      grant_v3_token({kId, kSecret}, *builder_.view, short_lived, hasher_, clock_, random_);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->expires_in, 60);
}

}  // namespace
}  // namespace connect_auth::domain
