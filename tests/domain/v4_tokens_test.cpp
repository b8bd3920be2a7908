#include "domain/v4_tokens.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/base64.h"
#include "domain/v3_tokens.h"
#include "domain/v4_test_keys.h"
#include "domain/view_builder.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kLeeway = 30;

std::string segment(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  return *decode_base64url(token.substr(start, end == std::string::npos ? end : end - start));
}

class V4TokensTest : public ::testing::Test {
 protected:
  V4TokensTest() {
    ring_.add(test::rsa_key(), true);
    ring_.add(tokens::Hs256Key::create("hs", test::bytes_of(7)).value(), true);
  }
  const tokens::JwsKey& rsa() const { return *ring_.signing_key(tokens::JwsAlgorithm::kRs256); }
  std::string mint(std::int64_t at = kNow, std::string_view name = "ops@acme.test") {
    const std::array<std::string_view, 1> scopes{"offline_access"};
    return codec_.mint(rsa(), 42, name, scopes, at, random_);
  }
  // A payload of our own making, validly signed by the ring's RS256 key.
  Result<V4TokenClaims> verify_payload(const std::string& payload, std::int64_t now = kNow) {
    return codec_.verify(rsa().sign(payload), ring_, now);
  }

  V4TokenCodec codec_{{"https://issuer.test", "https://api.test", "client-1", 3600, kLeeway}};
  tokens::KeyRing ring_;
  SequenceRandom random_;
};

TEST_F(V4TokensTest, MintsTheSeedClaimsInTheSeedOrder) {
  const std::string token = mint();
  EXPECT_EQ(segment(token, 0), R"({"kid":")" + test::rsa_key()->kid() + R"(","alg":"RS256"})");
  SequenceRandom expected_random;
  const std::string jti = "AT." + random_base64url(expected_random, 16);
  EXPECT_EQ(segment(token, 1),
            R"({"ver":1,"jti":")" + jti +
                R"(","iss":"https://issuer.test","aud":"https://api.test","iat":1700000000,)"
                R"("exp":1700003600,"cid":"client-1","uid":"42","scp":["offline_access"],)"
                R"("sub":"ops@acme.test"})");
}

TEST_F(V4TokensTest, ScopesMayBeEmptyAndNamesAreEscaped) {
  const std::string name = "odd\"name\n\x1b[31m";
  const std::string token = codec_.mint(rsa(), 7, name, {}, kNow, random_);
  const std::string payload = segment(token, 1);
  EXPECT_NE(payload.find(R"("scp":[],"sub":"odd\"name\n\u001b[31m"})"), std::string::npos)
      << payload;
  auto claims = codec_.verify(token, ring_, kNow);
  ASSERT_TRUE(claims.ok()) << claims.error().description;
  EXPECT_EQ(claims->user_name, name);
  EXPECT_TRUE(claims->scopes.empty());
  EXPECT_EQ(claims->user_id, 7);
}

TEST_F(V4TokensTest, VerifiesItsOwnTokens) {
  auto claims = codec_.verify(mint(), ring_, kNow + 10);
  ASSERT_TRUE(claims.ok()) << claims.error().description;
  EXPECT_EQ(claims->user_id, 42);
  EXPECT_EQ(claims->user_name, "ops@acme.test");
  EXPECT_EQ(claims->scopes, std::vector<std::string>{"offline_access"});
  EXPECT_EQ(claims->issued_at, kNow);
  EXPECT_EQ(claims->expires_at, kNow + 3600);
}

TEST_F(V4TokensTest, TimeWindowHasExactlyTheLeeway) {
  const std::string token = mint();
  EXPECT_TRUE(codec_.verify(token, ring_, kNow + 3600 + kLeeway - 1).ok());
  EXPECT_FALSE(codec_.verify(token, ring_, kNow + 3600 + kLeeway).ok());
  // iat in the future: tolerated up to the leeway.
  EXPECT_TRUE(codec_.verify(mint(kNow + kLeeway), ring_, kNow).ok());
  EXPECT_FALSE(codec_.verify(mint(kNow + kLeeway + 1), ring_, kNow).ok());
}

TEST_F(V4TokensTest, NotBeforeHasExactlyTheLeeway) {
  const auto with_nbf = [](std::int64_t nbf) {
    return R"({"ver":1,"jti":"AT.x","iss":"https://issuer.test","aud":"https://api.test",)"
           R"("iat":1700000000,"exp":1700003600,"nbf":)" +
           std::to_string(nbf) + R"(,"cid":"c","uid":"1","scp":[],"sub":"u"})";
  };
  EXPECT_TRUE(verify_payload(with_nbf(kNow + kLeeway)).ok());
  EXPECT_FALSE(verify_payload(with_nbf(kNow + kLeeway + 1)).ok());
  EXPECT_FALSE(verify_payload(R"({"ver":1,"jti":"AT.x","iss":"https://issuer.test",)"
                              R"("aud":"https://api.test","iat":1700000000,"exp":1700003600,)"
                              R"("nbf":"0","cid":"c","uid":"1","scp":[],"sub":"u"})")
                   .ok());
}

