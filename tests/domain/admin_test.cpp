#include "domain/admin.h"

#include <gtest/gtest.h>

#include <set>

#include "domain/client_credential.h"
#include "domain/password_hasher.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"

namespace connect_auth::domain {
namespace {

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(
        ::connect_auth::test::open_sqlite_store("sqlite://" + (dir_ / "s.db").string()).value());
    admin_ = std::make_unique<AdminService>(*store_, hasher_, random_, clock_);
    admin_->on_change([this] { ++changes_; });
  }
  testing::TempDir dir_;
  std::array<std::uint8_t, 32> pepper_{};
  tokens::SecretHasher hasher_{pepper_};
  SecureRandom random_;
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<AdminService> admin_;
  int changes_ = 0;
};

TEST_F(AdminTest, AccountValidation) {
  auto guid = admin_->create_account("Acme Diner", "us");
  ASSERT_TRUE(guid.ok());
  EXPECT_EQ(guid->size(), 36u);
  EXPECT_EQ((*guid)[14], '4');  // UUID version 4
  EXPECT_EQ(store_->find_account(*guid)->country_code, "US");
  EXPECT_EQ(admin_->create_account("", "US").error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->create_account("Acme\r\nFake: log", "US").error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->create_account("Acme", "USA").error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->create_account("Acme", "1X").error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->set_account_active("' OR 1=1 --", false).error().code,
            ErrorCode::kStorageNotFound);
  EXPECT_EQ(changes_, 1);
}

TEST_F(AdminTest, UsesTheGivenPasswordHasher) {
  const PasswordHasher passwords = PasswordHasher::create({24ull << 20, 3}).value();
  AdminService admin(*store_, hasher_, passwords, random_, clock_);
  ASSERT_TRUE(admin.create_user("cfg@acme.test", "password-123").ok());
  auto user = store_->find_user_by_name("cfg@acme.test");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->password_hash.rfind("$argon2id$v=19$m=24576,t=3,p=1$", 0), 0u);
  EXPECT_TRUE(passwords.verify(user->password_hash, "password-123"));
  EXPECT_FALSE(passwords.needs_rehash(user->password_hash));
}

TEST_F(AdminTest, UsersAndPasswords) {
  auto id = admin_->create_user("ops@acme.test", "password-123");
  ASSERT_TRUE(id.ok());
  auto user = store_->find_user_by_name("ops@acme.test");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->password_hash.rfind("$argon2id$", 0), 0u);  // never the password itself
  EXPECT_EQ(user->password_hash.find("password-123"), std::string::npos);
  // The default PasswordHasher: OWASP's argon2id minimum.
  EXPECT_EQ(user->password_hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u);
  EXPECT_TRUE(PasswordHasher(Argon2Params{}).verify(user->password_hash, "password-123"));
  EXPECT_EQ(admin_->create_user("ops@acme.test", "password-123").error().code,
            ErrorCode::kStorageConflict);
  EXPECT_EQ(admin_->create_user("short@acme.test", "1234567").error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->create_user("long@acme.test", std::string(1025, 'x')).error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->create_user(std::string(255, 'a'), "password-123").error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->set_user_disabled("nobody@acme.test", true).error().code,
            ErrorCode::kStorageNotFound);
}

TEST_F(AdminTest, KeysCoverOnlyAccountsTheOwnerReaches) {
  auto mine = admin_->create_account("Mine", "US").value();
  auto other = admin_->create_account("Other", "GB").value();
  ASSERT_TRUE(admin_->create_user("ops@acme.test", "password-123").ok());
  ASSERT_TRUE(admin_->grant_role("ops@acme.test", mine, storage::Role::kReporting).ok());
  EXPECT_EQ(admin_->create_api_key("ops@acme.test", {mine, other}).error().code,
            ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->create_api_key("ops@acme.test", {}).error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(admin_->grant_role("ops@acme.test", "nope", storage::Role::kManager).error().code,
            ErrorCode::kStorageNotFound);

  ASSERT_TRUE(admin_->grant_role("ops@acme.test", other, storage::Role::kAdministrator).ok());
  auto key = admin_->create_api_key("ops@acme.test", {other, mine, mine});
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(is_well_formed_api_id(key->api_id));
  EXPECT_EQ(key->api_secret.size(), 43u);  // 256 bits, base64url
  auto stored = store_->find_api_key(key->api_id).value();
  EXPECT_EQ(stored.account_guids.size(), 2u);
  EXPECT_TRUE(hasher_.matches(key->api_secret, stored.secret_hash));
}

TEST_F(AdminTest, RegenerateAndDelete) {
  auto guid = admin_->create_account("Acme", "US").value();
  ASSERT_TRUE(admin_->create_user("ops@acme.test", "password-123").ok());
  ASSERT_TRUE(admin_->grant_role("ops@acme.test", guid, storage::Role::kManager).ok());
  auto key = admin_->create_api_key("ops@acme.test", {guid}).value();
  auto secret = admin_->regenerate_api_key(key.api_id);
  ASSERT_TRUE(secret.ok());
  EXPECT_NE(*secret, key.api_secret);
  auto stored = store_->find_api_key(key.api_id).value();
  EXPECT_EQ(stored.generation, 2);
  EXPECT_TRUE(hasher_.matches(*secret, stored.secret_hash));
  EXPECT_FALSE(hasher_.matches(key.api_secret, stored.secret_hash));
  ASSERT_TRUE(admin_->delete_api_key(key.api_id).ok());
  EXPECT_EQ(admin_->delete_api_key(key.api_id).error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(admin_->regenerate_api_key(key.api_id).error().code, ErrorCode::kStorageNotFound);
  EXPECT_EQ(admin_->regenerate_api_key("../../etc/passwd").error().code,
            ErrorCode::kStorageNotFound);
}

TEST_F(AdminTest, DisabledUsersGetNoNewKeys) {
  auto guid = admin_->create_account("Acme", "US").value();
  ASSERT_TRUE(admin_->create_user("ops@acme.test", "password-123").ok());
  ASSERT_TRUE(admin_->grant_role("ops@acme.test", guid, storage::Role::kManager).ok());
  ASSERT_TRUE(admin_->set_user_disabled("ops@acme.test", true).ok());
  EXPECT_EQ(admin_->create_api_key("ops@acme.test", {guid}).error().code,
            ErrorCode::kInvalidRequest);
}

TEST_F(AdminTest, ApiIdsAreUniformlyFromTheAlphabet) {
  auto guid = admin_->create_account("Acme", "US").value();
  ASSERT_TRUE(admin_->create_user("ops@acme.test", "password-123").ok());
  ASSERT_TRUE(admin_->grant_role("ops@acme.test", guid, storage::Role::kManager).ok());
  std::set<char> seen;
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    auto key = admin_->create_api_key("ops@acme.test", {guid}).value();
    ids.insert(key.api_id);
    seen.insert(key.api_id.begin(), key.api_id.end());
  }
  EXPECT_EQ(ids.size(), 40u);
  EXPECT_EQ(seen.size(), 36u);  // 1000 draws cover all 36 symbols with overwhelming odds
}

TEST(Roles, ParseCaseInsensitively) {
  EXPECT_EQ(parse_role("administrator"), storage::Role::kAdministrator);
  EXPECT_EQ(parse_role("MANAGER"), storage::Role::kManager);
  EXPECT_EQ(parse_role("Reporting"), storage::Role::kReporting);
  EXPECT_FALSE(parse_role("root").has_value());
}

}  // namespace
}  // namespace connect_auth::domain
