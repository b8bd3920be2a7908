// AuthCache over the real SQLite store: two store instances on one file stand for the server and
// the CLI (another process), as in production.
#include "domain/auth_cache.h"

#include <gtest/gtest.h>

#include "domain/admin.h"
#include "domain/outage_store.h"
#include "domain/signing_keys.h"
#include "support/fixed_master_key.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"

namespace connect_auth::domain {
namespace {

class AuthCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = "sqlite://" + (dir_ / "store.db").string();
    server_store_ = std::move(::connect_auth::test::open_sqlite_store(url_).value());
    cli_store_ = std::move(::connect_auth::test::open_sqlite_store(url_).value());
    ASSERT_TRUE(ensure_hs256_signing_key(*cli_store_, master_, random_, clock_).ok());
    admin_ = std::make_unique<AdminService>(*cli_store_, hasher_, random_, clock_);
    guid_ = admin_->create_account("Acme", "us").value();
    ASSERT_TRUE(admin_->create_user("ops@acme.test", "password-123").ok());
    ASSERT_TRUE(admin_->grant_role("ops@acme.test", guid_, storage::Role::kManager).ok());
    cache_ = std::make_unique<AuthCache>(*server_store_, master_);
    ASSERT_TRUE(cache_->load().ok());
  }

  testing::TempDir dir_;
  std::string url_;
  SystemClock clock_;
  SecureRandom random_;
  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(0x42);
  std::array<std::uint8_t, 32> pepper_ = master_.pepper();
  tokens::SecretHasher hasher_{pepper_};
  std::unique_ptr<storage::Store> server_store_;
  std::unique_ptr<storage::Store> cli_store_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<AuthCache> cache_;
  std::string guid_;
};

TEST_F(AuthCacheTest, LoadsEverythingIncludingTheSigningKey) {
  const AuthView& view = cache_->view();
  ASSERT_NE(view.signing_keys, nullptr);
  EXPECT_NE(view.signing_keys->signing_key(tokens::JwsAlgorithm::kHs256), nullptr);
  ASSERT_NE(view.find_account(guid_), nullptr);
  EXPECT_EQ(view.find_account(guid_)->country_code, "US");
  EXPECT_EQ(view.users.size(), 1u);
  EXPECT_TRUE(view.keys.empty());
}

TEST_F(AuthCacheTest, RefreshAppliesChangesMadeByAnotherConnection) {
  auto key = admin_->create_api_key("ops@acme.test", {guid_}).value();
  EXPECT_EQ(cache_->view().find_key(key.api_id), nullptr);  // not yet refreshed
  ASSERT_TRUE(cache_->refresh().ok());
  const KeyEntry* entry = cache_->view().find_key(key.api_id);
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(hasher_.matches(key.api_secret, entry->secret_hash));
  EXPECT_EQ(entry->generation, 1);

  auto secret = admin_->regenerate_api_key(key.api_id).value();
  ASSERT_TRUE(cache_->refresh().ok());
  entry = cache_->view().find_key(key.api_id);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->generation, 2);
  EXPECT_TRUE(hasher_.matches(secret, entry->secret_hash));
  EXPECT_FALSE(hasher_.matches(key.api_secret, entry->secret_hash));

  ASSERT_TRUE(admin_->set_account_active(guid_, false).ok());
  ASSERT_TRUE(admin_->set_user_disabled("ops@acme.test", true).ok());
  ASSERT_TRUE(admin_->delete_api_key(key.api_id).ok());
  ASSERT_TRUE(cache_->refresh().ok());
  EXPECT_EQ(cache_->view().find_key(key.api_id), nullptr);
  EXPECT_FALSE(cache_->view().find_account(guid_)->active);
  EXPECT_TRUE(cache_->view().users.begin()->second->disabled);
}

TEST_F(AuthCacheTest, OldViewsStayValidWhileANewOneIsPublished) {
  const AuthView& before = cache_->view();
  const std::int64_t seq_before = before.change_seq;
  auto key = admin_->create_api_key("ops@acme.test", {guid_}).value();
  ASSERT_TRUE(cache_->refresh().ok());
  // `before` is still this thread's view until it asks again.
  EXPECT_EQ(before.change_seq, seq_before);
  EXPECT_EQ(before.find_key(key.api_id), nullptr);
  EXPECT_NE(cache_->view().find_key(key.api_id), nullptr);
}

