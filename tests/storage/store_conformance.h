// The one conformance suite every Store backend must pass, written only against store.h.
//
// A backend joins by defining a Backend type and instantiating the suite in its own test file:
//
//   struct MyBackend {
//     // Set to skip the whole suite, e.g. "CONNECT_AUTH_TEST_POSTGRES_URL is not set".
//     static std::optional<std::string> unavailable_reason();
//     // A store on this test's own, initially empty database. Called again, it returns another
//     // handle on the same database (another "node").
//     Result<std::unique_ptr<Store>> open(std::shared_ptr<const Clock> clock);
//     // Constructor / destructor create and drop the per-test database.
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StoreConformanceTest, MyBackend);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "refresh_outcome_printer.h"
#include "storage/store.h"

namespace connect_auth::storage::conformance {

using tokens::SecretHash;
using tokens::TokenHash;

inline constexpr std::int64_t kStartTime = 1'700'000'000;
inline constexpr std::int64_t kStartMs = kStartTime * 1000;
inline constexpr std::int64_t kDayMs = 86'400'000;

inline constexpr const char* kAcme = "0b9d4a7e-3c1f-4f5e-9a41-6d2f8c0e1a01";
inline constexpr const char* kGlobex = "1c2e5b8f-4d20-4a6f-8b52-7e3f9d1f2b02";
inline constexpr const char* kInitech = "2d3f6c90-5e31-4b70-9c63-8f40ae203c03";

inline Account make_account(std::string guid, std::string name = "Acme Corp",
                            std::string country = "US", bool active = true) {
  return Account{std::move(guid), std::move(name), std::move(country), active};
}

inline SecretHash hash_of(std::uint8_t fill) {
  SecretHash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(fill + i);
  return h;
}

inline ApiKey make_key(std::string api_id, std::int64_t user_id, std::vector<std::string> guids,
                       std::uint8_t fill = 1) {
  ApiKey key;
  key.api_id = std::move(api_id);
  key.user_id = user_id;
  key.secret_hash = hash_of(fill);
  key.generation = 1;
  key.account_guids = std::move(guids);
  key.created_at = kStartTime;
  key.updated_at = kStartTime;
  return key;
}

// A distinct refresh-token hash per n.
inline TokenHash token_hash(std::uint32_t n) {
  TokenHash h{};
  h.fill(0xA5);
  for (int i = 0; i < 4; ++i) h[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return h;
}

inline RefreshRedemption redemption(const TokenHash& presented, const TokenHash& successor,
                                    std::int64_t now_ms, RefreshPolicy policy = {}) {
  return RefreshRedemption{presented, successor, now_ms, policy};
}

inline SigningKey make_signing_key(std::string kid, std::string algorithm, std::int64_t created_at,
                                   bool active = true,
                                   std::optional<std::int64_t> retired_at = std::nullopt,
                                   std::int64_t activates_at = 0) {
  return SigningKey{std::move(kid), std::move(algorithm), {9, 8, 7},   created_at,
                    active,         retired_at,           activates_at};
}

// A 25-character [A-Z0-9] id, as the wire contract shapes them.
inline std::string api_id_for(int n) {
  std::string id = "AK" + std::to_string(n);
  id.insert(2, 25 - id.size(), '0');
  return id;
}

template <class T>
ErrorCode code_of(const Result<T>& r) {
  return r.ok() ? ErrorCode::kInternal : r.error().code;
}

// Fails with the description when a result is an error, so a broken backend says why.
#define CA_ASSERT_OK(expr)                                                           \
  do {                                                                               \
    const auto& ca_result_ = (expr);                                                 \
    ASSERT_TRUE(ca_result_.ok()) << #expr << ": " << ca_result_.error().description; \
  } while (0)

#define CA_EXPECT_ERROR(expr, expected_code)                \
  do {                                                      \
    const auto& ca_result_ = (expr);                        \
    ASSERT_FALSE(ca_result_.ok()) << #expr << " succeeded"; \
    EXPECT_EQ(ca_result_.error().code, expected_code)       \
        << #expr << ": " << ca_result_.error().description; \
  } while (0)

// A description must be safe to show a client (bad-inputs.md §G): no SQL, no engine message.
inline void expect_safe_description(const Error& e) {
  std::string lowered = e.description;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"select", "insert", "update ", "delete from", "constraint", "sqlite",
                           "/tmp", "/var", ".db", "postgres", "syntax"}) {
    EXPECT_EQ(lowered.find(word), std::string::npos)
        << "description leaks '" << word << "': " << e.description;
  }
  EXPECT_FALSE(e.description.empty());
}

template <class Backend>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = Backend::unavailable_reason()) GTEST_SKIP() << *reason;
    auto opened = backend_.open(clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().description;
    store_ = std::move(opened).value();
  }

  Store& store() { return *store_; }

  // A user with an Acme account and one role, as most API-key tests need.
  std::int64_t seed_user(std::string name = "ops@acme.test") {
    EXPECT_TRUE(store().create_account(make_account(kAcme)).ok());
    auto id = store().create_user(name, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }

  std::vector<Change> all_changes() {
    auto changes = store().changes_since(0, 1'000'000);
    EXPECT_TRUE(changes.ok()) << changes.error().description;
    return changes.ok() ? *changes : std::vector<Change>{};
  }

  std::int64_t last_seq() {
    auto changes = all_changes();
    return changes.empty() ? 0 : changes.back().seq;
  }

  // A family whose first token is `first`, issued at now_ms.
  std::int64_t new_family(std::int64_t user_id, const TokenHash& first,
                          std::int64_t now_ms = kStartMs,
                          std::int64_t absolute_expires_at_ms = kStartMs + 90 * kDayMs) {
    auto id = store().create_refresh_family(
        NewRefreshFamily{first, user_id, "offline_access", now_ms, absolute_expires_at_ms});
    EXPECT_TRUE(id.ok()) << id.error().description;
    return id.ok() ? *id : 0;
  }

  // The outcome of one redemption; a store error fails the test and reads as kUnknown.
  RefreshOutcome redeem(const TokenHash& presented, const TokenHash& successor, std::int64_t now_ms,
                        RefreshPolicy policy = {}) {
    auto r = store().redeem_refresh_token(redemption(presented, successor, now_ms, policy));
    EXPECT_TRUE(r.ok()) << r.error().description;
    return r.ok() ? r->outcome : RefreshOutcome::kUnknown;
  }

  SigningKey signing_key(std::string_view kid) {
    auto keys = store().list_signing_keys();
    EXPECT_TRUE(keys.ok());
    if (keys.ok()) {
      for (const SigningKey& k : *keys) {
        if (k.kid == kid) return k;
      }
    }
    ADD_FAILURE() << "no signing key " << kid;
    return {};
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kStartTime);
  Backend backend_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreConformanceTest);

// ------------------------------------------------------------------ accounts

TYPED_TEST_P(StoreConformanceTest, AccountsCreateFindList) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_account(make_account(kGlobex, "Globex", "DE")));
  CA_ASSERT_OK(s.create_account(make_account(kAcme, "Acme Corp", "US", false)));

  auto found = s.find_account(kGlobex);
  CA_ASSERT_OK(found);
  EXPECT_EQ(found->guid, kGlobex);
  EXPECT_EQ(found->company_name, "Globex");
  EXPECT_EQ(found->country_code, "DE");
  EXPECT_TRUE(found->active);

  auto list = s.list_accounts();
  CA_ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].guid, kAcme);  // ordered by guid
  EXPECT_FALSE((*list)[0].active);
  EXPECT_EQ((*list)[1].guid, kGlobex);

  CA_EXPECT_ERROR(s.find_account(kInitech), ErrorCode::kStorageNotFound);
  expect_safe_description(s.find_account(kInitech).error());
}

TYPED_TEST_P(StoreConformanceTest, AccountsActivateDeactivate) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_account(make_account(kAcme)));
  CA_ASSERT_OK(s.set_account_active(kAcme, false));
  EXPECT_FALSE(s.find_account(kAcme)->active);
  CA_ASSERT_OK(s.set_account_active(kAcme, true));
  EXPECT_TRUE(s.find_account(kAcme)->active);
  CA_EXPECT_ERROR(s.set_account_active(kGlobex, false), ErrorCode::kStorageNotFound);
}

TYPED_TEST_P(StoreConformanceTest, DuplicateAccountConflicts) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_account(make_account(kAcme, "First")));
  auto again = s.create_account(make_account(kAcme, "Second"));
  CA_EXPECT_ERROR(again, ErrorCode::kStorageConflict);
  EXPECT_EQ(again.error().description, "account already exists");
  EXPECT_EQ(s.find_account(kAcme)->company_name, "First");
}

// ------------------------------------------------------------------ users

TYPED_TEST_P(StoreConformanceTest, UsersCreateFindByNameAndId) {
  auto& s = this->store();
  auto alice = s.create_user("alice@acme.test", "hash-a");
  auto bob = s.create_user("bob@acme.test", "hash-b");
  CA_ASSERT_OK(alice);
  CA_ASSERT_OK(bob);
  EXPECT_NE(*alice, *bob);

  auto by_name = s.find_user_by_name("bob@acme.test");
  CA_ASSERT_OK(by_name);
  EXPECT_EQ(by_name->id, *bob);
  EXPECT_EQ(by_name->user_name, "bob@acme.test");
  EXPECT_EQ(by_name->password_hash, "hash-b");
  EXPECT_FALSE(by_name->disabled);

  auto by_id = s.find_user_by_id(*alice);
  CA_ASSERT_OK(by_id);
  EXPECT_EQ(by_id->user_name, "alice@acme.test");
  EXPECT_EQ(by_id->password_hash, "hash-a");

  auto list = s.list_users();
  CA_ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, *alice);  // ordered by id
  EXPECT_EQ((*list)[1].id, *bob);

  CA_EXPECT_ERROR(s.find_user_by_id(*bob + 1000), ErrorCode::kStorageNotFound);
  CA_EXPECT_ERROR(s.find_user_by_name("carol@acme.test"), ErrorCode::kStorageNotFound);
  EXPECT_EQ(s.find_user_by_name("carol@acme.test").error().description, "user not found");
}

