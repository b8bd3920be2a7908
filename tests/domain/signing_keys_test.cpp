// Signing-key lifecycle: which stored keys verify and which one signs (open_key_ring), start-up
// provisioning, rotation through the real SQLite store, and the cache following a rotation as
// time passes (bad-inputs.md §D "after key rotation").
#include "domain/signing_keys.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

#include "domain/auth_cache.h"
#include "domain/v4_test_keys.h"
#include "support/fixed_master_key.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"
#include "tokens/rs256_key.h"

namespace connect_auth::domain {
namespace {

using tokens::JwsAlgorithm;

constexpr std::int64_t kT0 = 1'700'000'000;

// --------------------------------------------------------------------------------------------
// open_key_ring: selection rules, no store involved

class OpenKeyRingTest : public ::testing::Test {
 protected:
  storage::SigningKey hs(std::string kid, std::int64_t activates_at, bool active = true,
                         std::optional<std::int64_t> retired_at = std::nullopt) {
    std::array<std::uint8_t, 32> secret{};
    secret.fill(static_cast<std::uint8_t>(kid.size() + kid.back()));
    return record(std::move(kid), "HS256", master_.seal(secret), activates_at, active, retired_at);
  }
  storage::SigningKey rs(std::string kid, std::int64_t activates_at, bool active = true,
                         std::optional<std::int64_t> retired_at = std::nullopt) {
    std::vector<std::uint8_t> der = test::rsa_key()->pkcs8_der();
    auto sealed = master_.seal(der);
    sodium_memzero(der.data(), der.size());
    return record(std::move(kid), "RS256", std::move(sealed), activates_at, active, retired_at);
  }
  static storage::SigningKey record(std::string kid, std::string algorithm,
                                    std::vector<std::uint8_t> sealed, std::int64_t activates_at,
                                    bool active, std::optional<std::int64_t> retired_at) {
    storage::SigningKey key;
    key.kid = std::move(kid);
    key.algorithm = std::move(algorithm);
    key.sealed_material = std::move(sealed);
    key.created_at = activates_at;
    key.activates_at = activates_at;
    key.active = active;
    key.retired_at = retired_at;
    return key;
  }

