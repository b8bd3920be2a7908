#include "domain/v3_tokens.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/base64.h"
#include "domain/v4_test_keys.h"
#include "domain/view_builder.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

class V3TokensTest : public ::testing::Test {
 protected:
  V3TokensTest() { ring_.add(tokens::Hs256Key::create("k1", test::bytes_of(7)).value(), true); }
  V3TokenCodec codec_{{"https://auth.example.test", 1200, 30}};
  tokens::KeyRing ring_;
  SequenceRandom random_;
};

boost::json::object part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  std::size_t end = token.find('.', start);
  return boost::json::parse(*decode_base64url(token.substr(start, end - start))).as_object();
}

TEST_F(V3TokensTest, MintsTheContractClaimsInTheSeedOrder) {
  std::string token = codec_.mint(*ring_.signing_key(tokens::JwsAlgorithm::kHs256),
                                  "ABCDEFGHIJKLMNOPQRSTUVWXY", 3, kNow, random_);
  auto header = part(token, 0);
  EXPECT_EQ(header.at("alg"), "HS256");
  EXPECT_EQ(header.at("typ"), "JWT");
  EXPECT_EQ(header.at("kid"), "k1");
  auto payload_text =
      *decode_base64url(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  EXPECT_EQ(payload_text.find("{\"exp\":"), 0u);
  EXPECT_LT(payload_text.find("\"sub\""), payload_text.find("\"iss\""));
  EXPECT_LT(payload_text.find("\"iss\""), payload_text.find("\"iat\""));
  EXPECT_LT(payload_text.find("\"iat\""), payload_text.find("\"jti\""));
  auto payload = part(token, 1);
  EXPECT_EQ(payload.at("sub"), "ABCDEFGHIJKLMNOPQRSTUVWXY");
  EXPECT_EQ(payload.at("iss"), "https://auth.example.test");
  EXPECT_EQ(payload.at("iat").as_int64(), kNow);
  EXPECT_EQ(payload.at("exp").as_int64() - payload.at("iat").as_int64(), 1200);
  EXPECT_EQ(std::string(payload.at("jti").as_string()).substr(0, 2), "3.");
}

TEST_F(V3TokensTest, VerifiesItsOwnTokensAndReadsTheGeneration) {
  std::string token =
      codec_.mint(*ring_.signing_key(tokens::JwsAlgorithm::kHs256), "APIID", 42, kNow, random_);
  auto claims = codec_.verify(token, ring_, kNow + 10);
  ASSERT_TRUE(claims.ok()) << claims.error().description;
  EXPECT_EQ(claims->api_id, "APIID");
  EXPECT_EQ(claims->generation, 42);
  EXPECT_EQ(claims->expires_at, kNow + 1200);
}

TEST_F(V3TokensTest, RefusesExpiredTokensBeyondTheLeeway) {
  std::string token =
      codec_.mint(*ring_.signing_key(tokens::JwsAlgorithm::kHs256), "APIID", 1, kNow, random_);
  EXPECT_TRUE(codec_.verify(token, ring_, kNow + 1200 + 29).ok());
  auto late = codec_.verify(token, ring_, kNow + 1200 + 30);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidToken);
}

TEST_F(V3TokensTest, RefusesAnotherIssuer) {
  V3TokenCodec other({"https://elsewhere.test", 1200, 30});
  std::string token =
      other.mint(*ring_.signing_key(tokens::JwsAlgorithm::kHs256), "APIID", 1, kNow, random_);
  EXPECT_FALSE(codec_.verify(token, ring_, kNow).ok());
}

TEST_F(V3TokensTest, IssuerIsEscapedInTheClaims) {
  V3TokenCodec odd({"https://a.test/\"quoted\"", 1200, 30});
  std::string token =
      odd.mint(*ring_.signing_key(tokens::JwsAlgorithm::kHs256), "APIID", 1, kNow, random_);
  EXPECT_EQ(part(token, 1).at("iss"), "https://a.test/\"quoted\"");
  EXPECT_TRUE(odd.verify(token, ring_, kNow).ok());
}

TEST_F(V3TokensTest, RefusesAJtiWithoutGeneration) {
  // A well-signed token whose jti lacks the generation prefix cannot be tied to a key version.
  std::string payload = R"({"exp":)" + std::to_string(kNow + 100) +
                        R"(,"sub":"APIID","iss":"https://auth.example.test","iat":)" +
                        std::to_string(kNow) + R"(,"jti":"nogeneration"})";
  std::string token = ring_.signing_key(tokens::JwsAlgorithm::kHs256)->sign(payload);
  auto claims = codec_.verify(token, ring_, kNow);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().code, ErrorCode::kInvalidToken);
}

TEST_F(V3TokensTest, RefusesV3ClaimsSignedWithAnRs256Key) {
  // The same claims under an RS256 key of the ring: well signed, but not a v3 token.
  ring_.add(test::rsa_key(), true);
  const std::string payload = R"({"exp":)" + std::to_string(kNow + 100) +
                              R"(,"sub":"APIID","iss":"https://auth.example.test","iat":)" +
                              std::to_string(kNow) + R"(,"jti":"1.abc"})";
  ASSERT_TRUE(codec_.verify_claims(payload, kNow).ok());
  auto claims = codec_.verify(test::rsa_key()->sign(payload), ring_, kNow);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().code, ErrorCode::kInvalidToken);
  EXPECT_TRUE(
      codec_.verify(ring_.signing_key(tokens::JwsAlgorithm::kHs256)->sign(payload), ring_, kNow)
          .ok());
}

}  // namespace
}  // namespace connect_auth::domain
