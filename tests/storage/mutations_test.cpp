// The backend-neutral rules of storage/mutations.h against a mock WriteTransaction: what each
// mutation checks, writes and appends to the feed, in which order, with no database. That the
// statements do what they promise is the conformance suite's job.
#include "storage/mutations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "refresh_outcome_printer.h"

namespace connect_auth::storage {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::NiceMock;
using ::testing::Return;

class MockTransaction : public WriteTransaction {
 public:
  MOCK_METHOD(void, append_change, (ChangeKind, std::string_view), (override));
  MOCK_METHOD(bool, account_exists, (std::string_view), (override));
  MOCK_METHOD(void, insert_account, (const Account&), (override));
  MOCK_METHOD(bool, update_account_active, (std::string_view, bool), (override));
  MOCK_METHOD(bool, user_exists, (std::int64_t), (override));
  MOCK_METHOD(std::int64_t, insert_user, (std::string_view, std::string_view), (override));
  MOCK_METHOD(bool, update_user_disabled, (std::int64_t, bool), (override));
  MOCK_METHOD(bool, update_password_hash, (std::int64_t, std::string_view), (override));
  MOCK_METHOD(void, raise_sessions_not_before, (std::int64_t, std::int64_t), (override));
  MOCK_METHOD(void, upsert_role, (std::int64_t, std::string_view, Role), (override));
  MOCK_METHOD(void, insert_api_key, (const ApiKey&), (override));
  MOCK_METHOD(void, insert_api_key_account, (std::string_view, std::string_view), (override));
  MOCK_METHOD(std::optional<std::int64_t>, replace_api_key_secret,
              (std::string_view, const tokens::SecretHash&, std::int64_t), (override));
  MOCK_METHOD(std::vector<std::string>, advance_api_key_generations_of, (std::int64_t), (override));
  MOCK_METHOD(bool, delete_api_key_row, (std::string_view), (override));
  MOCK_METHOD(bool, update_api_key_introspection, (std::string_view, bool), (override));
  MOCK_METHOD(void, insert_signing_key_row, (const SigningKey&), (override));
  MOCK_METHOD(void, lock_signing_keys, (std::string_view), (override));
  MOCK_METHOD(std::optional<std::int64_t>, newest_live_signer_created_at,
              (std::string_view, std::int64_t), (override));
  MOCK_METHOD(std::vector<std::string>, retire_other_signing_keys,
              (std::string_view, std::string_view, std::int64_t), (override));
  MOCK_METHOD(std::vector<std::string>, delete_signing_keys_retired_before, (std::int64_t),
              (override));
  MOCK_METHOD(RefreshTokenStatus, read_refresh_token_for_update, (const tokens::TokenHash&),
              (override));
  MOCK_METHOD(std::optional<std::int64_t>, refresh_family_of, (const tokens::TokenHash&),
              (override));
  MOCK_METHOD(std::int64_t, insert_refresh_family, (const NewRefreshFamily&), (override));
  MOCK_METHOD(void, insert_refresh_token,
              (const tokens::TokenHash&, std::int64_t, std::int64_t, std::int64_t), (override));
  MOCK_METHOD(bool, retire_refresh_token, (const tokens::TokenHash&, std::int64_t), (override));
  MOCK_METHOD(bool, advance_refresh_family, (std::int64_t, std::int64_t, std::int64_t), (override));
  MOCK_METHOD(void, revoke_refresh_family, (std::int64_t, std::int64_t), (override));
  MOCK_METHOD(void, revoke_refresh_families_of, (std::int64_t, std::int64_t), (override));
  MOCK_METHOD(bool, insert_revoked_access_token, (const RevokedAccessToken&), (override));
};

constexpr std::int64_t kNowMs = 1'700'000'000'250;

TEST(MutationsTest, GuidsAreSortedAndEachKeptOnce) {
  EXPECT_THAT(mutations::normalised_guids({"b", "a", "b", "c", "a"}), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(mutations::normalised_guids({}).empty());
}

TEST(MutationsTest, SessionsEndAtTheNextWholeSecond) {
  EXPECT_EQ(mutations::session_end_at(kNowMs).sessions_not_before_unix_s, 1'700'000'001);
  EXPECT_EQ(mutations::session_end_at(1'700'000'000'000).sessions_not_before_unix_s, 1'700'000'001);
  EXPECT_EQ(mutations::session_end_at(kNowMs).families_revoked_at_ms, kNowMs);
  EXPECT_EQ(mutations::session_end_at(-1).sessions_not_before_unix_s, 0);  // floor, like a clock
}

TEST(MutationsTest, DisablingEndsSessionsAndRevokesEveryKeyOfTheUserInKeyOrder) {
  MockTransaction tx;
  InSequence order;
  EXPECT_CALL(tx, update_user_disabled(7, true)).WillOnce(Return(true));
  EXPECT_CALL(tx, append_change(ChangeKind::kUser, std::string_view("7")));
  EXPECT_CALL(tx, raise_sessions_not_before(7, 1'700'000'001));
  EXPECT_CALL(tx, revoke_refresh_families_of(7, kNowMs));
  EXPECT_CALL(tx, advance_api_key_generations_of(7))
      .WillOnce(Return(std::vector<std::string>{"KEYB", "KEYA"}));
  EXPECT_CALL(tx, append_change(ChangeKind::kApiKey, std::string_view("KEYA")));
  EXPECT_CALL(tx, append_change(ChangeKind::kApiKey, std::string_view("KEYB")));
  EXPECT_TRUE(mutations::set_user_disabled(tx, 7, true, kNowMs).ok());
}

TEST(MutationsTest, EnablingTouchesOnlyTheFlag) {
  NiceMock<MockTransaction> tx;
  EXPECT_CALL(tx, update_user_disabled(7, false)).WillOnce(Return(true));
  EXPECT_CALL(tx, raise_sessions_not_before(_, _)).Times(0);
  EXPECT_CALL(tx, revoke_refresh_families_of(_, _)).Times(0);
  EXPECT_CALL(tx, advance_api_key_generations_of(_)).Times(0);
  EXPECT_CALL(tx, append_change(ChangeKind::kUser, std::string_view("7")));
  EXPECT_TRUE(mutations::set_user_disabled(tx, 7, false, kNowMs).ok());
}

TEST(MutationsTest, UnknownUserIsNotFoundAndAppendsNothing) {
  NiceMock<MockTransaction> tx;
  ON_CALL(tx, update_user_disabled(_, _)).WillByDefault(Return(false));
  ON_CALL(tx, update_password_hash(_, _)).WillByDefault(Return(false));
  EXPECT_CALL(tx, append_change(_, _)).Times(0);
  EXPECT_CALL(tx, revoke_refresh_families_of(_, _)).Times(0);
  EXPECT_EQ(mutations::set_user_disabled(tx, 9, true, kNowMs).error().code,
            ErrorCode::kStorageNotFound);
  EXPECT_EQ(mutations::set_user_password(tx, 9, "h", kNowMs).error().code,
            ErrorCode::kStorageNotFound);
}

TEST(MutationsTest, ApiKeyChecksEveryReferenceBeforeWritingAnything) {
  NiceMock<MockTransaction> tx;
  ON_CALL(tx, user_exists(_)).WillByDefault(Return(true));
  ON_CALL(tx, account_exists(std::string_view("a"))).WillByDefault(Return(true));
  ON_CALL(tx, account_exists(std::string_view("missing"))).WillByDefault(Return(false));
  EXPECT_CALL(tx, insert_api_key(_)).Times(0);
  EXPECT_CALL(tx, append_change(_, _)).Times(0);
  ApiKey key;
  key.api_id = "K";
  key.user_id = 1;
  key.account_guids = {"a", "missing"};
  const auto r = mutations::create_api_key(tx, key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(r.error().description, "account not found");
}

TEST(MutationsTest, ApiKeyAccountsAreWrittenOnceEachInOrder) {
  NiceMock<MockTransaction> tx;
  ON_CALL(tx, user_exists(_)).WillByDefault(Return(true));
  ON_CALL(tx, account_exists(_)).WillByDefault(Return(true));
  InSequence order;
  EXPECT_CALL(tx, insert_api_key(_));
  EXPECT_CALL(tx, insert_api_key_account(std::string_view("K"), std::string_view("a")));
  EXPECT_CALL(tx, insert_api_key_account(std::string_view("K"), std::string_view("b")));
  EXPECT_CALL(tx, append_change(ChangeKind::kApiKey, std::string_view("K")));
  ApiKey key;
  key.api_id = "K";
  key.account_guids = {"b", "a", "b"};
  EXPECT_TRUE(mutations::create_api_key(tx, key).ok());
}

TEST(MutationsTest, RotationFeedsTheNewKeyThenTheRetiredOnesInKidOrder) {
  NiceMock<MockTransaction> tx;
  InSequence order;
  EXPECT_CALL(tx, insert_signing_key_row(_));
  EXPECT_CALL(tx, append_change(ChangeKind::kSigningKey, std::string_view("new")));
  EXPECT_CALL(tx, retire_other_signing_keys(std::string_view("RS256"), std::string_view("new"),
                                            1'700'000'300))
      .WillOnce(Return(std::vector<std::string>{"z-old", "a-old"}));
  EXPECT_CALL(tx, append_change(ChangeKind::kSigningKey, std::string_view("a-old")));
  EXPECT_CALL(tx, append_change(ChangeKind::kSigningKey, std::string_view("z-old")));
  SigningKey key;
  key.kid = "new";
  key.algorithm = "RS256";
  EXPECT_TRUE(mutations::rotate_signing_key(tx, key, 1'700'000'300).ok());
}

TEST(MutationsTest, ScheduledRotationLocksThenSkipsWhenAnotherNodeRotatedFirst) {
  NiceMock<MockTransaction> tx;
  SigningKey key;
  key.kid = "new";
  key.algorithm = "RS256";
  key.created_at = 1'700'000'500;
  {
    InSequence order;
    EXPECT_CALL(tx, lock_signing_keys(std::string_view("RS256")));
    EXPECT_CALL(tx, newest_live_signer_created_at(std::string_view("RS256"), 1'700'000'500))
        .WillOnce(Return(1'700'000'401));
  }
  EXPECT_CALL(tx, insert_signing_key_row(_)).Times(0);
  EXPECT_CALL(tx, append_change(_, _)).Times(0);
  const auto skipped = mutations::rotate_signing_key_if_due(tx, key, 1'700'000'900, 1'700'000'400);
  ASSERT_TRUE(skipped.ok());
  EXPECT_FALSE(*skipped);
}

TEST(MutationsTest, ScheduledRotationRotatesWhenTheNewestSignerIsOlder) {
  NiceMock<MockTransaction> tx;
  SigningKey key;
  key.kid = "new";
  key.algorithm = "RS256";
  ON_CALL(tx, newest_live_signer_created_at(_, _)).WillByDefault(Return(1'700'000'000));
  EXPECT_CALL(tx, insert_signing_key_row(_));
  EXPECT_CALL(tx, append_change(ChangeKind::kSigningKey, std::string_view("new")));
  const auto rotated = mutations::rotate_signing_key_if_due(tx, key, 1'700'000'900, 1'700'000'400);
  ASSERT_TRUE(rotated.ok());
  EXPECT_TRUE(*rotated);
}

RefreshTokenStatus current_token_of_generation(std::int64_t generation) {
  RefreshTokenStatus status;
  status.token = RefreshTokenRow{5, generation, kNowMs - 1000, false};
  status.family = RefreshFamilyRow{5, 7, generation, kNowMs - 1000, kNowMs + 86'400'000, false};
  status.user_name = "ops@acme.test";
  status.scope = "offline_access";
  return status;
}

TEST(MutationsTest, RedemptionExecutesTheRotationPlan) {
  NiceMock<MockTransaction> tx;
  const tokens::TokenHash presented{1};
  const tokens::TokenHash successor{2};
  ON_CALL(tx, read_refresh_token_for_update(presented))
      .WillByDefault(Return(current_token_of_generation(3)));
  InSequence order;
  EXPECT_CALL(tx, retire_refresh_token(presented, kNowMs)).WillOnce(Return(true));
  EXPECT_CALL(tx, advance_refresh_family(5, 3, kNowMs)).WillOnce(Return(true));
  EXPECT_CALL(tx, insert_refresh_token(successor, 5, 4, kNowMs));
  const auto r = mutations::redeem_refresh_token(tx, {presented, successor, kNowMs, {}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, RefreshOutcome::kRotated);
  EXPECT_EQ(r->generation, 4);
  EXPECT_EQ(r->user_name, "ops@acme.test");
}

TEST(MutationsTest, AConditionalWriteThatMissesIsUnavailableNeverAGuess) {
  NiceMock<MockTransaction> tx;
  ON_CALL(tx, read_refresh_token_for_update(_))
      .WillByDefault(Return(current_token_of_generation(3)));
  ON_CALL(tx, retire_refresh_token(_, _)).WillByDefault(Return(true));
  ON_CALL(tx, advance_refresh_family(_, _, _)).WillByDefault(Return(false));
  EXPECT_CALL(tx, insert_refresh_token(_, _, _, _)).Times(0);
  const auto r = mutations::redeem_refresh_token(tx, {{1}, {2}, kNowMs, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kStorageUnavailable);
}

TEST(MutationsTest, SecondRevocationOfAnAccessTokenAppendsNoChange) {
  NiceMock<MockTransaction> tx;
  EXPECT_CALL(tx, insert_revoked_access_token(_)).WillOnce(Return(true)).WillOnce(Return(false));
  EXPECT_CALL(tx, append_change(ChangeKind::kAccessToken, std::string_view("j1"))).Times(1);
  EXPECT_TRUE(mutations::revoke_access_token(tx, {"j1", 1}).ok());
  EXPECT_TRUE(mutations::revoke_access_token(tx, {"j1", 1}).ok());
}

}  // namespace
}  // namespace connect_auth::storage
