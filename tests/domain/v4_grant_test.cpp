// The v4 grants over the real SQLite store (refresh families, failure counters) and a real
// AuthCache, with a hand-driven clock. Argon2 is slow by design: the hashes are made once.
#include "domain/v4_grant.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "domain/auth_cache.h"
#include "domain/outage_store.h"
#include "domain/resource_access.h"
#include "domain/v4_test_keys.h"
#include "domain/view_builder.h"
#include "support/fixed_master_key.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kStart = 1'800'000'000;
constexpr std::int64_t kDay = 86'400;
constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kSource = "192.0.2.10";

const PasswordHasher& passwords() {
  static const PasswordHasher hasher(Argon2Params{});  // the minimum create() allows
  return hasher;
}
const std::string& password_hash() {
  static const std::string hash = passwords().hash(kPassword).value();
  return hash;
}

class V4GrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(
        ::connect_auth::test::open_sqlite_store("sqlite://" + (dir_ / "s.db").string()).value());
    outage_ = std::make_unique<test::OutageStore>(*store_);
    alice_ = store_->create_user("alice@acme.test", password_hash()).value();
    dave_ = store_->create_user("dave@acme.test", password_hash()).value();
    ASSERT_TRUE(store_->set_user_disabled(dave_, true).ok());
    auto der = test::rsa_key()->pkcs8_der();
    storage::SigningKey key;
    key.kid = test::rsa_key()->kid();
    key.algorithm = "RS256";
    key.sealed_material = master_.seal(der);
    key.created_at = kStart - kDay;
    key.activates_at = kStart - kDay;
    ASSERT_TRUE(store_->insert_signing_key(key).ok());
    cache_ = std::make_unique<AuthCache>(*store_, master_, &clock_);
    ASSERT_TRUE(cache_->load().ok());
    throttle_ = std::make_unique<LoginThrottle>(*outage_, LoginThrottlePolicy{});
    service_ = std::make_unique<V4GrantService>(*outage_, codec_, passwords(), token_hasher_,
                                                *throttle_, clock_, random_, V4GrantSettings{});
  }

  Result<IssuedV4Tokens> login(std::string_view name = "alice@acme.test",
                               std::string_view password = kPassword, bool offline = true,
                               std::string_view source = kSource) {
    return service_->password_grant({name, password, offline, source}, view());
  }
  Result<IssuedV4Tokens> refresh(std::string_view token, bool scope_present = true,
                                 bool offline = true) {
    return service_->refresh_grant({token, scope_present, offline}, view());
  }
  const AuthView& view() {
    EXPECT_TRUE(cache_->refresh().ok());
    return cache_->view();
  }
  static void expect_bad_password(const Result<IssuedV4Tokens>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidGrant);
    EXPECT_EQ(result.error().description, "the user name or password is incorrect");
  }
  static void expect_bad_refresh(const Result<IssuedV4Tokens>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidGrant);
    EXPECT_EQ(result.error().description, "the refresh token is invalid or expired");
  }
  // A fresh refresh token from a password login.
  std::string first_refresh_token() {
    auto issued = login();
    EXPECT_TRUE(issued.ok() && issued->refresh_token);
    return issued.ok() && issued->refresh_token ? *issued->refresh_token : std::string();
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  SecureRandom random_;
  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(9);
  std::array<std::uint8_t, 32> pepper_ = master_.pepper();
  tokens::SecretHasher token_hasher_{pepper_};
  V4TokenCodec codec_{{"https://issuer.test", "https://api.test", "client-1", 3600, 30}};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<test::OutageStore> outage_;
  std::unique_ptr<AuthCache> cache_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<V4GrantService> service_;
  std::int64_t alice_ = 0;
  std::int64_t dave_ = 0;
};

TEST_F(V4GrantTest, PasswordWithoutOfflineAccessIssuesOnlyAnAccessToken) {
  auto issued = login("alice@acme.test", kPassword, /*offline=*/false);
  ASSERT_TRUE(issued.ok()) << issued.error().description;
  EXPECT_EQ(issued->expires_in, 3600);
  EXPECT_FALSE(issued->refresh_token);
  EXPECT_EQ(issued->scope, "");
  auto claims = codec_.verify(issued->access_token, *cache_->view().signing_keys, kStart);
  ASSERT_TRUE(claims.ok()) << claims.error().description;
  EXPECT_EQ(claims->user_id, alice_);
  EXPECT_EQ(claims->user_name, "alice@acme.test");
  EXPECT_TRUE(claims->scopes.empty());
  EXPECT_EQ(claims->issued_at, kStart);
}