TYPED_TEST_P(StoreConformanceTest, UserNamesCompareAsExactBytes) {
  auto& s = this->store();
  auto ops = s.create_user("Ops@acme.test", "h");
  CA_ASSERT_OK(ops);
  for (const std::string& variant :
       {std::string("ops@acme.test"), std::string("OPS@ACME.TEST"), std::string("Ops@acme.test "),
        std::string(" Ops@acme.test"), std::string("Ops@acme.tes"),
        std::string("Ops@acme.test\0x", 15), std::string("\xD0\x9Eps@acme.test"),  // Cyrillic O
        std::string("Ops@acme.test\xE2\x80\x8B"),                                  // zero-width sp
        std::string("Ops%"), std::string("Ops_acme.test"), std::string("")}) {
    CA_EXPECT_ERROR(s.find_user_by_name(variant), ErrorCode::kStorageNotFound);
  }
  // A case variant is a different name, so it may be registered as a different user.
  auto lower = s.create_user("ops@acme.test", "h2");
  CA_ASSERT_OK(lower);
  EXPECT_NE(*lower, *ops);
  EXPECT_EQ(s.find_user_by_name("Ops@acme.test")->id, *ops);
  EXPECT_EQ(s.find_user_by_name("ops@acme.test")->id, *lower);

  // Bytes that are not UTF-8 and embedded NULs round-trip unchanged.
  const std::string odd("n\0ul\xFF\xFE", 6);
  auto odd_id = s.create_user(odd, "h3");
  CA_ASSERT_OK(odd_id);
  auto found = s.find_user_by_name(odd);
  CA_ASSERT_OK(found);
  EXPECT_EQ(found->user_name, odd);
}

TYPED_TEST_P(StoreConformanceTest, DuplicateUserNameConflicts) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_user("ops@acme.test", "h"));
  auto again = s.create_user("ops@acme.test", "other");
  CA_EXPECT_ERROR(again, ErrorCode::kStorageConflict);
  EXPECT_EQ(again.error().description, "user name already exists");
  expect_safe_description(again.error());
}

TYPED_TEST_P(StoreConformanceTest, SqlMetacharactersNeverMatchAndNeverFail) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), user, {kAcme})));
  const std::vector<std::string> nasty = {"' OR 1=1 --",
                                          "' OR '1'='1",
                                          "\" OR \"\"=\"",
                                          "x'; DROP TABLE users; --",
                                          "%",
                                          "_",
                                          "*",
                                          "\\",
                                          "'; DELETE FROM api_keys; --",
                                          "1; SELECT 1",
                                          "?1",
                                          ":name",
                                          "$1"};
  for (const std::string& bad : nasty) {
    SCOPED_TRACE(bad);
    CA_EXPECT_ERROR(s.find_user_by_name(bad), ErrorCode::kStorageNotFound);
    CA_EXPECT_ERROR(s.find_account(bad), ErrorCode::kStorageNotFound);
    CA_EXPECT_ERROR(s.find_api_key(bad), ErrorCode::kStorageNotFound);
    CA_EXPECT_ERROR(s.set_account_active(bad, false), ErrorCode::kStorageNotFound);
    CA_EXPECT_ERROR(s.regenerate_api_key(bad, hash_of(9), kStartTime), ErrorCode::kStorageNotFound);
    CA_EXPECT_ERROR(s.delete_api_key(bad), ErrorCode::kStorageNotFound);
    CA_EXPECT_ERROR(s.grant_role(user, bad, Role::kManager), ErrorCode::kStorageNotFound);
  }
  // Nothing was dropped or deleted, and such names are ordinary data.
  CA_ASSERT_OK(s.find_api_key(api_id_for(1)));
  CA_ASSERT_OK(s.find_account(kAcme));
  for (const std::string& bad : nasty) {
    auto id = s.create_user(bad, "h");
    CA_ASSERT_OK(id);
    EXPECT_EQ(s.find_user_by_name(bad)->id, *id);
  }
  EXPECT_EQ(s.list_users()->size(), nasty.size() + 1);
}

TYPED_TEST_P(StoreConformanceTest, DisableUser) {
  auto& s = this->store();
  auto id = s.create_user("ops@acme.test", "h");
  CA_ASSERT_OK(id);
  CA_ASSERT_OK(s.set_user_disabled(*id, true));
  EXPECT_TRUE(s.find_user_by_id(*id)->disabled);
  EXPECT_TRUE(s.find_user_by_name("ops@acme.test")->disabled);
  CA_ASSERT_OK(s.set_user_disabled(*id, false));
  EXPECT_FALSE(s.find_user_by_id(*id)->disabled);
  CA_EXPECT_ERROR(s.set_user_disabled(*id + 1, true), ErrorCode::kStorageNotFound);
}

TYPED_TEST_P(StoreConformanceTest, DisablingAUserRevokesItsKeysTokensForGood) {
  auto& s = this->store();
  const std::int64_t alice = this->seed_user("alice@acme.test");
  auto created_bob = s.create_user("bob@acme.test", "h");
  CA_ASSERT_OK(created_bob);
  const std::int64_t bob = *created_bob;
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), alice, {kAcme}, 1)));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(2), alice, {kAcme}, 5)));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(3), bob, {kAcme}, 1)));
  const std::int64_t before = this->last_seq();
  CA_ASSERT_OK(s.set_user_disabled(alice, true));
  EXPECT_EQ(s.find_api_key(api_id_for(1))->generation, 2);
  EXPECT_EQ(s.find_api_key(api_id_for(2))->generation, 2);
  EXPECT_EQ(s.find_api_key(api_id_for(3))->generation, 1);            // other users' keys untouched
  EXPECT_EQ(s.find_api_key(api_id_for(2))->secret_hash, hash_of(5));  // the secret still works
  auto changes = s.changes_since(before, 10);
  CA_ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].kind, ChangeKind::kUser);
  std::vector<std::string> refs = {(*changes)[1].ref, (*changes)[2].ref};
  std::sort(refs.begin(), refs.end());
  EXPECT_EQ(refs, (std::vector<std::string>{api_id_for(1), api_id_for(2)}));
  // Enabling again changes no generation: old tokens stay revoked, the secret still works.
  CA_ASSERT_OK(s.set_user_disabled(alice, false));
  EXPECT_EQ(s.find_api_key(api_id_for(1))->generation, 2);
}

TYPED_TEST_P(StoreConformanceTest, GrantRoleInsertsAndReplaces) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_account(make_account(kGlobex, "Globex")));

  CA_ASSERT_OK(s.grant_role(user, kGlobex, Role::kReporting));
  CA_ASSERT_OK(s.grant_role(user, kAcme, Role::kAdministrator));
  auto roles = s.list_roles(user);
  CA_ASSERT_OK(roles);
  ASSERT_EQ(roles->size(), 2u);
  EXPECT_EQ((*roles)[0].account_guid, kAcme);  // ordered by account guid
  EXPECT_EQ((*roles)[0].role, Role::kAdministrator);
  EXPECT_EQ((*roles)[0].user_id, user);
  EXPECT_EQ((*roles)[1].account_guid, kGlobex);
  EXPECT_EQ((*roles)[1].role, Role::kReporting);

  CA_ASSERT_OK(s.grant_role(user, kGlobex, Role::kManager));  // replaces, no second row
  roles = s.list_roles(user);
  ASSERT_EQ(roles->size(), 2u);
  EXPECT_EQ((*roles)[1].role, Role::kManager);

  auto unknown_account = s.grant_role(user, kInitech, Role::kManager);
  CA_EXPECT_ERROR(unknown_account, ErrorCode::kStorageNotFound);
  EXPECT_EQ(unknown_account.error().description, "account not found");
  auto unknown_user = s.grant_role(user + 99, kAcme, Role::kManager);
  CA_EXPECT_ERROR(unknown_user, ErrorCode::kStorageNotFound);
  EXPECT_EQ(unknown_user.error().description, "user not found");

  auto none = s.list_roles(user + 99);
  CA_ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

// ------------------------------------------------------------------ API keys

TYPED_TEST_P(StoreConformanceTest, ApiKeyCreateAndFindWithSortedAccounts) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_account(make_account(kGlobex, "Globex")));
  CA_ASSERT_OK(s.create_account(make_account(kInitech, "Initech")));

  ApiKey key = make_key(api_id_for(7), user, {kInitech, kAcme, kGlobex, kAcme}, 42);
  key.generation = 1;
  key.created_at = kStartTime - 10;
  key.updated_at = kStartTime - 5;
  CA_ASSERT_OK(s.create_api_key(key));

  auto found = s.find_api_key(api_id_for(7));
  CA_ASSERT_OK(found);
  EXPECT_EQ(found->api_id, api_id_for(7));
  EXPECT_EQ(found->user_id, user);
  EXPECT_EQ(found->secret_hash, hash_of(42));
  EXPECT_EQ(found->generation, 1);
  EXPECT_EQ(found->created_at, kStartTime - 10);
  EXPECT_EQ(found->updated_at, kStartTime - 5);
  EXPECT_EQ(found->account_guids, (std::vector<std::string>{kAcme, kGlobex, kInitech}));

  // Ids are exact bytes too.
  std::string lower = api_id_for(7);
  lower[0] = 'a';
  CA_EXPECT_ERROR(s.find_api_key(lower), ErrorCode::kStorageNotFound);
  CA_EXPECT_ERROR(s.find_api_key(api_id_for(7) + " "), ErrorCode::kStorageNotFound);
}