  std::shared_ptr<const tokens::KeyRing> ring(std::int64_t now) {
    auto opened = open_key_ring(keys_, master_, now);
    EXPECT_TRUE(opened.ok()) << opened.error().description;
    return opened.ok() ? *opened : std::make_shared<const tokens::KeyRing>();
  }
  static std::string signer(const tokens::KeyRing& ring, JwsAlgorithm algorithm) {
    const tokens::JwsKey* key = ring.signing_key(algorithm);
    return key == nullptr ? "<none>" : key->kid();
  }

  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(0x42);
  std::vector<storage::SigningKey> keys_;
};

TEST_F(OpenKeyRingTest, OneKeyPerAlgorithmSignsAndBothVerify) {
  keys_ = {hs("hs-a", kT0), rs("rs-a", kT0)};
  auto built = ring(kT0);
  EXPECT_EQ(built->size(), 2u);
  EXPECT_EQ(signer(*built, JwsAlgorithm::kHs256), "hs-a");
  EXPECT_EQ(signer(*built, JwsAlgorithm::kRs256), "rs-a");
  EXPECT_EQ(built->find("rs-a")->algorithm(), JwsAlgorithm::kRs256);
  EXPECT_FALSE(built->rebuild_at().has_value());
  // Only the RSA key is published.
  const auto jwks = boost::json::parse(built->jwks_json());
  ASSERT_EQ(jwks.at("keys").as_array().size(), 1u);
  EXPECT_EQ(jwks.at("keys").as_array()[0].at("kid"), "rs-a");
}

TEST_F(OpenKeyRingTest, FutureActivationVerifiesAndPublishesButDoesNotSign) {
  keys_ = {rs("rs-old", kT0), rs("rs-new", kT0 + 300), hs("hs-a", kT0)};
  auto before = ring(kT0 + 299);
  EXPECT_EQ(signer(*before, JwsAlgorithm::kRs256), "rs-old");
  ASSERT_NE(before->find("rs-new"), nullptr);  // tokens of early nodes verify already
  EXPECT_NE(before->jwks_json().find("\"rs-new\""), std::string::npos);
  EXPECT_EQ(before->rebuild_at(), kT0 + 300);
  // Signing with the new key once built from the key after the change uses its material.
  const std::string token = before->find("rs-new")->sign(R"({"a":1})");
  EXPECT_TRUE(tokens::verify_jws(token, *before).ok());

  auto after = ring(kT0 + 300);
  EXPECT_EQ(signer(*after, JwsAlgorithm::kRs256), "rs-new");
  EXPECT_NE(after->find("rs-old"), nullptr);
  EXPECT_FALSE(after->rebuild_at().has_value());
}

TEST_F(OpenKeyRingTest, RetiredKeysAreLeftOutAndFutureRetirementIsScheduled) {
  keys_ = {hs("hs-gone", kT0 - 100, false, kT0), hs("hs-going", kT0 - 50, false, kT0 + 60),
           hs("hs-now", kT0 - 10)};
  auto built = ring(kT0);
  EXPECT_EQ(built->find("hs-gone"), nullptr);  // retired_at == now: gone
  EXPECT_NE(built->find("hs-going"), nullptr);
  EXPECT_EQ(signer(*built, JwsAlgorithm::kHs256), "hs-now");
  EXPECT_EQ(built->rebuild_at(), kT0 + 60);
  EXPECT_EQ(ring(kT0 + 60)->find("hs-going"), nullptr);
  // A retired key never signs, even if it is the only one marked active.
  keys_ = {hs("hs-active-but-retired", kT0 - 10, true, kT0)};
  auto none = ring(kT0);
  EXPECT_EQ(none->size(), 0u);
  EXPECT_EQ(signer(*none, JwsAlgorithm::kHs256), "<none>");
}

TEST_F(OpenKeyRingTest, LatestActivationSignsAndTiesGoToTheGreatestKid) {
  keys_ = {hs("hs-b", kT0 - 10), hs("hs-c", kT0 - 20), hs("hs-a", kT0 - 10)};
  EXPECT_EQ(signer(*ring(kT0), JwsAlgorithm::kHs256), "hs-b");
  keys_ = {rs("rs-z", kT0 - 30), rs("rs-y", kT0 - 5), rs("rs-x", kT0 - 5)};
  EXPECT_EQ(signer(*ring(kT0), JwsAlgorithm::kRs256), "rs-y");
  // The store's order does not matter.
  std::reverse(keys_.begin(), keys_.end());
  EXPECT_EQ(signer(*ring(kT0), JwsAlgorithm::kRs256), "rs-y");
}

TEST_F(OpenKeyRingTest, SupersededKeyBridgesUntilItsSuccessorActivates) {
  // What store.rotate_signing_key leaves: the old key inactive but not yet retired, the new one
  // active from a later moment. Issuing must not stop in between.
  keys_ = {rs("rs-old", kT0 - 1000, /*active=*/false, kT0 + 3930), rs("rs-new", kT0 + 300)};
  EXPECT_EQ(signer(*ring(kT0), JwsAlgorithm::kRs256), "rs-old");
  EXPECT_EQ(signer(*ring(kT0 + 300), JwsAlgorithm::kRs256), "rs-new");
  // Without a scheduled successor an inactive key never signs.
  keys_ = {hs("hs-off", kT0 - 1000, /*active=*/false)};
  auto built = ring(kT0);
  EXPECT_NE(built->find("hs-off"), nullptr);
  EXPECT_EQ(signer(*built, JwsAlgorithm::kHs256), "<none>");
}

// `signing-key list` reports these states; they must name the key open_key_ring signs with,
// including the superseded key that bridges a rotation's publish delay.
TEST_F(OpenKeyRingTest, KeyStatesFollowTheSignerChoice) {
  using State = SigningKeyState;
  keys_ = {hs("hs-a", kT0), rs("rs-old", kT0, /*active=*/false, kT0 + 5000),
           rs("rs-new", kT0 + 300), rs("rs-gone", kT0 - 100, false, kT0 - 1)};
  EXPECT_EQ(
      signing_key_states(keys_, kT0 + 299),
      (std::vector<State>{State::kSigning, State::kSigning, State::kScheduled, State::kRetired}));
  EXPECT_EQ(signer(*ring(kT0 + 299), JwsAlgorithm::kRs256), "rs-old");
  EXPECT_EQ(
      signing_key_states(keys_, kT0 + 300),
      (std::vector<State>{State::kSigning, State::kVerifying, State::kSigning, State::kRetired}));
  EXPECT_EQ(
      signing_key_states(keys_, kT0 + 5000),
      (std::vector<State>{State::kSigning, State::kRetired, State::kSigning, State::kRetired}));
  EXPECT_EQ(signing_key_state_name(State::kVerifying), "verifying");
}

TEST_F(OpenKeyRingTest, AlgorithmsAreChosenIndependently) {
  keys_ = {hs("hs-a", kT0 + 10), rs("rs-a", kT0)};
  auto built = ring(kT0);
  EXPECT_EQ(signer(*built, JwsAlgorithm::kHs256), "<none>");
  EXPECT_EQ(signer(*built, JwsAlgorithm::kRs256), "rs-a");
}

TEST_F(OpenKeyRingTest, UnknownAlgorithmsAreSkippedAndBadMaterialFails) {
  keys_ = {hs("hs-a", kT0), record("es-a", "ES256", master_.seal(std::vector<std::uint8_t>(32)),
                                   kT0, true, std::nullopt)};
  EXPECT_EQ(ring(kT0)->size(), 1u);

  auto other_master = ::connect_auth::testing::fixed_master_key(0x07);
  keys_ = {hs("hs-a", kT0)};
  EXPECT_FALSE(open_key_ring(keys_, other_master, kT0).ok());
  // RSA material that is not an RSA key, and an HS256 secret that is too short.
  keys_ = {record("rs-bad", "RS256", master_.seal(std::vector<std::uint8_t>(300, 1)), kT0, true,
                  std::nullopt)};
  EXPECT_FALSE(open_key_ring(keys_, master_, kT0).ok());
  keys_ = {record("hs-short", "HS256", master_.seal(std::vector<std::uint8_t>(16, 1)), kT0, true,
                  std::nullopt)};
  EXPECT_FALSE(open_key_ring(keys_, master_, kT0).ok());
}

// --------------------------------------------------------------------------------------------
// Provisioning and rotation through the SQLite store

class SigningKeysStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = "sqlite://" + (dir_ / "store.db").string();
    store_ = std::move(::connect_auth::test::open_sqlite_store(url_).value());
  }