TEST_F(V4GrantTest, PasswordWithOfflineAccessIssuesARefreshToken) {
  auto issued = login();
  ASSERT_TRUE(issued.ok()) << issued.error().description;
  ASSERT_TRUE(issued->refresh_token);
  EXPECT_EQ(issued->refresh_token->size(), 43u);
  EXPECT_EQ(issued->scope, "offline_access");
  auto claims = codec_.verify(issued->access_token, *cache_->view().signing_keys, kStart);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->scopes, std::vector<std::string>{"offline_access"});
  // The access token opens the data endpoints as the user.
  V3TokenCodec v3({"https://issuer.test", 1200, 30});
  auto principal =
      authenticate_bearer(issued->access_token, cache_->view(), BearerCodecs{v3, &codec_}, kStart);
  ASSERT_TRUE(principal.ok()) << principal.error().description;
  EXPECT_EQ(principal->kind, Principal::Kind::kUser);
  EXPECT_EQ(principal->user_id, alice_);
}

TEST_F(V4GrantTest, EveryPasswordFailureLooksTheSame) {
  expect_bad_password(login("alice@acme.test", "wrong password"));
  expect_bad_password(login("nobody@acme.test", kPassword));
  expect_bad_password(login("dave@acme.test", kPassword));  // disabled, right password
  expect_bad_password(login("ALICE@acme.test", kPassword));
  expect_bad_password(login("' OR 1=1 --", kPassword));
  expect_bad_password(login("alice@acme.test", ""));
  // Each counted once for alice's pair key.
  auto counts = store_->read_failures(ThrottleKeys::of("alice@acme.test", kSource).keys).value();
  EXPECT_EQ(counts[ThrottleKeys::kUserAndSource].count, 2);
  EXPECT_EQ(counts[ThrottleKeys::kSource].count, 6);
}

TEST_F(V4GrantTest, AThrottledAttemptIsRefusedUncheckedAndUncounted) {
  for (int i = 0; i < 6; ++i) expect_bad_password(login("alice@acme.test", "wrong password"));
  // Even the right password is not looked at while blocked.
  auto blocked = login();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::kTooManyRequests);
  EXPECT_EQ(blocked.error().retry_after_seconds, 1);
  const ThrottleKeys keys = ThrottleKeys::of("alice@acme.test", kSource);
  EXPECT_EQ(store_->read_failures(keys.keys).value()[ThrottleKeys::kUser].count, 6);
  // Another source is not blocked by alice's pair count (6 < 100 for the user).
  EXPECT_TRUE(login("alice@acme.test", kPassword, false, "192.0.2.11").ok());
  clock_.advance(1);
  ASSERT_TRUE(login().ok());
  auto counts = store_->read_failures(keys.keys).value();
  EXPECT_EQ(counts[ThrottleKeys::kUserAndSource].count, 0);
  EXPECT_EQ(counts[ThrottleKeys::kUser].count, 0);
}

TEST_F(V4GrantTest, RefreshRotatesAndReuseAfterGraceKillsTheFamily) {
  const std::string a = first_refresh_token();
  clock_.advance(60);
  auto b = refresh(a);
  ASSERT_TRUE(b.ok()) << b.error().description;
  ASSERT_TRUE(b->refresh_token);
  EXPECT_NE(*b->refresh_token, a);
  EXPECT_EQ(b->scope, "offline_access");
  auto claims = codec_.verify(b->access_token, *cache_->view().signing_keys, clock_.now_seconds());
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->user_id, alice_);
  EXPECT_EQ(claims->user_name, "alice@acme.test");
  EXPECT_EQ(claims->issued_at, kStart + 60);

  clock_.advance(60);
  auto c = refresh(*b->refresh_token);
  ASSERT_TRUE(c.ok()) << c.error().description;
  clock_.advance(30);
  expect_bad_refresh(refresh(a));                  // two generations old: stolen
  expect_bad_refresh(refresh(*c->refresh_token));  // and the whole family is gone
}