TYPED_TEST_P(StoreConformanceTest, ApiKeyListAllAndPerUser) {
  auto& s = this->store();
  const std::int64_t alice = this->seed_user("alice@acme.test");
  auto bob = s.create_user("bob@acme.test", "h");
  CA_ASSERT_OK(bob);
  CA_ASSERT_OK(s.create_account(make_account(kGlobex, "Globex")));

  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(3), alice, {kGlobex, kAcme}, 3)));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), *bob, {kAcme}, 1)));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(2), alice, {kGlobex}, 2)));

  auto all = s.list_api_keys(std::nullopt);
  CA_ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].api_id, api_id_for(1));  // ordered by api_id
  EXPECT_EQ((*all)[1].api_id, api_id_for(2));
  EXPECT_EQ((*all)[2].api_id, api_id_for(3));
  EXPECT_EQ((*all)[0].account_guids, (std::vector<std::string>{kAcme}));
  EXPECT_EQ((*all)[1].account_guids, (std::vector<std::string>{kGlobex}));
  EXPECT_EQ((*all)[2].account_guids, (std::vector<std::string>{kAcme, kGlobex}));
  EXPECT_EQ((*all)[2].secret_hash, hash_of(3));

  auto mine = s.list_api_keys(alice);
  CA_ASSERT_OK(mine);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].api_id, api_id_for(2));
  EXPECT_EQ((*mine)[1].api_id, api_id_for(3));
  EXPECT_EQ((*mine)[1].account_guids, (std::vector<std::string>{kAcme, kGlobex}));

  auto nobody = s.list_api_keys(*bob + 100);
  CA_ASSERT_OK(nobody);
  EXPECT_TRUE(nobody->empty());
}

TYPED_TEST_P(StoreConformanceTest, ApiKeyDuplicateConflicts) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), user, {kAcme}, 1)));
  auto again = s.create_api_key(make_key(api_id_for(1), user, {kAcme}, 2));
  CA_EXPECT_ERROR(again, ErrorCode::kStorageConflict);
  EXPECT_EQ(again.error().description, "api key already exists");
  EXPECT_EQ(s.find_api_key(api_id_for(1))->secret_hash, hash_of(1));
}

TYPED_TEST_P(StoreConformanceTest, ApiKeyWithUnknownUserOrAccountWritesNothing) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t before = this->last_seq();

  auto bad_account = s.create_api_key(make_key(api_id_for(1), user, {kAcme, kInitech}));
  CA_EXPECT_ERROR(bad_account, ErrorCode::kStorageNotFound);
  EXPECT_EQ(bad_account.error().description, "account not found");
  auto bad_user = s.create_api_key(make_key(api_id_for(1), user + 50, {kAcme}));
  CA_EXPECT_ERROR(bad_user, ErrorCode::kStorageNotFound);
  EXPECT_EQ(bad_user.error().description, "user not found");

  CA_EXPECT_ERROR(s.find_api_key(api_id_for(1)), ErrorCode::kStorageNotFound);
  EXPECT_TRUE(s.list_api_keys(std::nullopt)->empty());
  EXPECT_EQ(this->last_seq(), before);  // no change row for a failed write
}

TYPED_TEST_P(StoreConformanceTest, RegenerateReplacesHashAndIncrementsGeneration) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), user, {kAcme}, 1)));

  auto gen2 = s.regenerate_api_key(api_id_for(1), hash_of(2), kStartTime + 60);
  CA_ASSERT_OK(gen2);
  EXPECT_EQ(*gen2, 2);
  auto key = s.find_api_key(api_id_for(1));
  CA_ASSERT_OK(key);
  EXPECT_EQ(key->generation, 2);
  EXPECT_EQ(key->secret_hash, hash_of(2));
  EXPECT_EQ(key->created_at, kStartTime);
  EXPECT_EQ(key->updated_at, kStartTime + 60);
  EXPECT_EQ(key->account_guids, (std::vector<std::string>{kAcme}));

  auto gen3 = s.regenerate_api_key(api_id_for(1), hash_of(3), kStartTime + 120);
  CA_ASSERT_OK(gen3);
  EXPECT_EQ(*gen3, 3);
  EXPECT_EQ(s.find_api_key(api_id_for(1))->secret_hash, hash_of(3));
}

TYPED_TEST_P(StoreConformanceTest, DeleteRemovesKeyAndItsAccounts) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_account(make_account(kGlobex, "Globex")));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), user, {kAcme, kGlobex}, 1)));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(2), user, {kAcme}, 2)));

  CA_ASSERT_OK(s.delete_api_key(api_id_for(1)));
  auto gone = s.find_api_key(api_id_for(1));
  CA_EXPECT_ERROR(gone, ErrorCode::kStorageNotFound);
  EXPECT_EQ(gone.error().description, "api key not found");
  auto left = s.list_api_keys(std::nullopt);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].api_id, api_id_for(2));
  auto snap = s.load_auth_snapshot();
  CA_ASSERT_OK(snap);
  ASSERT_EQ(snap->api_keys.size(), 1u);

  // The id can be reused with other accounts: no stale grant rows survive the delete.
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), user, {kGlobex}, 5)));
  EXPECT_EQ(s.find_api_key(api_id_for(1))->account_guids, (std::vector<std::string>{kGlobex}));
  EXPECT_EQ(s.find_api_key(api_id_for(1))->generation, 1);
}

TYPED_TEST_P(StoreConformanceTest, RegenerateOrDeleteUnknownIsNotFound) {
  auto& s = this->store();
  const std::int64_t before = this->last_seq();
  auto regen = s.regenerate_api_key(api_id_for(404), hash_of(1), kStartTime);
  CA_EXPECT_ERROR(regen, ErrorCode::kStorageNotFound);
  EXPECT_EQ(regen.error().description, "api key not found");
  auto del = s.delete_api_key(api_id_for(404));
  CA_EXPECT_ERROR(del, ErrorCode::kStorageNotFound);
  EXPECT_EQ(del.error().description, "api key not found");
  EXPECT_EQ(this->last_seq(), before);
}

// ------------------------------------------------------------------ signing keys

TYPED_TEST_P(StoreConformanceTest, SigningKeysInsertAndList) {
  auto& s = this->store();
  SigningKey old_key{"kid-old",        "HS256", {1, 2, 3, 0, 255},
                     kStartTime - 100, false,   kStartTime + 500};
  SigningKey new_key{"kid-new",  "RS256", std::vector<std::uint8_t>(1200, 7),
                     kStartTime, true,    std::nullopt};
  CA_ASSERT_OK(s.insert_signing_key(new_key));
  CA_ASSERT_OK(s.insert_signing_key(old_key));

  auto keys = s.list_signing_keys();
  CA_ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 2u);
  const SigningKey& a = (*keys)[0];  // ordered by created_at
  EXPECT_EQ(a.kid, "kid-old");
  EXPECT_EQ(a.algorithm, "HS256");
  EXPECT_EQ(a.sealed_material, old_key.sealed_material);
  EXPECT_EQ(a.created_at, kStartTime - 100);
  EXPECT_FALSE(a.active);
  EXPECT_EQ(a.retired_at, std::optional<std::int64_t>(kStartTime + 500));
  const SigningKey& b = (*keys)[1];
  EXPECT_EQ(b.kid, "kid-new");
  EXPECT_EQ(b.sealed_material, new_key.sealed_material);
  EXPECT_TRUE(b.active);
  EXPECT_FALSE(b.retired_at.has_value());

  CA_EXPECT_ERROR(s.insert_signing_key(new_key), ErrorCode::kStorageConflict);
}

// ------------------------------------------------------------------ change feed

TYPED_TEST_P(StoreConformanceTest, EveryMutationAppendsItsChangeInOrder) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_account(make_account(kAcme)));
  auto user = s.create_user("ops@acme.test", "h");
  CA_ASSERT_OK(user);
  const std::string uid = std::to_string(*user);
  CA_ASSERT_OK(s.grant_role(*user, kAcme, Role::kManager));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), *user, {kAcme})));
  CA_ASSERT_OK(s.regenerate_api_key(api_id_for(1), hash_of(2), kStartTime));
  CA_ASSERT_OK(s.set_account_active(kAcme, false));
  CA_ASSERT_OK(s.set_user_disabled(*user, true));
  CA_ASSERT_OK(s.insert_signing_key({"kid-1", "HS256", {1}, kStartTime, true, std::nullopt}));
  CA_ASSERT_OK(s.delete_api_key(api_id_for(1)));
  // Reads and failed writes append nothing.
  CA_ASSERT_OK(s.list_api_keys(std::nullopt));
  CA_ASSERT_OK(s.load_auth_snapshot());
  CA_EXPECT_ERROR(s.create_account(make_account(kAcme)), ErrorCode::kStorageConflict);
  CA_EXPECT_ERROR(s.set_user_disabled(*user + 1, true), ErrorCode::kStorageNotFound);

  const std::vector<std::pair<ChangeKind, std::string>> expected = {
      {ChangeKind::kAccount, kAcme},
      {ChangeKind::kUser, uid},
      {ChangeKind::kUser, uid},
      {ChangeKind::kApiKey, api_id_for(1)},
      {ChangeKind::kApiKey, api_id_for(1)},
      {ChangeKind::kAccount, kAcme},
      {ChangeKind::kUser, uid},
      {ChangeKind::kApiKey, api_id_for(1)},  // disabling bumps the user's keys' generations
      {ChangeKind::kSigningKey, "kid-1"},
      {ChangeKind::kApiKey, api_id_for(1)},
  };
  const auto changes = this->all_changes();
  ASSERT_EQ(changes.size(), expected.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(changes[i].kind, expected[i].first);
    EXPECT_EQ(changes[i].ref, expected[i].second);
    if (i > 0) {
      EXPECT_GT(changes[i].seq, changes[i - 1].seq);
    }
  }
}

