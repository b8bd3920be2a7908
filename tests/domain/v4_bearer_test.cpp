// Bearer authentication of v4 (user) tokens next to v3 (API key) tokens, on hand-built views.
#include <gtest/gtest.h>

#include "domain/resource_access.h"
#include "domain/v4_test_keys.h"
#include "domain/view_builder.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kA = "aaaaaaaa-1111-4111-8111-111111111111";
constexpr const char* kB = "bbbbbbbb-1111-4111-8111-111111111111";
constexpr const char* kC = "cccccccc-1111-4111-8111-111111111111";
constexpr const char* kId = "AAAAABBBBBCCCCCDDDDDEEEEE";

class V4BearerTest : public ::testing::Test {
 protected:
  V4BearerTest() {
    builder_.signing_key("hs", 3)
        .account(kA, "A Co")
        .account(kB, "B Co", false)
        .account(kC, "C Co");
    builder_.user(7, {kC, kA, kB});
    builder_.key(kId, "secret", hasher_, 7, {kA});
    auto ring = std::make_shared<tokens::KeyRing>(*builder_.view->signing_keys);
    ring->add(test::rsa_key(), true);
    builder_.view->signing_keys = ring;
  }
  const AuthView& view() const { return *builder_.view; }
  std::string user_token(std::int64_t user_id = 7, std::int64_t at = kNow) {
    return v4_.mint(*view().signing_keys->signing_key(tokens::JwsAlgorithm::kRs256), user_id,
                    "ops@acme.test", {}, at, random_);
  }
  Result<Principal> authenticate(const std::string& token, std::int64_t now = kNow) {
    return authenticate_bearer(token, view(), BearerCodecs{v3_, &v4_}, now);
  }
  void set_user(std::int64_t id, bool disabled, std::int64_t sessions_not_before) {
    auto entry = std::make_shared<UserEntry>(*builder_.view->users.at(id));
    entry->disabled = disabled;
    entry->sessions_not_before = sessions_not_before;
    builder_.view->users[id] = entry;
  }
  static void expect_refused(const Result<Principal>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidToken);
  }

  std::array<std::uint8_t, 32> pepper_ = test::bytes_of(1);
  tokens::SecretHasher hasher_{pepper_};
  test::ViewBuilder builder_;
  V3TokenCodec v3_{{"https://issuer.test", 1200, 30}};
  V4TokenCodec v4_{{"https://issuer.test", "https://api.test", "client", 3600, 30}};
  SequenceRandom random_;
};

TEST_F(V4BearerTest, AUserSeesTheActiveAccountsWhereItHoldsARole) {
  auto principal = authenticate(user_token());
  ASSERT_TRUE(principal.ok()) << principal.error().description;
  EXPECT_EQ(principal->kind, Principal::Kind::kUser);
  EXPECT_EQ(principal->user_id, 7);
  EXPECT_EQ(principal->key, nullptr);
  auto visible = visible_accounts(*principal, view());
  ASSERT_EQ(visible.size(), 2u);   // B is inactive
  EXPECT_EQ(visible[0].guid, kA);  // in guid order
  EXPECT_EQ(visible[1].guid, kC);
  EXPECT_EQ(visible[1].account->company_name, "C Co");
}

TEST_F(V4BearerTest, V3TokensStillAuthenticateAsTheirKey) {
  const std::string token = v3_.mint(
      *view().signing_keys->signing_key(tokens::JwsAlgorithm::kHs256), kId, 1, kNow, random_);
  auto principal = authenticate(token);
  ASSERT_TRUE(principal.ok()) << principal.error().description;
  EXPECT_EQ(principal->kind, Principal::Kind::kApiKey);
  EXPECT_EQ(principal->api_id, kId);
  EXPECT_EQ(principal->user_id, 7);
  auto visible = visible_accounts(*principal, view());
  ASSERT_EQ(visible.size(), 1u);  // only what the key was granted
  EXPECT_EQ(visible[0].guid, kA);
}

TEST_F(V4BearerTest, ADisabledOrUnknownUserIsRefused) {
  const std::string token = user_token();
  set_user(7, /*disabled=*/true, 0);
  expect_refused(authenticate(token));
  expect_refused(authenticate(user_token(8)));
}

TEST_F(V4BearerTest, TokensIssuedBeforeTheSessionsCutAreRefused) {
  const std::string token = user_token(7, kNow);
  set_user(7, false, kNow);
  EXPECT_TRUE(authenticate(token).ok());  // iat == sessions_not_before: issued after the cut
  set_user(7, false, kNow + 1);
  expect_refused(authenticate(token));
  EXPECT_TRUE(authenticate(user_token(7, kNow + 1)).ok());
}

TEST_F(V4BearerTest, WithoutAV4CodecUserTokensAreRefused) {
  expect_refused(authenticate_bearer(user_token(), view(), v3_, kNow));
}

TEST_F(V4BearerTest, ExpiryAndForeignKeysAreRefused) {
  const std::string token = user_token();
  EXPECT_TRUE(authenticate(token, kNow + 3600 + 29).ok());
  expect_refused(authenticate(token, kNow + 3600 + 30));
  tokens::KeyRing foreign;
  foreign.add(test::other_rsa_key(test::rsa_key()->kid()), true);
  expect_refused(authenticate(
      v4_.mint(*foreign.signing_key(tokens::JwsAlgorithm::kRs256), 7, "x", {}, kNow, random_)));
  V4TokenCodec other_audience({"https://issuer.test", "https://elsewhere.test", "c", 3600, 30});
  expect_refused(authenticate(other_audience.mint(
      *view().signing_keys->signing_key(tokens::JwsAlgorithm::kRs256), 7, "x", {}, kNow, random_)));
}

}  // namespace
}  // namespace connect_auth::domain