TEST_F(AuthCacheTest, ManyChangesFallBackToAFullReload) {
  std::vector<std::string> ids;
  for (int i = 0; i < 600; ++i) {
    ids.push_back(admin_->create_api_key("ops@acme.test", {guid_}).value().api_id);
  }
  ASSERT_TRUE(cache_->refresh().ok());
  EXPECT_EQ(cache_->view().keys.size(), 600u);
  for (const auto& id : ids) ASSERT_NE(cache_->view().find_key(id), nullptr);
}

TEST_F(AuthCacheTest, PollerSeesAnotherConnectionsChangeWithinASecond) {
  cache_->start_polling(std::chrono::milliseconds(50), clock_);
  auto key = admin_->create_api_key("ops@acme.test", {guid_}).value();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (cache_->view().find_key(key.api_id) == nullptr &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(cache_->view().find_key(key.api_id), nullptr);
  cache_->stop_polling();
}

TEST_F(AuthCacheTest, ViewsAreReadConcurrentlyWhileRefreshing) {
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const AuthView& view = cache_->view();
        if (view.find_account(guid_) != nullptr) reads.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(admin_->create_api_key("ops@acme.test", {guid_}).ok());
    ASSERT_TRUE(cache_->refresh().ok());
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(cache_->view().keys.size(), 50u);
}

TEST_F(AuthCacheTest, AnOutageKeepsServingTheLastViewAndRecovers) {
  // bad-inputs.md invariant 5: an infrastructure fault never destroys a client's valid tokens.
  test::OutageStore flaky(*server_store_);
  AuthCache cache(flaky, master_);
  auto key = admin_->create_api_key("ops@acme.test", {guid_}).value();
  ASSERT_TRUE(cache.load().ok());
  ASSERT_NE(cache.view().find_key(key.api_id), nullptr);

  flaky.down = true;
  auto another = admin_->create_api_key("ops@acme.test", {guid_}).value();
  auto refreshed = cache.refresh();
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_NE(cache.view().find_key(key.api_id), nullptr);      // still served
  EXPECT_EQ(cache.view().find_key(another.api_id), nullptr);  // not yet known
  EXPECT_NE(cache.view().signing_keys->signing_key(tokens::JwsAlgorithm::kHs256), nullptr);

  flaky.down = false;
  ASSERT_TRUE(cache.refresh().ok());
  EXPECT_NE(cache.view().find_key(another.api_id), nullptr);  // caught up, nothing lost
}

TEST_F(AuthCacheTest, ALoadDuringAnOutageFailsInsteadOfServingNothing) {
  test::OutageStore flaky(*server_store_);
  flaky.down = true;
  AuthCache cache(flaky, master_);
  auto loaded = cache.load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kStorageUnavailable);
}

TEST_F(AuthCacheTest, WrongMasterKeyFailsLoudly) {
  std::array<std::uint8_t, 32> other{};
  other.fill(0x43);
  auto wrong = tokens::MasterKey::from_bytes(other);
  AuthCache cache(*server_store_, wrong);
  auto loaded = cache.load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().description.find("master key"), std::string::npos);
}

}  // namespace
}  // namespace connect_auth::domain

namespace connect_auth::domain {
namespace {

TEST(RevokedTokens, CopiesShareUnchangedShardsAndForgetExpiredEntries) {
  RevokedTokens revoked;
  EXPECT_FALSE(revoked.contains("AT.a"));
  for (int i = 0; i < 200; ++i) revoked.insert("AT." + std::to_string(i), i < 100 ? 10 : 20);
  EXPECT_EQ(revoked.size(), 200u);
  const RevokedTokens before = revoked;  // a published view keeps its copy
  revoked.insert("AT.new", 30);
  EXPECT_TRUE(revoked.contains("AT.new"));
  EXPECT_FALSE(before.contains("AT.new"));
  revoked.insert("AT.new", 40);  // again: still one entry
  EXPECT_EQ(revoked.size(), 201u);

  revoked.drop_expired(15);
  EXPECT_EQ(revoked.size(), 101u);
  EXPECT_FALSE(revoked.contains("AT.5"));
  EXPECT_TRUE(revoked.contains("AT.150"));
  EXPECT_TRUE(before.contains("AT.5"));  // the older view is untouched
  revoked.drop_expired(100);
  EXPECT_EQ(revoked.size(), 0u);
  EXPECT_FALSE(revoked.contains("AT.new"));
}

}  // namespace
}  // namespace connect_auth::domain