TYPED_TEST_P(StoreConformanceTest, ChangesSinceIsExact) {
  auto& s = this->store();
  auto empty = s.changes_since(0, 10);
  CA_ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());

  const char* guids[] = {kAcme, kGlobex, kInitech};
  for (const char* g : guids) CA_ASSERT_OK(s.create_account(make_account(g)));
  const auto all = this->all_changes();
  ASSERT_EQ(all.size(), 3u);

  auto after_first = s.changes_since(all[0].seq, 10);
  CA_ASSERT_OK(after_first);
  ASSERT_EQ(after_first->size(), 2u);
  EXPECT_EQ((*after_first)[0].seq, all[1].seq);
  EXPECT_EQ((*after_first)[0].ref, kGlobex);
  EXPECT_EQ((*after_first)[1].ref, kInitech);

  auto limited = s.changes_since(0, 2);
  CA_ASSERT_OK(limited);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].seq, all[1].seq);

  auto none = s.changes_since(all[2].seq, 10);
  CA_ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  auto beyond = s.changes_since(all[2].seq + 1000, 10);
  CA_ASSERT_OK(beyond);
  EXPECT_TRUE(beyond->empty());
  auto zero = s.changes_since(0, 0);
  CA_ASSERT_OK(zero);
  EXPECT_TRUE(zero->empty());
}

TYPED_TEST_P(StoreConformanceTest, PrunedPositionIsNotFound) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_account(make_account(kAcme)));    // at T
  CA_ASSERT_OK(s.create_account(make_account(kGlobex)));  // at T
  this->clock_->advance(100);
  CA_ASSERT_OK(s.create_account(make_account(kInitech)));  // at T+100
  const auto all = this->all_changes();
  ASSERT_EQ(all.size(), 3u);

  CA_ASSERT_OK(s.prune_changes(kStartTime + 50));  // forgets the first two
  auto from_start = s.changes_since(0, 10);
  CA_EXPECT_ERROR(from_start, ErrorCode::kStorageNotFound);
  expect_safe_description(from_start.error());
  CA_EXPECT_ERROR(s.changes_since(all[0].seq, 10), ErrorCode::kStorageNotFound);
  // A reader that saw the last pruned change missed nothing.
  auto from_second = s.changes_since(all[1].seq, 10);
  CA_ASSERT_OK(from_second);
  ASSERT_EQ(from_second->size(), 1u);
  EXPECT_EQ((*from_second)[0].ref, kInitech);

  // Pruning nothing changes nothing; pruning is idempotent.
  CA_ASSERT_OK(s.prune_changes(kStartTime - 1000));
  CA_ASSERT_OK(s.prune_changes(kStartTime + 50));
  CA_ASSERT_OK(s.changes_since(all[1].seq, 10));

  // Prune everything: the snapshot still reports the position, and the feed continues after it.
  CA_ASSERT_OK(s.prune_changes(kStartTime + 1000));
  CA_EXPECT_ERROR(s.changes_since(all[1].seq, 10), ErrorCode::kStorageNotFound);
  auto snap = s.load_auth_snapshot();
  CA_ASSERT_OK(snap);
  EXPECT_EQ(snap->change_seq, all[2].seq);
  auto tail = s.changes_since(snap->change_seq, 10);
  CA_ASSERT_OK(tail);
  EXPECT_TRUE(tail->empty());
  CA_ASSERT_OK(s.set_account_active(kAcme, false));
  tail = s.changes_since(snap->change_seq, 10);
  CA_ASSERT_OK(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_GT((*tail)[0].seq, all[2].seq);  // sequence numbers are never reused
}

// ------------------------------------------------------------------ snapshot

TYPED_TEST_P(StoreConformanceTest, SnapshotOfEmptyStore) {
  auto snap = this->store().load_auth_snapshot();
  CA_ASSERT_OK(snap);
  EXPECT_EQ(snap->change_seq, 0);
  EXPECT_TRUE(snap->accounts.empty());
  EXPECT_TRUE(snap->users.empty());
  EXPECT_TRUE(snap->grants.empty());
  EXPECT_TRUE(snap->api_keys.empty());
}

TYPED_TEST_P(StoreConformanceTest, SnapshotHoldsEverythingTheCacheNeeds) {
  auto& s = this->store();
  const std::int64_t alice = this->seed_user("alice@acme.test");
  auto bob = s.create_user("bob@acme.test", "bob-hash");
  CA_ASSERT_OK(bob);
  CA_ASSERT_OK(s.create_account(make_account(kGlobex, "Globex", "DE", false)));
  CA_ASSERT_OK(s.grant_role(alice, kAcme, Role::kAdministrator));
  CA_ASSERT_OK(s.grant_role(*bob, kGlobex, Role::kReporting));
  CA_ASSERT_OK(s.set_user_disabled(*bob, true));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(2), alice, {kGlobex, kAcme}, 2)));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), *bob, {kGlobex}, 1)));
  CA_ASSERT_OK(s.regenerate_api_key(api_id_for(1), hash_of(11), kStartTime + 1));

  auto snap = s.load_auth_snapshot();
  CA_ASSERT_OK(snap);
  EXPECT_EQ(snap->change_seq, this->last_seq());

  ASSERT_EQ(snap->accounts.size(), 2u);
  EXPECT_EQ(snap->accounts[0].guid, kAcme);
  EXPECT_TRUE(snap->accounts[0].active);
  EXPECT_EQ(snap->accounts[1].guid, kGlobex);
  EXPECT_FALSE(snap->accounts[1].active);
  EXPECT_EQ(snap->accounts[1].company_name, "Globex");
  EXPECT_EQ(snap->accounts[1].country_code, "DE");

  ASSERT_EQ(snap->users.size(), 2u);
  EXPECT_EQ(snap->users[0].id, alice);
  EXPECT_EQ(snap->users[0].user_name, "alice@acme.test");
  EXPECT_FALSE(snap->users[0].disabled);
  EXPECT_EQ(snap->users[1].id, *bob);
  EXPECT_TRUE(snap->users[1].disabled);
  for (const User& u : snap->users) EXPECT_TRUE(u.password_hash.empty());

  ASSERT_EQ(snap->grants.size(), 2u);
  std::set<std::tuple<std::int64_t, std::string, Role>> grants;
  for (const RoleGrant& g : snap->grants) grants.emplace(g.user_id, g.account_guid, g.role);
  EXPECT_TRUE(grants.count({alice, kAcme, Role::kAdministrator}));
  EXPECT_TRUE(grants.count({*bob, kGlobex, Role::kReporting}));

  ASSERT_EQ(snap->api_keys.size(), 2u);
  const ApiKey& k1 = snap->api_keys[0];
  EXPECT_EQ(k1.api_id, api_id_for(1));
  EXPECT_EQ(k1.user_id, *bob);
  EXPECT_EQ(k1.generation, 2);
  EXPECT_EQ(k1.secret_hash, hash_of(11));
  EXPECT_EQ(k1.account_guids, (std::vector<std::string>{kGlobex}));
  const ApiKey& k2 = snap->api_keys[1];
  EXPECT_EQ(k2.api_id, api_id_for(2));
  EXPECT_EQ(k2.account_guids, (std::vector<std::string>{kAcme, kGlobex}));
  EXPECT_EQ(k2.generation, 1);
}

// ------------------------------------------------------------------ sharing

TYPED_TEST_P(StoreConformanceTest, SecondHandleSeesWritesThroughTheFeed) {
  auto other = this->backend_.open(this->clock_);
  CA_ASSERT_OK(other);
  auto& s = this->store();
  auto& t = **other;

  auto start = t.load_auth_snapshot();
  CA_ASSERT_OK(start);
  const std::int64_t user = this->seed_user();
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(1), user, {kAcme})));
  CA_ASSERT_OK(s.delete_api_key(api_id_for(1)));

  auto seen = t.changes_since(start->change_seq, 100);
  CA_ASSERT_OK(seen);
  ASSERT_EQ(seen->size(), 4u);  // account, user, key created, key deleted
  EXPECT_EQ((*seen)[3].kind, ChangeKind::kApiKey);
  EXPECT_EQ((*seen)[3].ref, api_id_for(1));
  CA_EXPECT_ERROR(t.find_api_key(api_id_for(1)), ErrorCode::kStorageNotFound);
  EXPECT_EQ(t.find_user_by_id(user)->user_name, "ops@acme.test");
}

