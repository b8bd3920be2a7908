#include "domain/resource_access.h"

#include <gtest/gtest.h>

#include "domain/view_builder.h"

namespace connect_auth::domain {
namespace {

constexpr const char* kId = "AAAAABBBBBCCCCCDDDDDEEEEE";
constexpr const char* kA = "aaaaaaaa-1111-4111-8111-111111111111";
constexpr const char* kB = "bbbbbbbb-1111-4111-8111-111111111111";
constexpr const char* kC = "cccccccc-1111-4111-8111-111111111111";
constexpr std::int64_t kNow = 1'700'000'000;

class ResourceAccessTest : public ::testing::Test {
 protected:
  ResourceAccessTest() {
    builder_.signing_key("k1", 3)
        .account(kA, "A Co")
        .account(kB, "B Co", false)
        .account(kC, "C Co");
    builder_.user(1, {kA, kB, kC});
    builder_.key(kId, "secret", hasher_, 1, {kA, kB, kC}, 2);
  }
  std::string token(std::int64_t generation = 2, std::int64_t at = kNow) {
    return codec_.mint(*builder_.view->signing_keys->signing_key(tokens::JwsAlgorithm::kHs256), kId,
                       generation, at, random_);
  }

  std::array<std::uint8_t, 32> pepper_ = test::bytes_of(1);
  tokens::SecretHasher hasher_{pepper_};
  test::ViewBuilder builder_;
  V3TokenCodec codec_{{"https://issuer.test", 1200, 0}};
  SequenceRandom random_;
};

TEST_F(ResourceAccessTest, ActiveGrantedAccountsOnly) {
  auto principal = authenticate_bearer(token(), *builder_.view, codec_, kNow);
  ASSERT_TRUE(principal.ok()) << principal.error().description;
  auto visible = visible_accounts(*principal, *builder_.view);
  ASSERT_EQ(visible.size(), 2u);
  EXPECT_EQ(visible[0].guid, kA);
  EXPECT_EQ(visible[1].guid, kC);
  EXPECT_EQ(visible[1].account->company_name, "C Co");
}

TEST_F(ResourceAccessTest, AccountsTheOwnerLostAreHidden) {
  builder_.user(1, {kA});
  auto principal = authenticate_bearer(token(), *builder_.view, codec_, kNow);
  ASSERT_TRUE(principal.ok());
  auto visible = visible_accounts(*principal, *builder_.view);
  ASSERT_EQ(visible.size(), 1u);
  EXPECT_EQ(visible[0].guid, kA);
}

TEST_F(ResourceAccessTest, RegeneratedKeyRevokesOlderTokens) {
  std::string old_token = token(2);
  builder_.key(kId, "new-secret", hasher_, 1, {kA}, 3);
  auto refused = authenticate_bearer(old_token, *builder_.view, codec_, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidToken);
  EXPECT_TRUE(authenticate_bearer(token(3), *builder_.view, codec_, kNow).ok());
}

TEST_F(ResourceAccessTest, DeletedKeyOrDisabledOwnerRevokes) {
  std::string t = token();
  builder_.user(1, {kA}, /*disabled=*/true);
  EXPECT_EQ(authenticate_bearer(t, *builder_.view, codec_, kNow).error().code,
            ErrorCode::kInvalidToken);
  builder_.user(1, {kA});
  EXPECT_TRUE(authenticate_bearer(t, *builder_.view, codec_, kNow).ok());
  builder_.view->keys.erase(kId);
  EXPECT_EQ(authenticate_bearer(t, *builder_.view, codec_, kNow).error().code,
            ErrorCode::kInvalidToken);
}

TEST_F(ResourceAccessTest, ExpiredOrForeignTokensAreRefused) {
  EXPECT_FALSE(authenticate_bearer(token(2, kNow - 1201), *builder_.view, codec_, kNow).ok());
  test::ViewBuilder other;
  other.signing_key("k1", 4);  // same kid, different secret
  std::string forged = codec_.mint(
      *other.view->signing_keys->signing_key(tokens::JwsAlgorithm::kHs256), kId, 2, kNow, random_);
  EXPECT_FALSE(authenticate_bearer(forged, *builder_.view, codec_, kNow).ok());
  EXPECT_FALSE(authenticate_bearer("not.a.token", *builder_.view, codec_, kNow).ok());
  std::string valid = token();
  builder_.view->signing_keys.reset();
  EXPECT_FALSE(authenticate_bearer(valid, *builder_.view, codec_, kNow).ok());
}

}  // namespace
}  // namespace connect_auth::domain