  std::vector<storage::SigningKey> keys(std::string_view algorithm) {
    auto all = store_->list_signing_keys();
    EXPECT_TRUE(all.ok());
    std::vector<storage::SigningKey> out;
    if (!all.ok()) return out;
    for (auto& key : *all) {
      if (key.algorithm == algorithm) out.push_back(std::move(key));
    }
    return out;
  }
  const storage::SigningKey* by_kid(const std::vector<storage::SigningKey>& keys,
                                    std::string_view kid) {
    for (const auto& key : keys) {
      if (key.kid == kid) return &key;
    }
    return nullptr;
  }
  std::string signer(JwsAlgorithm algorithm) {
    auto ring = open_key_ring(store_->list_signing_keys().value(), master_, clock_.now_seconds());
    EXPECT_TRUE(ring.ok());
    const tokens::JwsKey* key = ring.ok() ? (*ring)->signing_key(algorithm) : nullptr;
    return key == nullptr ? "<none>" : key->kid();
  }

  testing::TempDir dir_;
  std::string url_;
  ManualClock clock_{kT0};
  SecureRandom random_;
  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(0x42);
  std::unique_ptr<storage::Store> store_;
};

TEST_F(SigningKeysStoreTest, EnsureCreatesOneKeyPerAlgorithmOnce) {
  ASSERT_TRUE(ensure_signing_keys(*store_, master_, random_, clock_).ok());
  auto hs = keys("HS256");
  auto rs = keys("RS256");
  ASSERT_EQ(hs.size(), 1u);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(hs[0].activates_at, kT0);  // nothing signed before: signs at once
  EXPECT_EQ(rs[0].activates_at, kT0);
  EXPECT_TRUE(hs[0].active);
  EXPECT_FALSE(rs[0].retired_at.has_value());

  // Sealed: the RSA material opens to PKCS#8 whose thumbprint is the kid.
  auto der = master_.open(rs[0].sealed_material);
  ASSERT_TRUE(der.ok());
  auto key = tokens::Rs256Key::from_pkcs8_der(rs[0].kid, *der);
  sodium_memzero(der->data(), der->size());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)->thumbprint(), rs[0].kid);
  EXPECT_EQ((*key)->bits(), 2048);
  auto secret = master_.open(hs[0].sealed_material);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->size(), 32u);

  clock_.advance(10);
  ASSERT_TRUE(ensure_signing_keys(*store_, master_, random_, clock_).ok());
  EXPECT_EQ(keys("HS256").size(), 1u);
  EXPECT_EQ(keys("RS256").size(), 1u);
  EXPECT_EQ(signer(JwsAlgorithm::kHs256), hs[0].kid);
  EXPECT_EQ(signer(JwsAlgorithm::kRs256), rs[0].kid);
}