TYPED_TEST_P(StoreConformanceTest, ConcurrentCallsFromThreadsAllSucceed) {
  auto& s = this->store();
  CA_ASSERT_OK(s.create_account(make_account(kAcme)));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string name = "user-" + std::to_string(t) + "-" + std::to_string(i);
        auto id = s.create_user(name, "h");
        if (!id.ok() || !s.grant_role(*id, kAcme, Role::kReporting).ok() ||
            !s.create_api_key(make_key(api_id_for(t * 1000 + i), *id, {kAcme})).ok() ||
            !s.find_user_by_name(name).ok() || !s.load_auth_snapshot().ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s.list_users()->size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(s.list_api_keys(std::nullopt)->size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(this->all_changes().size(), static_cast<std::size_t>(1 + 3 * kThreads * kPerThread));
}

// ------------------------------------------------------------------ v4: users' sessions

TYPED_TEST_P(StoreConformanceTest, NewUserHasNoSessionCutoff) {
  auto& s = this->store();
  auto id = s.create_user("ops@acme.test", "h");
  CA_ASSERT_OK(id);
  EXPECT_EQ(s.find_user_by_id(*id)->sessions_not_before, 0);
  EXPECT_EQ(s.find_user_by_name("ops@acme.test")->sessions_not_before, 0);
}

TYPED_TEST_P(StoreConformanceTest, PasswordChangeEndsEverySession) {
  auto& s = this->store();
  const std::int64_t alice = this->seed_user("alice@acme.test");
  auto bob = s.create_user("bob@acme.test", "h");
  CA_ASSERT_OK(bob);
  this->new_family(alice, token_hash(1));
  this->new_family(alice, token_hash(2));
  this->new_family(*bob, token_hash(3));
  this->clock_->advance(500);
  const std::int64_t before = this->last_seq();

  CA_ASSERT_OK(s.set_user_password(alice, "new-hash"));
  auto user = s.find_user_by_id(alice);
  CA_ASSERT_OK(user);
  EXPECT_EQ(user->password_hash, "new-hash");
  EXPECT_FALSE(user->disabled);
  EXPECT_EQ(user->sessions_not_before, kStartTime + 501);
  auto snap = s.load_auth_snapshot();
  CA_ASSERT_OK(snap);
  for (const User& u : snap->users) {
    EXPECT_EQ(u.sessions_not_before, u.id == alice ? kStartTime + 501 : 0) << u.user_name;
  }
  // Exactly one kUser change; the cache reloads the user from it.
  auto changes = s.changes_since(before, 10);
  CA_ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, ChangeKind::kUser);
  EXPECT_EQ((*changes)[0].ref, std::to_string(alice));

  const std::int64_t now = (kStartTime + 500) * 1000;
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(11), now), RefreshOutcome::kRevoked);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(12), now), RefreshOutcome::kRevoked);
  EXPECT_EQ(this->redeem(token_hash(3), token_hash(13), now), RefreshOutcome::kRotated);

  // A family created after the change works; the cut-off only ever moves forward.
  this->new_family(alice, token_hash(4), now);
  EXPECT_EQ(this->redeem(token_hash(4), token_hash(14), now + 1), RefreshOutcome::kRotated);
  this->clock_->set(kStartTime + 100);  // clock stepped back
  CA_ASSERT_OK(s.set_user_password(alice, "newer-hash"));
  EXPECT_EQ(s.find_user_by_id(alice)->sessions_not_before, kStartTime + 501);

  auto unknown = s.set_user_password(*bob + 100, "h");
  CA_EXPECT_ERROR(unknown, ErrorCode::kStorageNotFound);
  EXPECT_EQ(unknown.error().description, "user not found");
}

TYPED_TEST_P(StoreConformanceTest, DisablingEndsEverySessionAndEnablingRevivesNone) {
  auto& s = this->store();
  const std::int64_t alice = this->seed_user("alice@acme.test");
  auto bob = s.create_user("bob@acme.test", "h");
  CA_ASSERT_OK(bob);
  this->new_family(alice, token_hash(1));
  this->new_family(*bob, token_hash(2));
  this->clock_->advance(60);

  CA_ASSERT_OK(s.set_user_disabled(alice, true));
  EXPECT_EQ(s.find_user_by_id(alice)->sessions_not_before, kStartTime + 61);
  EXPECT_EQ(s.find_user_by_id(*bob)->sessions_not_before, 0);
  const std::int64_t now = (kStartTime + 60) * 1000;
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(11), now), RefreshOutcome::kRevoked);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(12), now), RefreshOutcome::kRotated);

  // A family of a user who is disabled (created in a race with the disable) is revoked by its
  // first redemption.
  const std::int64_t late = this->new_family(alice, token_hash(3), now);
  auto first = s.redeem_refresh_token(redemption(token_hash(3), token_hash(13), now + 1));
  CA_ASSERT_OK(first);
  EXPECT_EQ(first->outcome, RefreshOutcome::kUserDisabled);
  EXPECT_EQ(first->family_id, late);
  EXPECT_EQ(this->redeem(token_hash(3), token_hash(14), now + 2), RefreshOutcome::kRevoked);

  this->clock_->advance(60);
  CA_ASSERT_OK(s.set_user_disabled(alice, false));
  auto enabled = s.find_user_by_id(alice);
  EXPECT_FALSE(enabled->disabled);
  EXPECT_EQ(enabled->sessions_not_before, kStartTime + 61);  // enabling moves nothing
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(15), now + 3), RefreshOutcome::kRevoked);
  EXPECT_EQ(this->redeem(token_hash(3), token_hash(16), now + 3), RefreshOutcome::kRevoked);
}

// ------------------------------------------------------------------ v4: signing keys

TYPED_TEST_P(StoreConformanceTest, SigningKeyActivationTimeRoundTrips) {
  auto& s = this->store();
  CA_ASSERT_OK(s.insert_signing_key(
      make_signing_key("kid-a", "RS256", kStartTime, true, std::nullopt, kStartTime + 90)));
  CA_ASSERT_OK(s.insert_signing_key(make_signing_key("kid-b", "HS256", kStartTime)));
  EXPECT_EQ(this->signing_key("kid-a").activates_at, kStartTime + 90);
  EXPECT_EQ(this->signing_key("kid-b").activates_at, 0);
}

TYPED_TEST_P(StoreConformanceTest, RotationRetiresTheOtherKeysOfItsAlgorithm) {
  auto& s = this->store();
  const std::int64_t retire_at = kStartTime + 3600;
  CA_ASSERT_OK(s.insert_signing_key(make_signing_key("rs-a", "RS256", kStartTime - 300)));
  CA_ASSERT_OK(s.insert_signing_key(  // retiring later than the rotation wants: brought forward
      make_signing_key("rs-b", "RS256", kStartTime - 200, false, retire_at + 1000)));
  CA_ASSERT_OK(s.insert_signing_key(  // retiring sooner: keeps its time
      make_signing_key("rs-c", "RS256", kStartTime - 100, false, kStartTime - 10)));
  CA_ASSERT_OK(s.insert_signing_key(make_signing_key("hs-a", "HS256", kStartTime - 50)));
  const std::int64_t before = this->last_seq();

  SigningKey fresh =
      make_signing_key("rs-new", "RS256", kStartTime, true, std::nullopt, kStartTime + 60);
  CA_ASSERT_OK(s.rotate_signing_key(fresh, retire_at));

  const SigningKey a = this->signing_key("rs-a");
  EXPECT_FALSE(a.active);
  EXPECT_EQ(a.retired_at, std::optional<std::int64_t>(retire_at));
  const SigningKey b = this->signing_key("rs-b");
  EXPECT_FALSE(b.active);
  EXPECT_EQ(b.retired_at, std::optional<std::int64_t>(retire_at));
  EXPECT_EQ(this->signing_key("rs-c").retired_at, std::optional<std::int64_t>(kStartTime - 10));
  const SigningKey hs = this->signing_key("hs-a");  // another algorithm: untouched
  EXPECT_TRUE(hs.active);
  EXPECT_FALSE(hs.retired_at.has_value());
  const SigningKey n = this->signing_key("rs-new");
  EXPECT_TRUE(n.active);
  EXPECT_FALSE(n.retired_at.has_value());
  EXPECT_EQ(n.activates_at, kStartTime + 60);
  EXPECT_EQ(n.created_at, kStartTime);

  auto changes = s.changes_since(before, 10);
  CA_ASSERT_OK(changes);
  std::set<std::string> refs;
  for (const Change& c : *changes) {
    EXPECT_EQ(c.kind, ChangeKind::kSigningKey);
    refs.insert(c.ref);
  }
  EXPECT_EQ(refs, (std::set<std::string>{"rs-new", "rs-a", "rs-b"}));

  // A clashing kid rotates nothing.
  const std::int64_t after = this->last_seq();
  CA_EXPECT_ERROR(s.rotate_signing_key(make_signing_key("rs-a", "RS256", kStartTime), retire_at),
                  ErrorCode::kStorageConflict);
  EXPECT_TRUE(this->signing_key("rs-new").active);
  EXPECT_EQ(this->last_seq(), after);
}

TYPED_TEST_P(StoreConformanceTest, DeleteRetiredSigningKeys) {
  auto& s = this->store();
  CA_ASSERT_OK(
      s.insert_signing_key(make_signing_key("gone", "RS256", kStartTime, false, kStartTime + 99)));
  CA_ASSERT_OK(
      s.insert_signing_key(make_signing_key("edge", "RS256", kStartTime, false, kStartTime + 100)));
  CA_ASSERT_OK(s.insert_signing_key(make_signing_key("live", "RS256", kStartTime)));
  CA_ASSERT_OK(s.insert_signing_key(make_signing_key("idle", "HS256", kStartTime, false)));
  const std::int64_t before = this->last_seq();

  CA_ASSERT_OK(s.delete_retired_signing_keys(kStartTime + 100));
  auto keys = s.list_signing_keys();
  CA_ASSERT_OK(keys);
  std::set<std::string> kids;
  for (const SigningKey& k : *keys) kids.insert(k.kid);
  EXPECT_EQ(kids, (std::set<std::string>{"edge", "live", "idle"}));
  auto changes = s.changes_since(before, 10);
  CA_ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, ChangeKind::kSigningKey);
  EXPECT_EQ((*changes)[0].ref, "gone");

  CA_ASSERT_OK(s.delete_retired_signing_keys(kStartTime + 100));  // nothing more to do
  EXPECT_EQ(this->last_seq(), (*changes)[0].seq);
}

// ------------------------------------------------------------------ v4: refresh tokens