TEST_F(V4GrantTest, ARetryWithinTheGracePeriodIsHonouredOnce) {
  const std::string a = first_refresh_token();
  auto b = refresh(a);
  ASSERT_TRUE(b.ok());
  clock_.advance_millis(29'999);
  auto b2 = refresh(a);  // the client lost the first answer and retries
  ASSERT_TRUE(b2.ok()) << b2.error().description;
  EXPECT_NE(*b2->refresh_token, *b->refresh_token);
  clock_.advance_millis(1);  // 30 s after the rotation: the grace period is over
  expect_bad_refresh(refresh(a));
  expect_bad_refresh(refresh(*b->refresh_token));  // reuse revoked the family
  expect_bad_refresh(refresh(*b2->refresh_token));
}

TEST_F(V4GrantTest, IdleExpiryIsExact) {
  const std::string kept = first_refresh_token();
  const std::string left = first_refresh_token();
  clock_.advance(7 * kDay - 1);
  ASSERT_TRUE(refresh(kept).ok());
  clock_.advance(1);
  expect_bad_refresh(refresh(left));
}

TEST_F(V4GrantTest, AbsoluteExpiryIsExactWhateverTheUse) {
  std::string token = first_refresh_token();
  for (std::int64_t elapsed = 6 * kDay; elapsed < 90 * kDay; elapsed += 6 * kDay) {
    clock_.set(kStart + elapsed);
    auto next = refresh(token);
    ASSERT_TRUE(next.ok()) << elapsed;
    token = *next->refresh_token;
  }
  clock_.set(kStart + 90 * kDay - 1);
  auto last = refresh(token);
  ASSERT_TRUE(last.ok());
  clock_.set(kStart + 90 * kDay);
  expect_bad_refresh(refresh(*last->refresh_token));
}

TEST_F(V4GrantTest, ScopeOnRefresh) {
  const std::string a = first_refresh_token();
  auto narrowed = refresh(a, /*scope_present=*/true, /*offline=*/false);
  ASSERT_FALSE(narrowed.ok());
  EXPECT_EQ(narrowed.error().code, ErrorCode::kInvalidScope);
  // Without a scope the granted one applies (RFC 6749 §6).
  auto kept = refresh(a, /*scope_present=*/false, /*offline=*/false);
  ASSERT_TRUE(kept.ok()) << kept.error().description;
  EXPECT_EQ(kept->scope, "offline_access");
  ASSERT_TRUE(kept->refresh_token);
}

TEST_F(V4GrantTest, TokensWeNeverIssuedAreInvalidGrant) {
  const std::string a = first_refresh_token();
  std::string changed = a;
  changed[10] = changed[10] == 'A' ? 'B' : 'A';
  for (const std::string& token :
       {std::string(), std::string(10'000, 'A'), std::string("' OR 1=1 --"), changed,
        a.substr(0, 42), a + "A", std::string(43, 'A'), std::string(43, '=')}) {
    expect_bad_refresh(refresh(token));
  }
  EXPECT_TRUE(refresh(a).ok());
}

TEST_F(V4GrantTest, AStoreOutageIsUnavailableNeverInvalidGrant) {
  const std::string a = first_refresh_token();
  outage_->down = true;
  auto password = login();
  ASSERT_FALSE(password.ok());
  EXPECT_EQ(password.error().code, ErrorCode::kStorageUnavailable);
  auto refreshed = refresh(a);
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.error().code, ErrorCode::kStorageUnavailable);
  outage_->down = false;
  EXPECT_TRUE(refresh(a).ok());  // the outage cost the client nothing
}

TEST_F(V4GrantTest, ADisabledUserCannotRefresh) {
  const std::string a = first_refresh_token();
  ASSERT_TRUE(store_->set_user_disabled(alice_, true).ok());
  expect_bad_refresh(refresh(a));
  ASSERT_TRUE(store_->set_user_disabled(alice_, false).ok());
  expect_bad_refresh(refresh(a));  // enabling again revives no family
}

TEST_F(V4GrantTest, NoSigningKeyIsAnInternalErrorAndConsumesNothing) {
  const std::string a = first_refresh_token();
  AuthView keyless = cache_->view();
  auto ring = std::make_shared<tokens::KeyRing>();
  ring->add(tokens::Hs256Key::create("hs", test::bytes_of(3)).value(), true);
  keyless.signing_keys = ring;
  auto password = service_->password_grant({"alice@acme.test", kPassword, true, kSource}, keyless);
  ASSERT_FALSE(password.ok());
  EXPECT_EQ(password.error().code, ErrorCode::kInternal);
  auto refreshed = service_->refresh_grant({a, true, true}, keyless);
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(refresh(a).ok());
}

TEST_F(V4GrantTest, ALoginRightAfterAPasswordChangeGetsAWorkingToken) {
  // The store dates the cut (sessions_not_before = now + 1) by its own clock: follow it.
  clock_.set(SystemClock().now_seconds());
  const std::string a = first_refresh_token();
  ASSERT_TRUE(store_->set_user_password(alice_, password_hash()).ok());  // cuts every session
  expect_bad_refresh(refresh(a));
  auto issued = login();  // the same second as the change
  ASSERT_TRUE(issued.ok()) << issued.error().description;
  V3TokenCodec v3({"https://issuer.test", 1200, 30});
  auto principal = authenticate_bearer(issued->access_token, view(), BearerCodecs{v3, &codec_},
                                       clock_.now_seconds());
  EXPECT_TRUE(principal.ok()) << principal.error().description;
}

TEST_F(V4GrantTest, RefreshTokensAreStoredOnlyHashed) {
  const std::string a = first_refresh_token();
  auto b = refresh(a);
  ASSERT_TRUE(b.ok());
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream file(dir_ / (std::string("s.db") + suffix), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(a), std::string::npos);
  EXPECT_EQ(bytes.find(*b->refresh_token), std::string::npos);
  EXPECT_EQ(bytes.find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace connect_auth::domain