TEST_F(SigningKeysStoreTest, EnsureAddsAKeyOnlyWhenNoneCanSign) {
  // A retired key and an inactive one cannot sign: ensure adds a key that signs at once.
  storage::SigningKey retired;
  retired.kid = "hs-retired";
  retired.algorithm = "HS256";
  retired.sealed_material = master_.seal(std::vector<std::uint8_t>(32, 1));
  retired.retired_at = kT0;
  ASSERT_TRUE(store_->insert_signing_key(retired).ok());
  storage::SigningKey inactive = retired;
  inactive.kid = "hs-inactive";
  inactive.active = false;
  inactive.retired_at.reset();
  ASSERT_TRUE(store_->insert_signing_key(inactive).ok());
  ASSERT_TRUE(ensure_signing_key(*store_, master_, random_, clock_, JwsAlgorithm::kHs256).ok());
  ASSERT_EQ(keys("HS256").size(), 3u);
  EXPECT_EQ(keys("RS256").size(), 0u);
  const std::string added = signer(JwsAlgorithm::kHs256);
  EXPECT_EQ(added.substr(0, 3), "hs-");
  EXPECT_NE(added, "hs-retired");
  EXPECT_NE(added, "hs-inactive");

  // A key rotated in (even one still scheduled) counts as usable: nothing more is added.
  ASSERT_TRUE(rotate_signing_key(*store_, master_, random_, clock_, JwsAlgorithm::kHs256,
                                 RotationTimes{60, 0})
                  .ok());
  ASSERT_TRUE(ensure_signing_key(*store_, master_, random_, clock_, JwsAlgorithm::kHs256).ok());
  EXPECT_EQ(keys("HS256").size(), 4u);
  EXPECT_EQ(signer(JwsAlgorithm::kHs256), added);  // bridging until the new key activates
}

TEST_F(SigningKeysStoreTest, RotationPublishesFirstSignsLaterAndRetiresTheOldKeyAfterItsTokens) {
  ASSERT_TRUE(ensure_signing_keys(*store_, master_, random_, clock_).ok());
  const std::string old_rs = keys("RS256")[0].kid;
  const std::string old_hs = keys("HS256")[0].kid;
  clock_.advance(1000);
  const std::int64_t now = clock_.now_seconds();
  const RotationTimes times{300, 3630};
  auto rotated = rotate_signing_key(*store_, master_, random_, clock_, JwsAlgorithm::kRs256, times);
  ASSERT_TRUE(rotated.ok()) << rotated.error().description;
  EXPECT_EQ(rotated->activates_at, now + 300);
  EXPECT_EQ(rotated->retire_others_at, now + 300 + 3630);
  EXPECT_EQ(rotated->kid.size(), 43u);

  const auto rs = keys("RS256");
  ASSERT_EQ(rs.size(), 2u);
  const storage::SigningKey* fresh = by_kid(rs, rotated->kid);
  const storage::SigningKey* old = by_kid(rs, old_rs);
  ASSERT_NE(fresh, nullptr);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(fresh->activates_at, now + 300);
  EXPECT_TRUE(fresh->active);
  EXPECT_EQ(old->retired_at, now + 300 + 3630);
  // The other algorithm is untouched.
  ASSERT_EQ(keys("HS256").size(), 1u);
  EXPECT_FALSE(keys("HS256")[0].retired_at.has_value());

  // Before activation the old key still signs and the new one already verifies everywhere.
  EXPECT_EQ(signer(JwsAlgorithm::kRs256), old_rs);
  clock_.advance(299);
  EXPECT_EQ(signer(JwsAlgorithm::kRs256), old_rs);
  clock_.advance(1);
  EXPECT_EQ(signer(JwsAlgorithm::kRs256), rotated->kid);
  EXPECT_EQ(signer(JwsAlgorithm::kHs256), old_hs);
  // The old key verifies until its last token (issued just before activation) has expired.
  clock_.advance(3629);
  auto ring = open_key_ring(store_->list_signing_keys().value(), master_, clock_.now_seconds());
  ASSERT_TRUE(ring.ok());
  EXPECT_NE((*ring)->find(old_rs), nullptr);
  clock_.advance(1);
  ring = open_key_ring(store_->list_signing_keys().value(), master_, clock_.now_seconds());
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ((*ring)->find(old_rs), nullptr);
  EXPECT_EQ((*ring)->signing_key(JwsAlgorithm::kRs256)->kid(), rotated->kid);
}