TYPED_TEST_P(StoreConformanceTest, RefreshFamilyRotates) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t seq = this->last_seq();
  const std::int64_t family = this->new_family(user, token_hash(1));
  EXPECT_GT(family, 0);

  auto first = s.redeem_refresh_token(redemption(token_hash(1), token_hash(2), kStartMs + 10));
  CA_ASSERT_OK(first);
  EXPECT_EQ(first->outcome, RefreshOutcome::kRotated);
  EXPECT_EQ(first->family_id, family);
  EXPECT_EQ(first->user_id, user);
  EXPECT_EQ(first->user_name, "ops@acme.test");
  EXPECT_EQ(first->scope, "offline_access");
  EXPECT_EQ(first->generation, 2);

  auto second = s.redeem_refresh_token(redemption(token_hash(2), token_hash(3), kStartMs + 20));
  CA_ASSERT_OK(second);
  EXPECT_EQ(second->outcome, RefreshOutcome::kRotated);
  EXPECT_EQ(second->family_id, family);
  EXPECT_EQ(second->generation, 3);

  // Families are independent, and refresh writes are not cache changes.
  const std::int64_t other = this->new_family(user, token_hash(10));
  EXPECT_NE(other, family);
  EXPECT_EQ(this->redeem(token_hash(10), token_hash(11), kStartMs + 30), RefreshOutcome::kRotated);
  EXPECT_EQ(this->last_seq(), seq);
}

TYPED_TEST_P(StoreConformanceTest, RefreshFamilyCreationErrors) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  auto unknown_user = s.create_refresh_family(
      NewRefreshFamily{token_hash(1), user + 50, "offline_access", kStartMs, kStartMs + kDayMs});
  CA_EXPECT_ERROR(unknown_user, ErrorCode::kStorageNotFound);
  EXPECT_EQ(unknown_user.error().description, "user not found");
  expect_safe_description(unknown_user.error());
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs), RefreshOutcome::kUnknown);

  this->new_family(user, token_hash(1));
  auto clash = s.create_refresh_family(
      NewRefreshFamily{token_hash(1), user, "offline_access", kStartMs, kStartMs + kDayMs});
  CA_EXPECT_ERROR(clash, ErrorCode::kStorageConflict);
  expect_safe_description(clash.error());
  // A successor that clashes with a stored token issues nothing and retires nothing.
  this->new_family(user, token_hash(5));
  auto bad_successor =
      s.redeem_refresh_token(redemption(token_hash(5), token_hash(1), kStartMs + 1));
  CA_EXPECT_ERROR(bad_successor, ErrorCode::kStorageConflict);
  EXPECT_EQ(this->redeem(token_hash(5), token_hash(6), kStartMs + 2), RefreshOutcome::kRotated);
}

TYPED_TEST_P(StoreConformanceTest, UnknownRefreshTokenChangesNothing) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  this->new_family(user, token_hash(1));
  TokenHash near = token_hash(1);
  near[31] ^= 1;  // one bit off
  for (const TokenHash& t : {token_hash(999), near, TokenHash{}}) {
    auto r = s.redeem_refresh_token(redemption(t, token_hash(2), kStartMs));
    CA_ASSERT_OK(r);
    EXPECT_EQ(r->outcome, RefreshOutcome::kUnknown);
    EXPECT_EQ(r->family_id, 0);
    EXPECT_EQ(r->generation, 0);
  }
  // token_hash(2) was never stored as a successor.
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), kStartMs), RefreshOutcome::kUnknown);
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs), RefreshOutcome::kRotated);
}

TYPED_TEST_P(StoreConformanceTest, RetiredTokenAfterGraceIsReuse) {
  const std::int64_t user = this->seed_user();
  this->new_family(user, token_hash(1));
  const RefreshPolicy no_grace{0, 7 * kDayMs};
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs, no_grace),
            RefreshOutcome::kRotated);
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(3), kStartMs, no_grace),
            RefreshOutcome::kReuseDetected);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(4), kStartMs, no_grace),
            RefreshOutcome::kRevoked);
}

TYPED_TEST_P(StoreConformanceTest, ReplayInsideGraceIssuesASiblingInTheSameFamily) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t family = this->new_family(user, token_hash(1));
  const RefreshPolicy policy{30'000, 7 * kDayMs};
  const std::int64_t rotated = kStartMs + 10;
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), rotated, policy), RefreshOutcome::kRotated);

  auto replay = s.redeem_refresh_token(
      redemption(token_hash(1), token_hash(3), rotated + policy.grace_ms - 1, policy));
  CA_ASSERT_OK(replay);
  EXPECT_EQ(replay->outcome, RefreshOutcome::kReplayedInGrace);
  EXPECT_EQ(replay->family_id, family);
  EXPECT_EQ(replay->generation, 2);  // a sibling of token 2
  EXPECT_EQ(replay->user_name, "ops@acme.test");
  EXPECT_EQ(replay->scope, "offline_access");

  // The sibling is a current token: it rotates the family...
  const std::int64_t later = rotated + policy.grace_ms;
  auto next = s.redeem_refresh_token(redemption(token_hash(3), token_hash(4), later, policy));
  CA_ASSERT_OK(next);
  EXPECT_EQ(next->outcome, RefreshOutcome::kRotated);
  EXPECT_EQ(next->generation, 3);
  EXPECT_EQ(next->family_id, family);
  // ...after which token 2 is the previous generation, replayable within the new grace period.
  auto sibling =
      s.redeem_refresh_token(redemption(token_hash(2), token_hash(5), later + 1, policy));
  CA_ASSERT_OK(sibling);
  EXPECT_EQ(sibling->outcome, RefreshOutcome::kReplayedInGrace);
  EXPECT_EQ(sibling->generation, 3);
  EXPECT_EQ(this->redeem(token_hash(4), token_hash(6), later + 2, policy),
            RefreshOutcome::kRotated);
}

TYPED_TEST_P(StoreConformanceTest, PreviousGenerationAfterGraceRevokesTheWholeFamily) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t family = this->new_family(user, token_hash(1));
  const RefreshPolicy policy{30'000, 7 * kDayMs};
  const std::int64_t rotated = kStartMs + 10;
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), rotated, policy), RefreshOutcome::kRotated);
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(3), rotated + 5, policy),
            RefreshOutcome::kReplayedInGrace);

  auto stolen = s.redeem_refresh_token(
      redemption(token_hash(1), token_hash(4), rotated + policy.grace_ms, policy));
  CA_ASSERT_OK(stolen);
  EXPECT_EQ(stolen->outcome, RefreshOutcome::kReuseDetected);
  EXPECT_EQ(stolen->family_id, family);
  EXPECT_EQ(stolen->user_id, user);
  // The current token, its sibling and the replayed one are all dead; nothing was issued.
  for (std::uint32_t t : {2u, 3u, 1u, 4u}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(this->redeem(token_hash(t), token_hash(100 + t), rotated + 40'000, policy),
              t == 4u ? RefreshOutcome::kUnknown : RefreshOutcome::kRevoked);
  }
}

TYPED_TEST_P(StoreConformanceTest, OlderGenerationIsReuseEvenInsideGrace) {
  const std::int64_t user = this->seed_user();
  this->new_family(user, token_hash(1));
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs + 1), RefreshOutcome::kRotated);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), kStartMs + 2), RefreshOutcome::kRotated);
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(4), kStartMs + 3),
            RefreshOutcome::kReuseDetected);
  EXPECT_EQ(this->redeem(token_hash(3), token_hash(5), kStartMs + 4), RefreshOutcome::kRevoked);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(6), kStartMs + 5), RefreshOutcome::kRevoked);
}

TYPED_TEST_P(StoreConformanceTest, IdleExpiryBoundary) {
  const std::int64_t user = this->seed_user();
  const RefreshPolicy policy{30'000, 1000};
  this->new_family(user, token_hash(1));
  this->new_family(user, token_hash(2));
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(11), kStartMs + 999, policy),
            RefreshOutcome::kRotated);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(12), kStartMs + 1000, policy),
            RefreshOutcome::kExpired);
  // Expiry writes nothing: the token is neither retired nor its family revoked.
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(12), kStartMs + 1001, policy),
            RefreshOutcome::kExpired);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(12), kStartMs + 999, policy),
            RefreshOutcome::kRotated);
  // The successor's idle time counts from its own issue.
  EXPECT_EQ(this->redeem(token_hash(11), token_hash(13), kStartMs + 999 + 1000, policy),
            RefreshOutcome::kExpired);
  EXPECT_EQ(this->redeem(token_hash(11), token_hash(13), kStartMs + 999 + 999, policy),
            RefreshOutcome::kRotated);
}

TYPED_TEST_P(StoreConformanceTest, AbsoluteExpiryBoundary) {
  const std::int64_t user = this->seed_user();
  const std::int64_t end = kStartMs + 5000;
  this->new_family(user, token_hash(1), kStartMs, end);
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), end - 1), RefreshOutcome::kRotated);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), end), RefreshOutcome::kExpired);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), end + 1), RefreshOutcome::kExpired);
  // A retired token after the family's end is expired too, not reuse.
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(3), end + 60'000), RefreshOutcome::kExpired);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), end - 1), RefreshOutcome::kRotated);
}

TYPED_TEST_P(StoreConformanceTest, RevokeFamilyOfAnyOfItsTokens) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  this->new_family(user, token_hash(1));
  this->new_family(user, token_hash(10));
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs + 1), RefreshOutcome::kRotated);

  CA_ASSERT_OK(s.revoke_refresh_family_of(token_hash(1), kStartMs + 2));  // a retired token
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), kStartMs + 3), RefreshOutcome::kRevoked);
  CA_ASSERT_OK(s.revoke_refresh_family_of(token_hash(2), kStartMs + 4));  // again: no-op
  EXPECT_EQ(this->redeem(token_hash(10), token_hash(11), kStartMs + 5), RefreshOutcome::kRotated);

  auto unknown = s.revoke_refresh_family_of(token_hash(99), kStartMs + 6);
  CA_EXPECT_ERROR(unknown, ErrorCode::kStorageNotFound);
  expect_safe_description(unknown.error());
}