TEST_F(V4TokensTest, EveryClaimFailureIsInvalidToken) {
  const std::string good =
      R"({"ver":1,"jti":"AT.abc","iss":"https://issuer.test","aud":"https://api.test",)"
      R"("iat":1700000000,"exp":1700003600,"cid":"client-1","uid":"42","scp":["offline_access"],)"
      R"("sub":"ops@acme.test"})";
  ASSERT_TRUE(verify_payload(good).ok());
  const auto replaced = [&good](const std::string& from, const std::string& to) {
    std::string payload = good;
    const std::size_t at = payload.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return payload.replace(at, from.size(), to);
  };
  const std::vector<std::string> bad = {
      replaced(R"("ver":1,)", ""),
      replaced(R"("ver":1)", R"("ver":2)"),
      replaced(R"("ver":1)", R"("ver":"1")"),
      replaced(R"("ver":1)", R"("ver":1.0)"),
      replaced(R"("jti":"AT.abc",)", ""),
      replaced(R"("jti":"AT.abc")", R"("jti":"RT.abc")"),
      replaced(R"("jti":"AT.abc")", R"("jti":"AT.")"),
      replaced(R"("jti":"AT.abc")", R"("jti":7)"),
      replaced(R"("iss":"https://issuer.test",)", ""),
      replaced(R"("iss":"https://issuer.test")", R"("iss":"https://evil.test")"),
      replaced(R"("iss":"https://issuer.test")", R"("iss":["https://issuer.test"])"),
      replaced(R"("aud":"https://api.test",)", ""),
      replaced(R"("aud":"https://api.test")", R"("aud":"https://other.test")"),
      replaced(R"("aud":"https://api.test")", R"("aud":["https://api.test"])"),
      replaced(R"("iat":1700000000,)", ""),
      replaced(R"("iat":1700000000)", R"("iat":"1700000000")"),
      replaced(R"("exp":1700003600,)", ""),
      replaced(R"("exp":1700003600)", R"("exp":1700003600.5)"),
      replaced(R"("cid":"client-1",)", ""),
      replaced(R"("cid":"client-1")", R"("cid":null)"),
      replaced(R"("uid":"42",)", ""),
      replaced(R"("uid":"42")", R"("uid":42)"),
      replaced(R"("uid":"42")", R"("uid":"042")"),
      replaced(R"("uid":"42")", R"("uid":"-42")"),
      replaced(R"("uid":"42")", R"("uid":"+42")"),
      replaced(R"("uid":"42")", R"("uid":"0")"),
      replaced(R"("uid":"42")", R"("uid":"")"),
      replaced(R"("uid":"42")", R"("uid":"42 ")"),
      replaced(R"("uid":"42")", R"("uid":"99999999999999999999")"),
      replaced(R"("scp":["offline_access"],)", ""),
      replaced(R"("scp":["offline_access"])", R"("scp":"offline_access")"),
      replaced(R"("scp":["offline_access"])", R"("scp":[1])"),
      replaced(R"(,"sub":"ops@acme.test")", ""),
      replaced(R"("sub":"ops@acme.test")", R"("sub":{"a":1})"),
      "[]",
      "not json",
      good + "x",
  };
  for (const std::string& payload : bad) {
    auto refused = verify_payload(payload);
    ASSERT_FALSE(refused.ok()) << payload;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidToken) << payload;
  }
}

TEST_F(V4TokensTest, RefusesForeignOrTamperedTokens) {
  const std::string token = mint();
  // The same kid with another key: the signature does not verify.
  tokens::KeyRing foreign;
  foreign.add(test::other_rsa_key(test::rsa_key()->kid()), true);
  EXPECT_FALSE(codec_.verify(token, foreign, kNow).ok());
  // A payload swapped under a valid signature.
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  std::string other_payload;
  append_base64url(other_payload, std::string(R"({"ver":1,"uid":"1"})"));
  EXPECT_FALSE(
      codec_.verify(token.substr(0, first + 1) + other_payload + token.substr(second), ring_, kNow)
          .ok());
  EXPECT_FALSE(codec_.verify(token.substr(0, second), ring_, kNow).ok());  // signature stripped
  EXPECT_FALSE(codec_.verify("", ring_, kNow).ok());
  EXPECT_FALSE(codec_.verify(std::string(10'000, 'a'), ring_, kNow).ok());
}

TEST_F(V4TokensTest, V3AndV4TokensNeverStandInForEachOther) {
  V3TokenCodec v3({"https://issuer.test", 1200, kLeeway});
  const std::string v3_token = v3.mint(*ring_.signing_key(tokens::JwsAlgorithm::kHs256),
                                       "ABCDEFGHIJKLMNOPQRSTUVWXY", 1, kNow, random_);
  ASSERT_TRUE(v3.verify(v3_token, ring_, kNow).ok());
  auto as_v4 = codec_.verify(v3_token, ring_, kNow);
  ASSERT_FALSE(as_v4.ok());
  EXPECT_EQ(as_v4.error().code, ErrorCode::kInvalidToken);

  const std::string v4_token = mint();
  auto as_v3 = v3.verify(v4_token, ring_, kNow);
  ASSERT_FALSE(as_v3.ok());
  EXPECT_EQ(as_v3.error().code, ErrorCode::kInvalidToken);

  // A v4 payload signed with the HS256 key is refused too: v4 needs an RS256 key.
  const std::string good =
      R"({"ver":1,"jti":"AT.abc","iss":"https://issuer.test","aud":"https://api.test",)"
      R"("iat":1700000000,"exp":1700003600,"cid":"client-1","uid":"42","scp":[],"sub":"u"})";
  EXPECT_FALSE(
      codec_.verify(ring_.signing_key(tokens::JwsAlgorithm::kHs256)->sign(good), ring_, kNow).ok());
}

TEST_F(V4TokensTest, AHeaderNamingAnotherAlgorithmForTheKeyIsRefused) {
  // {"kid":<rsa kid>,"alg":"HS256"} with any signature: the key decides the algorithm.
  std::string token;
  append_base64url(token, R"({"kid":")" + test::rsa_key()->kid() + R"(","alg":"HS256"})");
  token.push_back('.');
  append_base64url(token, segment(mint(), 1));
  token.append(".AAAA");
  EXPECT_FALSE(codec_.verify(token, ring_, kNow).ok());
}

}  // namespace
}  // namespace connect_auth::domain