TEST_F(SigningKeysStoreTest, NegativeRotationTimesAreRefused) {
  for (const RotationTimes times : {RotationTimes{-1, 0}, RotationTimes{0, -1}}) {
    auto rotated =
        rotate_signing_key(*store_, master_, random_, clock_, JwsAlgorithm::kHs256, times);
    ASSERT_FALSE(rotated.ok());
    EXPECT_EQ(rotated.error().code, ErrorCode::kInvalidRequest);
  }
  EXPECT_TRUE(store_->list_signing_keys().value().empty());
}

TEST_F(SigningKeysStoreTest, CacheFollowsARotationAsTimePasses) {
  // Another process (the CLI) rotates; the server's cache sees the key at once and switches the
  // signer when activates_at passes, with no further store change to trigger it.
  ASSERT_TRUE(ensure_signing_keys(*store_, master_, random_, clock_).ok());
  auto server_store = std::move(::connect_auth::test::open_sqlite_store(url_).value());
  AuthCache cache(*server_store, master_, &clock_);
  ASSERT_TRUE(cache.load().ok());
  const std::string old_rs = cache.view().signing_keys->signing_key(JwsAlgorithm::kRs256)->kid();
  EXPECT_FALSE(cache.view().signing_keys->rebuild_at().has_value());

  auto rotated = rotate_signing_key(*store_, master_, random_, clock_, JwsAlgorithm::kRs256,
                                    RotationTimes{300, 3630});
  ASSERT_TRUE(rotated.ok());
  ASSERT_TRUE(cache.refresh().ok());
  const tokens::KeyRing* ring = cache.view().signing_keys.get();
  EXPECT_NE(ring->find(rotated->kid), nullptr);
  EXPECT_EQ(ring->signing_key(JwsAlgorithm::kRs256)->kid(), old_rs);
  EXPECT_EQ(ring->rebuild_at(), kT0 + 300);

  clock_.advance(299);
  const std::uint64_t version = cache.version();
  ASSERT_TRUE(cache.refresh().ok());
  EXPECT_EQ(cache.version(), version);  // nothing due yet: no new view
  clock_.advance(1);
  ASSERT_TRUE(cache.refresh().ok());
  EXPECT_GT(cache.version(), version);
  ring = cache.view().signing_keys.get();
  EXPECT_EQ(ring->signing_key(JwsAlgorithm::kRs256)->kid(), rotated->kid);
  EXPECT_EQ(ring->rebuild_at(), kT0 + 300 + 3630);

  clock_.advance(3630);
  ASSERT_TRUE(cache.refresh().ok());
  ring = cache.view().signing_keys.get();
  EXPECT_EQ(ring->find(old_rs), nullptr);
  EXPECT_NE(ring->signing_key(JwsAlgorithm::kHs256), nullptr);
  EXPECT_FALSE(ring->rebuild_at().has_value());
}

}  // namespace
}  // namespace connect_auth::domain