TYPED_TEST_P(StoreConformanceTest, PruneRefreshTokens) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t t0 = kStartMs;
  const std::int64_t t1 = t0 + 100;
  const RefreshPolicy policy{30'000, 7 * kDayMs};
  this->new_family(user, token_hash(1), t1);            // revoked at t0+150
  this->new_family(user, token_hash(2), t1);            // revoked at t0+200 (boundary)
  this->new_family(user, token_hash(3), t1, t0 + 200);  // absolute end t0+200 (boundary)
  this->new_family(user, token_hash(4), t1);            // 4 retired at t0+120, 5 current
  this->new_family(user, token_hash(6), t0);            // idle since t0
  this->new_family(user, token_hash(7), t0 + 50);       // idle since t0+50 (boundary)
  CA_ASSERT_OK(s.revoke_refresh_family_of(token_hash(1), t0 + 150));
  CA_ASSERT_OK(s.revoke_refresh_family_of(token_hash(2), t0 + 200));
  EXPECT_EQ(this->redeem(token_hash(4), token_hash(5), t0 + 120, policy), RefreshOutcome::kRotated);

  // Idle time 150 ms: token 6 has idled out, 7 idles out exactly at t0+200.
  CA_ASSERT_OK(s.prune_refresh_tokens(t0 + 200, 150));
  const std::int64_t now = t0 + 199;
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(21), now, policy), RefreshOutcome::kUnknown);
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(22), now, policy), RefreshOutcome::kRevoked);
  EXPECT_EQ(this->redeem(token_hash(6), token_hash(26), now, policy), RefreshOutcome::kUnknown);
  EXPECT_EQ(this->redeem(token_hash(3), token_hash(23), now, policy), RefreshOutcome::kRotated);
  // Being retired does not get a token pruned sooner: the retry inside grace still works.
  EXPECT_EQ(this->redeem(token_hash(4), token_hash(24), now, policy),
            RefreshOutcome::kReplayedInGrace);
  // Token 7 is still stored: revoking through it finds its family.
  CA_ASSERT_OK(s.revoke_refresh_family_of(token_hash(7), t0 + 300));

  CA_ASSERT_OK(s.prune_refresh_tokens(t0 + 251, 150));
  EXPECT_EQ(this->redeem(token_hash(23), token_hash(33), now, policy), RefreshOutcome::kUnknown);
  EXPECT_EQ(this->redeem(token_hash(7), token_hash(37), now, policy), RefreshOutcome::kUnknown);
  EXPECT_EQ(this->redeem(token_hash(4), token_hash(34), now, policy), RefreshOutcome::kUnknown);
  EXPECT_EQ(this->redeem(token_hash(5), token_hash(35), now, policy), RefreshOutcome::kRotated);
}

TYPED_TEST_P(StoreConformanceTest, ConcurrentRedemptionsOfOneTokenNeverForkTheFamily) {
  // Half the threads go through a second handle: another node on the same database.
  auto other = this->backend_.open(this->clock_);
  CA_ASSERT_OK(other);
  const std::array<Store*, 2> nodes{&this->store(), other->get()};
  const std::int64_t user = this->seed_user();
  constexpr int kThreads = 16;
  constexpr int kRounds = 50;
  std::uint32_t next_token = 1;
  for (const std::int64_t grace : {std::int64_t{0}, std::int64_t{30'000}}) {
    const RefreshPolicy policy{grace, 7 * kDayMs};
    for (int round = 0; round < kRounds; ++round) {
      SCOPED_TRACE("grace " + std::to_string(grace) + ", round " + std::to_string(round));
      const TokenHash first = token_hash(next_token++);
      const std::int64_t family = this->new_family(user, first);
      const std::uint32_t successors = next_token;
      next_token += kThreads;

      std::vector<std::optional<Result<RedeemedRefresh>>> results(kThreads);
      std::latch start(kThreads);
      std::vector<std::thread> threads;
      threads.reserve(kThreads);
      for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
          start.arrive_and_wait();
          results[i] = nodes[i % 2]->redeem_refresh_token(
              redemption(first, token_hash(successors + i), kStartMs + 100, policy));
        });
      }
      for (auto& th : threads) th.join();

      std::map<RefreshOutcome, int> outcomes;
      for (const auto& r : results) {
        ASSERT_TRUE(r->ok()) << r->error().description;
        EXPECT_EQ((*r)->family_id, family);
        ++outcomes[(*r)->outcome];
        if ((*r)->outcome == RefreshOutcome::kRotated ||
            (*r)->outcome == RefreshOutcome::kReplayedInGrace) {
          EXPECT_EQ((*r)->generation, 2);
        }
      }
      EXPECT_EQ(outcomes[RefreshOutcome::kRotated], 1);
      if (grace == 0) {
        // The first loser detects reuse and revokes; the rest find the family revoked.
        EXPECT_EQ(outcomes[RefreshOutcome::kReuseDetected], 1);
        EXPECT_EQ(outcomes[RefreshOutcome::kRevoked], kThreads - 2);
      } else {
        EXPECT_EQ(outcomes[RefreshOutcome::kReplayedInGrace], kThreads - 1);
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// ------------------------------------------------------------------ v4: failed-login counters

TYPED_TEST_P(StoreConformanceTest, FailureCountsRestartAfterTheWindow) {
  auto& s = this->store();
  const std::vector<std::string> key = {"user:ops@acme.test"};
  constexpr std::int64_t kWindow = 60'000;
  auto none = s.read_failures(key);
  CA_ASSERT_OK(none);
  ASSERT_EQ(none->size(), 1u);
  EXPECT_EQ((*none)[0].count, 0);
  EXPECT_EQ((*none)[0].last_failure_ms, 0);

  auto expect_count = [&](std::int64_t now, std::int64_t count) {
    auto r = s.record_failures(key, now, kWindow);
    ASSERT_TRUE(r.ok()) << r.error().description;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].count, count) << "at +" << now - kStartMs;
    EXPECT_EQ((*r)[0].last_failure_ms, now);
    auto read = s.read_failures(key);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ((*read)[0].count, count);
    EXPECT_EQ((*read)[0].last_failure_ms, now);
  };
  expect_count(kStartMs, 1);
  expect_count(kStartMs + kWindow - 1, 2);      // just inside the window
  expect_count(kStartMs + 2 * kWindow - 2, 3);  // window slides with the last failure
  expect_count(kStartMs + 3 * kWindow - 2, 1);  // exactly a window later: restart
  expect_count(kStartMs + 3 * kWindow - 1, 2);
}

TYPED_TEST_P(StoreConformanceTest, FailureCountsFollowTheOrderOfTheKeys) {
  auto& s = this->store();
  const std::vector<std::string> ip = {"ip:192.0.2.1"};
  CA_ASSERT_OK(s.record_failures(ip, kStartMs, 60'000));
  CA_ASSERT_OK(s.record_failures(ip, kStartMs + 1, 60'000));

  const std::vector<std::string> keys = {"user:bob", "ip:192.0.2.1", "user:alice"};
  auto counts = s.record_failures(keys, kStartMs + 2, 60'000);
  CA_ASSERT_OK(counts);
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].count, 1);
  EXPECT_EQ((*counts)[1].count, 3);
  EXPECT_EQ((*counts)[2].count, 1);

  const std::vector<std::string> reversed = {"user:alice", "nobody", "ip:192.0.2.1", "user:bob"};
  auto read = s.read_failures(reversed);
  CA_ASSERT_OK(read);
  ASSERT_EQ(read->size(), 4u);
  EXPECT_EQ((*read)[0].count, 1);
  EXPECT_EQ((*read)[1].count, 0);
  EXPECT_EQ((*read)[2].count, 3);
  EXPECT_EQ((*read)[3].count, 1);
  EXPECT_EQ((*read)[2].last_failure_ms, kStartMs + 2);

  // A key named twice counts twice; keys are exact bytes; an empty batch is empty.
  const std::vector<std::string> twice = {"k", "k", "K", std::string("k\0", 2)};
  auto twice_counts = s.record_failures(twice, kStartMs, 60'000);
  CA_ASSERT_OK(twice_counts);
  ASSERT_EQ(twice_counts->size(), 4u);
  EXPECT_EQ((*twice_counts)[0].count, 1);
  EXPECT_EQ((*twice_counts)[1].count, 2);
  EXPECT_EQ((*twice_counts)[2].count, 1);
  EXPECT_EQ((*twice_counts)[3].count, 1);
  auto empty = s.record_failures(std::span<const std::string>{}, kStartMs, 60'000);
  CA_ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  auto empty_read = s.read_failures(std::span<const std::string>{});
  CA_ASSERT_OK(empty_read);
  EXPECT_TRUE(empty_read->empty());
}

TYPED_TEST_P(StoreConformanceTest, ClearAndPruneFailureCounts) {
  auto& s = this->store();
  const std::vector<std::string> old_keys = {"a", "b"};
  const std::vector<std::string> new_keys = {"c", "d"};
  CA_ASSERT_OK(s.record_failures(old_keys, kStartMs, 60'000));
  CA_ASSERT_OK(s.record_failures(new_keys, kStartMs + 100, 60'000));

  const std::vector<std::string> clear = {"b", "c", "never-seen"};
  CA_ASSERT_OK(s.clear_failures(clear));
  const std::vector<std::string> all = {"a", "b", "c", "d"};
  auto read = s.read_failures(all);
  CA_ASSERT_OK(read);
  EXPECT_EQ((*read)[0].count, 1);
  EXPECT_EQ((*read)[1].count, 0);
  EXPECT_EQ((*read)[2].count, 0);
  EXPECT_EQ((*read)[3].count, 1);

  CA_ASSERT_OK(s.prune_failures(kStartMs + 100));  // "d" failed exactly then: kept
  read = s.read_failures(all);
  CA_ASSERT_OK(read);
  EXPECT_EQ((*read)[0].count, 0);
  EXPECT_EQ((*read)[0].last_failure_ms, 0);
  EXPECT_EQ((*read)[3].count, 1);
  CA_ASSERT_OK(s.prune_failures(kStartMs + 101));
  EXPECT_EQ(s.read_failures(all)->at(3).count, 0);
}

TYPED_TEST_P(StoreConformanceTest, RefreshAndFailureWritesAppendNoChange) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t seq = this->last_seq();
  this->new_family(user, token_hash(1));
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs), RefreshOutcome::kRotated);
  CA_ASSERT_OK(s.revoke_refresh_family_of(token_hash(2), kStartMs + 1));
  CA_ASSERT_OK(s.prune_refresh_tokens(kStartMs + 2, kDayMs));
  const std::vector<std::string> keys = {"user:x"};
  CA_ASSERT_OK(s.record_failures(keys, kStartMs, 1000));
  CA_ASSERT_OK(s.clear_failures(keys));
  CA_ASSERT_OK(s.prune_failures(kStartMs));
  EXPECT_EQ(this->last_seq(), seq);
}

// ------------------------------------------------------------------ standard OAuth surface

TYPED_TEST_P(StoreConformanceTest, IntrospectionPermissionRoundTripsAndIsAChange) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  ApiKey permitted = make_key(api_id_for(1), user, {std::string(kAcme)});
  permitted.may_introspect = true;
  CA_ASSERT_OK(s.create_api_key(permitted));
  CA_ASSERT_OK(s.create_api_key(make_key(api_id_for(2), user, {std::string(kAcme)})));
  EXPECT_TRUE(s.find_api_key(api_id_for(1))->may_introspect);
  EXPECT_FALSE(s.find_api_key(api_id_for(2))->may_introspect);

  const std::int64_t before = this->last_seq();
  CA_ASSERT_OK(s.set_api_key_introspection(api_id_for(2), true));
  CA_ASSERT_OK(s.set_api_key_introspection(api_id_for(1), false));
  EXPECT_FALSE(s.find_api_key(api_id_for(1))->may_introspect);
  EXPECT_TRUE(s.find_api_key(api_id_for(2))->may_introspect);
  auto changes = s.changes_since(before, 10);
  CA_ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].kind, ChangeKind::kApiKey);
  EXPECT_EQ((*changes)[0].ref, api_id_for(2));
  auto snapshot = s.load_auth_snapshot();
  CA_ASSERT_OK(snapshot);
  ASSERT_EQ(snapshot->api_keys.size(), 2u);
  EXPECT_FALSE(snapshot->api_keys[0].may_introspect);
  EXPECT_TRUE(snapshot->api_keys[1].may_introspect);

  auto unknown = s.set_api_key_introspection(api_id_for(9), true);
  CA_EXPECT_ERROR(unknown, ErrorCode::kStorageNotFound);
}

TYPED_TEST_P(StoreConformanceTest, RevokedAccessTokensAreListedFedAndPruned) {
  auto& s = this->store();
  const std::int64_t before = this->last_seq();
  CA_ASSERT_OK(s.revoke_access_token(RevokedAccessToken{"AT.one", kStartTime + 100}));
  CA_ASSERT_OK(s.revoke_access_token(RevokedAccessToken{"AT.two", kStartTime + 200}));
  // Revoking again keeps the first expiry and appends no second change.
  CA_ASSERT_OK(s.revoke_access_token(RevokedAccessToken{"AT.one", kStartTime + 999}));

  auto changes = s.changes_since(before, 10);
  CA_ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].kind, ChangeKind::kAccessToken);
  EXPECT_EQ((*changes)[0].ref, "AT.one");
  EXPECT_EQ((*changes)[1].ref, "AT.two");

  auto one = s.find_revoked_access_token("AT.one");
  CA_ASSERT_OK(one);
  EXPECT_EQ(one->jti, "AT.one");
  EXPECT_EQ(one->expires_at, kStartTime + 100);
  CA_EXPECT_ERROR(s.find_revoked_access_token("AT.none"), ErrorCode::kStorageNotFound);
  auto snapshot = s.load_auth_snapshot();
  CA_ASSERT_OK(snapshot);
  ASSERT_EQ(snapshot->revoked_access_tokens.size(), 2u);
  EXPECT_EQ(snapshot->revoked_access_tokens[1].jti, "AT.two");
  EXPECT_EQ(snapshot->revoked_access_tokens[1].expires_at, kStartTime + 200);

  // Pruning forgets only tokens that expired before the cut, and appends no change.
  const std::int64_t seq = this->last_seq();
  CA_ASSERT_OK(s.prune_revoked_access_tokens(kStartTime + 150));
  CA_EXPECT_ERROR(s.find_revoked_access_token("AT.one"), ErrorCode::kStorageNotFound);
  CA_ASSERT_OK(s.find_revoked_access_token("AT.two"));
  EXPECT_EQ(this->last_seq(), seq);
}

TYPED_TEST_P(StoreConformanceTest, InspectRefreshTokenReadsWithoutChanging) {
  auto& s = this->store();
  const std::int64_t user = this->seed_user();
  const std::int64_t family = this->new_family(user, token_hash(1));
  EXPECT_EQ(this->redeem(token_hash(1), token_hash(2), kStartMs + 10), RefreshOutcome::kRotated);

  auto current = s.inspect_refresh_token(token_hash(2));
  CA_ASSERT_OK(current);
  ASSERT_TRUE(current->token.has_value());
  ASSERT_TRUE(current->family.has_value());
  EXPECT_EQ(current->token->generation, 2);
  EXPECT_FALSE(current->token->retired);
  EXPECT_EQ(current->token->issued_at_ms, kStartMs + 10);
  EXPECT_EQ(current->family->id, family);
  EXPECT_EQ(current->family->user_id, user);
  EXPECT_EQ(current->user_name, "ops@acme.test");
  EXPECT_EQ(current->scope, "offline_access");
  EXPECT_FALSE(current->user_disabled);

  auto retired = s.inspect_refresh_token(token_hash(1));
  CA_ASSERT_OK(retired);
  ASSERT_TRUE(retired->token.has_value());
  EXPECT_TRUE(retired->token->retired);
  // Inspecting a retired token long after the grace period is not a reuse: nothing changes.
  EXPECT_EQ(this->redeem(token_hash(2), token_hash(3), kStartMs + 20), RefreshOutcome::kRotated);

  auto unknown = s.inspect_refresh_token(token_hash(99));
  CA_ASSERT_OK(unknown);
  EXPECT_FALSE(unknown->token.has_value());
  EXPECT_FALSE(unknown->family.has_value());
}

REGISTER_TYPED_TEST_SUITE_P(
    StoreConformanceTest, AccountsCreateFindList, AccountsActivateDeactivate,
    DuplicateAccountConflicts, UsersCreateFindByNameAndId, UserNamesCompareAsExactBytes,
    DuplicateUserNameConflicts, SqlMetacharactersNeverMatchAndNeverFail, DisableUser,
    DisablingAUserRevokesItsKeysTokensForGood, GrantRoleInsertsAndReplaces,
    ApiKeyCreateAndFindWithSortedAccounts, ApiKeyListAllAndPerUser, ApiKeyDuplicateConflicts,
    ApiKeyWithUnknownUserOrAccountWritesNothing, RegenerateReplacesHashAndIncrementsGeneration,
    DeleteRemovesKeyAndItsAccounts, RegenerateOrDeleteUnknownIsNotFound, SigningKeysInsertAndList,
    EveryMutationAppendsItsChangeInOrder, ChangesSinceIsExact, PrunedPositionIsNotFound,
    SnapshotOfEmptyStore, SnapshotHoldsEverythingTheCacheNeeds,
    SecondHandleSeesWritesThroughTheFeed, ConcurrentCallsFromThreadsAllSucceed,
    NewUserHasNoSessionCutoff, PasswordChangeEndsEverySession,
    DisablingEndsEverySessionAndEnablingRevivesNone, SigningKeyActivationTimeRoundTrips,
    RotationRetiresTheOtherKeysOfItsAlgorithm, DeleteRetiredSigningKeys, RefreshFamilyRotates,
    RefreshFamilyCreationErrors, UnknownRefreshTokenChangesNothing, RetiredTokenAfterGraceIsReuse,
    ReplayInsideGraceIssuesASiblingInTheSameFamily,
    PreviousGenerationAfterGraceRevokesTheWholeFamily, OlderGenerationIsReuseEvenInsideGrace,
    IdleExpiryBoundary, AbsoluteExpiryBoundary, RevokeFamilyOfAnyOfItsTokens, PruneRefreshTokens,
    ConcurrentRedemptionsOfOneTokenNeverForkTheFamily, FailureCountsRestartAfterTheWindow,
    FailureCountsFollowTheOrderOfTheKeys, ClearAndPruneFailureCounts,
    RefreshAndFailureWritesAppendNoChange, IntrospectionPermissionRoundTripsAndIsAChange,
    RevokedAccessTokensAreListedFedAndPruned, InspectRefreshTokenReadsWithoutChanging);

}  // namespace connect_auth::storage::conformance
