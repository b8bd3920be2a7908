// RS256 keys, the mixed HS256 + RS256 key ring, and the JWS attacks of bad-inputs.md §D that
// only exist once asymmetric keys are in the ring (algorithm confusion with the public key).
#include "tokens/rs256_key.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <jwt/jwt.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "core/clock.h"
#include "tokens/jwt.h"
#include "tokens/jwt_claims.h"
#include "tokens_test_util.h"

namespace connect_auth::tokens {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using test_util::bytes_of;
using test_util::oracle_hmac;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kIssuer = "https://auth.example.test";
const std::string kHsSecret = "hs: 32+ bytes of HS256 key material!";

std::string b64(std::string_view text) { return encode_base64url(bytes_of(text)); }

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

std::string decoded(std::string_view segment) {
  auto bytes = decode_base64url(segment);
  EXPECT_TRUE(bytes.has_value()) << segment;
  return bytes.value_or("");
}

std::string claims_json(std::int64_t now = kNow,
                        std::string_view sub = "ABCDEFGHIJKLMNOPQRSTUVWXY") {
  return R"({"exp":)" + std::to_string(now + 3600) + R"(,"sub":")" + std::string(sub) +
         R"(","iss":")" + std::string(kIssuer) + R"(","iat":)" + std::to_string(now) +
         R"(,"jti":"AT.j1"})";
}

std::string forge_hs256(std::string_view header_json, std::string_view payload_json,
                        std::string_view secret) {
  std::string token = b64(header_json) + "." + b64(payload_json);
  return token + "." + encode_base64url(oracle_hmac(bytes_of(secret), token));
}

// --- OpenSSL helpers that share nothing with Rs256Key's code paths.

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

Pkey private_pkey(const Rs256Key& key) {
  std::vector<std::uint8_t> der = key.pkcs8_der();
  const unsigned char* p = der.data();
  Pkey pkey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  OPENSSL_cleanse(der.data(), der.size());
  return pkey;
}

std::string private_pem(const Rs256Key& key) {
  Pkey pkey = private_pkey(key);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio);
}

// A public-only key rebuilt from the JWK's n and e, as a relying party would.
Pkey public_pkey_from_jwk(std::string_view jwk_json) {
  const boost::json::value jwk = boost::json::parse(jwk_json);
  const std::string n = decoded(jwk.at("n").as_string().c_str());
  const std::string e = decoded(jwk.at("e").as_string().c_str());
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_free(bn_n);
  BN_free(bn_e);
  return Pkey(pkey);
}

std::string public_pem(EVP_PKEY* pkey) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey);
  return bio_text(bio);
}

std::string public_spki_der(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(pkey, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string public_pkcs1_der(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int size = i2d_PublicKey(pkey, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

// RSASSA-PKCS1-v1_5/SHA-256 through OpenSSL's one-shot EVP_DigestSign.
std::string oracle_rs256(EVP_PKEY* pkey, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, pkey, nullptr);
  std::string signature(512, '\0');
  std::size_t size = signature.size();
  EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()),
            1);
  EVP_MD_CTX_free(ctx);
  signature.resize(size);
  return signature;
}

std::vector<std::uint8_t> pkcs8_of(EVP_PKEY* pkey) {
  OSSL_ENCODER_CTX* encoder = OSSL_ENCODER_CTX_new_for_pkey(pkey, OSSL_KEYMGMT_SELECT_KEYPAIR,
                                                            "DER", "PrivateKeyInfo", nullptr);
  unsigned char* data = nullptr;
  std::size_t size = 0;
  EXPECT_EQ(OSSL_ENCODER_to_data(encoder, &data, &size), 1);
  OSSL_ENCODER_CTX_free(encoder);
  std::vector<std::uint8_t> out(data, data + size);
  OPENSSL_free(data);
  return out;
}

// Generating RSA keys costs tens of milliseconds: two per test binary.
const std::shared_ptr<const Rs256Key>& rsa_key(int which = 0) {
  static const std::shared_ptr<const Rs256Key> keys[2] = {Rs256Key::generate().value(),
                                                          Rs256Key::generate().value()};
  return keys[which];
}

class Rs256Test : public ::testing::Test {
 protected:
  void SetUp() override {
    rs_ = rsa_key(0);
    hs_ = Hs256Key::create("hs-1", bytes_of(kHsSecret)).value();
    ring_.add(rs_, /*signs=*/true);
    ring_.add(hs_, /*signs=*/true);
  }

  ClaimRules rules(std::optional<JwsAlgorithm> algorithm = std::nullopt,
                   std::int64_t now = kNow) const {
    return ClaimRules{kIssuer, now, 0, algorithm};
  }

  ::testing::AssertionResult rejected(std::string_view token,
                                      std::optional<JwsAlgorithm> algorithm = std::nullopt) const {
    auto jws = verify_jws(token, ring_, algorithm);
    auto jwt = verify_jwt(token, ring_, rules(algorithm));
    if (jws.ok() || jwt.ok()) return ::testing::AssertionFailure() << "accepted: " << token;
    if (jws.error().code != ErrorCode::kInvalidToken ||
        jwt.error().code != ErrorCode::kInvalidToken) {
      return ::testing::AssertionFailure() << "refused with another code: " << token;
    }
    return ::testing::AssertionSuccess() << jws.error().description;
  }

  ::testing::AssertionResult accepted(std::string_view token,
                                      std::optional<JwsAlgorithm> algorithm = std::nullopt,
                                      std::int64_t now = kNow) const {
    auto jwt = verify_jwt(token, ring_, rules(algorithm, now));
    if (!jwt.ok()) {
      return ::testing::AssertionFailure() << "refused (" << jwt.error().description << ")";
    }
    return ::testing::AssertionSuccess();
  }

  std::shared_ptr<const Rs256Key> rs_;
  std::shared_ptr<const Hs256Key> hs_;
  KeyRing ring_;
};

// ---------------------------------------------------------------------------------------------
// Algorithm names

TEST(JwsAlgorithmTest, NamesRoundTripAndParsingIsExact) {
  EXPECT_EQ(algorithm_name(JwsAlgorithm::kHs256), "HS256");
  EXPECT_EQ(algorithm_name(JwsAlgorithm::kRs256), "RS256");
  EXPECT_EQ(parse_algorithm("HS256"), JwsAlgorithm::kHs256);
  EXPECT_EQ(parse_algorithm("RS256"), JwsAlgorithm::kRs256);
  const std::string_view bad_names[] = {"",      "none",  "rs256",     "Rs256", "RS256 ", " RS256",
                                        "RS384", "PS256", "HS256\0"sv, "ES256", "RS2560"};
  for (std::string_view bad : bad_names) {
    EXPECT_FALSE(parse_algorithm(bad).has_value()) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Generation, shape, round trip

TEST_F(Rs256Test, GeneratedKeyIsRsa2048WithE65537AndThumbprintKid) {
  EXPECT_EQ(rs_->bits(), 2048);
  EXPECT_EQ(rs_->algorithm(), JwsAlgorithm::kRs256);
  EXPECT_EQ(rs_->kid().size(), 43u);  // like the seed's kid: base64url of 32 bytes
  EXPECT_EQ(rs_->kid(), rs_->thumbprint());
  const boost::json::value jwk = boost::json::parse(rs_->public_jwk_json());
  EXPECT_EQ(jwk.at("e"), "AQAB");
  EXPECT_EQ(Rs256Key::thumbprint(jwk.at("n").as_string().c_str(), "AQAB"), rs_->kid());
  EXPECT_NE(rsa_key(0)->kid(), rsa_key(1)->kid());
}

TEST_F(Rs256Test, PublicJwkHasExactlyTheRfc7518Members) {
  const std::string json = rs_->public_jwk_json();
  const boost::json::value jwk = boost::json::parse(json);
  const boost::json::object& object = jwk.as_object();
  std::vector<std::string> names;
  for (const auto& member : object) names.emplace_back(member.key());
  EXPECT_EQ(names, (std::vector<std::string>{"kty", "alg", "use", "kid", "n", "e"}));
  EXPECT_EQ(object.at("kty"), "RSA");
  EXPECT_EQ(object.at("alg"), "RS256");
  EXPECT_EQ(object.at("use"), "sig");
  EXPECT_EQ(object.at("kid").as_string(), rs_->kid());
  // RFC 7518 §6.3.1.1: the unsigned big-endian modulus without leading zero octets.
  const std::string n = decoded(object.at("n").as_string().c_str());
  ASSERT_EQ(n.size(), 256u);
  EXPECT_NE(n[0], '\0');
  EXPECT_EQ(json.find(' '), std::string::npos);
  EXPECT_EQ(json.find("\"d\""), std::string::npos);  // nothing private
  EXPECT_EQ(json.find("\"p\""), std::string::npos);
  EXPECT_TRUE(hs_->public_jwk_json().empty());  // symmetric keys are never published
}

TEST_F(Rs256Test, HeaderIsExactlyKidThenAlg) {
  const auto parts = split(rs_->sign(claims_json()));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(decoded(parts[0]), R"({"kid":")" + rs_->kid() + R"(","alg":"RS256"})");
  EXPECT_EQ(decoded(parts[1]), claims_json());
  EXPECT_EQ(parts[2].size(), 342u);  // 256 bytes, unpadded
}

TEST_F(Rs256Test, HeaderMatchesTheSeedTokenByteForByte) {
  // ../shared/seeds/000_9ef06c382405ad3d.txt: the v4 access token's first segment.
  const std::string seed_header =
      "eyJraWQiOiJJQVE3czZMeFNmdW03SWFhYjNocEtiM0R5dGJta2Jic2dwUzVGRElnR2I4IiwiYWxnIjoiUlMyNTYifQ";
  const std::string seed_kid = "IAQ7s6LxSfum7Iaab3hpKb3DytbmkbbsgpS5FDIgGb8";
  std::vector<std::uint8_t> der = rs_->pkcs8_der();
  auto same_key_seed_kid = Rs256Key::from_pkcs8_der(seed_kid, der);
  OPENSSL_cleanse(der.data(), der.size());
  ASSERT_TRUE(same_key_seed_kid.ok()) << same_key_seed_kid.error().description;
  EXPECT_EQ(split((*same_key_seed_kid)->sign("{}"))[0], seed_header);
}

TEST_F(Rs256Test, SignVerifyRoundTrip) {
  const std::string token = rs_->sign(claims_json());
  auto jws = verify_jws(token, ring_);
  ASSERT_TRUE(jws.ok()) << jws.error().description;
  EXPECT_EQ(jws->key, rs_.get());
  EXPECT_EQ(jws->payload_json, claims_json());
  auto claims = verify_jwt(token, ring_, rules(JwsAlgorithm::kRs256));
  ASSERT_TRUE(claims.ok()) << claims.error().description;
  EXPECT_EQ(claims->sub, "ABCDEFGHIJKLMNOPQRSTUVWXY");
  EXPECT_EQ(claims->jti, "AT.j1");
  EXPECT_EQ(claims->exp, kNow + 3600);
}

TEST_F(Rs256Test, SignatureIsTheOneOpenSslComputes) {
  // PKCS#1 v1.5 is deterministic: OpenSSL's one-shot API must produce the very same bytes.
  const std::string token = rs_->sign(claims_json());
  const auto parts = split(token);
  Pkey pkey = private_pkey(*rs_);
  ASSERT_TRUE(pkey);
  EXPECT_EQ(decoded(parts[2]), oracle_rs256(pkey.get(), parts[0] + "." + parts[1]));
}

TEST_F(Rs256Test, Pkcs8RoundTripGivesTheSameKey) {
  std::vector<std::uint8_t> der = rs_->pkcs8_der();
  auto reloaded = Rs256Key::from_pkcs8_der(rs_->kid(), der);
  OPENSSL_cleanse(der.data(), der.size());
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().description;
  EXPECT_EQ((*reloaded)->public_jwk_json(), rs_->public_jwk_json());
  EXPECT_EQ((*reloaded)->sign(claims_json()), rs_->sign(claims_json()));
  KeyRing only_reloaded;
  only_reloaded.add(*reloaded, true);
  EXPECT_TRUE(verify_jws(rs_->sign(claims_json()), only_reloaded).ok());
}

TEST_F(Rs256Test, StoredKidIsKeptEvenIfItIsNotTheThumbprint) {
  std::vector<std::uint8_t> der = rs_->pkcs8_der();
  auto named = Rs256Key::from_pkcs8_der("rs-2024-01", der);
  OPENSSL_cleanse(der.data(), der.size());
  ASSERT_TRUE(named.ok());
  EXPECT_EQ((*named)->kid(), "rs-2024-01");
  EXPECT_EQ((*named)->thumbprint(), rs_->kid());
  EXPECT_NE((*named)->public_jwk_json().find(R"("kid":"rs-2024-01")"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Interoperability with cpp-jwt, an independent implementation

TEST_F(Rs256Test, OurTokenVerifiesWithCppJwtFromThePublishedJwkAlone) {
  const std::int64_t now = SystemClock().now_seconds();  // cpp-jwt reads the real clock
  const std::string token = rs_->sign(claims_json(now));
  Pkey public_key = public_pkey_from_jwk(rs_->public_jwk_json());
  ASSERT_TRUE(public_key);
  const std::string pem = public_pem(public_key.get());
  ASSERT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);

  std::error_code ec;
  auto theirs =
      jwt::decode(token, jwt::params::algorithms({"RS256"}), ec, jwt::params::secret(pem),
                  jwt::params::issuer(std::string(kIssuer)), jwt::params::validate_iat(true));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(theirs.header().algo(), jwt::algorithm::RS256);
  EXPECT_EQ(theirs.header().create_json_obj().at("kid").get<std::string>(), rs_->kid());
  EXPECT_EQ(theirs.payload().get_claim_value<std::string>("jti"), "AT.j1");
  EXPECT_EQ(theirs.payload().get_claim_value<std::int64_t>("exp"), now + 3600);

  // cpp-jwt really checks: the other key's public part refuses the same token.
  Pkey other = public_pkey_from_jwk(rsa_key(1)->public_jwk_json());
  std::error_code wrong;
  jwt::decode(token, jwt::params::algorithms({"RS256"}), wrong,
              jwt::params::secret(public_pem(other.get())));
  EXPECT_TRUE(wrong);
}

TEST_F(Rs256Test, CppJwtTokenSignedWithOurPrivateKeyVerifiesWithOurs) {
  const std::int64_t now = SystemClock().now_seconds();
  jwt::jwt_object theirs{jwt::params::algorithm("RS256"), jwt::params::secret(private_pem(*rs_))};
  theirs.header().add_header("kid", rs_->kid());
  theirs.add_claim("sub", "user@example.test")
      .add_claim("iss", std::string(kIssuer))
      .add_claim("jti", "AT.from-cpp-jwt")
      .add_claim("iat", now)
      .add_claim("exp", now + 3600);
  std::error_code ec;
  const std::string token = theirs.signature(ec);
  ASSERT_FALSE(ec) << ec.message();

  auto claims = verify_jwt(token, ring_, rules(JwsAlgorithm::kRs256, now));
  ASSERT_TRUE(claims.ok()) << claims.error().description << ": " << token;
  EXPECT_EQ(claims->sub, "user@example.test");
  EXPECT_EQ(claims->jti, "AT.from-cpp-jwt");

  // The same token under the kid of our other RSA key is refused: the kid picks the key.
  KeyRing both;
  both.add(rsa_key(1), true);
  jwt::jwt_object wrong_kid{jwt::params::algorithm("RS256"),
                            jwt::params::secret(private_pem(*rs_))};
  wrong_kid.header().add_header("kid", rsa_key(1)->kid());
  wrong_kid.add_claim("sub", "x").add_claim("iss", std::string(kIssuer)).add_claim("jti", "j");
  wrong_kid.add_claim("iat", now).add_claim("exp", now + 3600);
  EXPECT_FALSE(verify_jws(wrong_kid.signature(), both).ok());
}

// ---------------------------------------------------------------------------------------------
// RFC 7638 thumbprint and PKCS#8 loading

TEST(Rs256KeyTest, Rfc7638ThumbprintTestVector) {
  // RFC 7638 §3.1, the example RSA key.
  const std::string n =
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
      "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"
      "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZ"
      "u0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
  EXPECT_EQ(Rs256Key::thumbprint(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(Rs256KeyTest, RefusesKeysShorterThan2048Bits) {
  for (std::size_t bits : {1024u, 2047u}) {
    Pkey weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
    ASSERT_TRUE(weak);
    auto key = Rs256Key::from_pkcs8_der("weak", pkcs8_of(weak.get()));
    ASSERT_FALSE(key.ok()) << bits;
    EXPECT_EQ(key.error().code, ErrorCode::kInternal);
    EXPECT_NE(key.error().description.find("2048"), std::string::npos);
  }
}

TEST(Rs256KeyTest, RefusesKeysThatAreNotRsa) {
  Pkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EVP_PKEY* raw_pss = nullptr;
  EVP_PKEY_CTX* pss_ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr);
  ASSERT_EQ(EVP_PKEY_keygen_init(pss_ctx), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(pss_ctx, 2048), 1);
  ASSERT_EQ(EVP_PKEY_generate(pss_ctx, &raw_pss), 1);
  EVP_PKEY_CTX_free(pss_ctx);
  Pkey pss(raw_pss);  // an RSA key restricted to PSS: not usable for RS256
  for (EVP_PKEY* pkey : {ec.get(), ed.get(), pss.get()}) {
    ASSERT_NE(pkey, nullptr);
    auto key = Rs256Key::from_pkcs8_der("not-rsa", pkcs8_of(pkey));
    ASSERT_FALSE(key.ok()) << EVP_PKEY_get0_type_name(pkey);
    EXPECT_EQ(key.error().code, ErrorCode::kInternal);
  }
}

TEST(Rs256KeyTest, RefusesMalformedDer) {
  std::vector<std::uint8_t> der = rsa_key(0)->pkcs8_der();
  auto refused = [](std::span<const std::uint8_t> bytes, std::string kid = "k") {
    auto key = Rs256Key::from_pkcs8_der(std::move(kid), bytes);
    return !key.ok() && key.error().code == ErrorCode::kInternal;
  };
  EXPECT_TRUE(refused({}));
  EXPECT_TRUE(refused(bytes_of("not DER at all")));
  EXPECT_TRUE(refused(std::span(der).first(der.size() - 1)));  // truncated
  {
    // The same key as a PKCS#1 RSAPrivateKey: not the PKCS#8 we store.
    Pkey pkey = private_pkey(*rsa_key(0));
    unsigned char* pkcs1 = nullptr;
    const int size = i2d_PrivateKey(pkey.get(), &pkcs1);
    ASSERT_GT(size, 0);
    EXPECT_TRUE(refused(std::span<const std::uint8_t>(pkcs1, static_cast<std::size_t>(size))));
    OPENSSL_clear_free(pkcs1, static_cast<std::size_t>(size));
  }
  std::vector<std::uint8_t> trailing = der;
  trailing.push_back(0);
  EXPECT_TRUE(refused(trailing));
  std::vector<std::uint8_t> flipped = der;
  flipped[der.size() / 2] ^= 0x01;  // inside the private parts: inconsistent or unparsable
  EXPECT_TRUE(refused(flipped));
  // The same good key under kids that are not 1-64 URL-safe characters.
  for (std::string kid : {""s, std::string(65, 'a'), "a/b"s, "k\"1"s, "k1\0"s}) {
    EXPECT_TRUE(refused(der, kid)) << kid;
  }
  EXPECT_TRUE(Rs256Key::from_pkcs8_der(std::string(64, 'a'), der).ok());
  OPENSSL_cleanse(der.data(), der.size());
  OPENSSL_cleanse(trailing.data(), trailing.size());
  OPENSSL_cleanse(flipped.data(), flipped.size());
}

TEST(Rs256KeyTest, RefusesKeysWhosePartsDisagree) {
  // A well-formed PKCS#8 RSA key whose CRT exponent (or modulus) does not match its primes.
  Pkey good = private_pkey(*rsa_key(0));
  const char* names[] = {OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
                         OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                         OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                         OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
  for (const char* damaged : {OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_N,
                              OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_COEFFICIENT1}) {
    OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
    std::vector<BIGNUM*> numbers;
    for (const char* name : names) {
      BIGNUM* bn = nullptr;
      ASSERT_EQ(EVP_PKEY_get_bn_param(good.get(), name, &bn), 1) << name;
      if (std::string_view(name) == damaged) BN_add_word(bn, 2);
      OSSL_PARAM_BLD_push_BN(build, name, bn);
      numbers.push_back(bn);
    }
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* raw = nullptr;
    ASSERT_EQ(EVP_PKEY_fromdata_init(ctx), 1);
    ASSERT_EQ(EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_KEYPAIR, params), 1) << damaged;
    Pkey bad(raw);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(build);
    for (BIGNUM* bn : numbers) BN_clear_free(bn);

    std::vector<std::uint8_t> der = pkcs8_of(bad.get());
    auto key = Rs256Key::from_pkcs8_der("bad", der);
    OPENSSL_cleanse(der.data(), der.size());
    ASSERT_FALSE(key.ok()) << damaged;
    EXPECT_EQ(key.error().description, "RS256 signing key is inconsistent") << damaged;
  }
}

// ---------------------------------------------------------------------------------------------
// The mixed ring

TEST_F(Rs256Test, RingHasOneSignerPerAlgorithm) {
  EXPECT_EQ(ring_.size(), 2u);
  EXPECT_EQ(ring_.signing_key(JwsAlgorithm::kRs256), rs_.get());
  EXPECT_EQ(ring_.signing_key(JwsAlgorithm::kHs256), hs_.get());
  EXPECT_EQ(ring_.find(rs_->kid()), rs_.get());
  EXPECT_EQ(ring_.find("hs-1"), hs_.get());

  KeyRing ring;
  ring.add(rs_, false);
  ring.add(rsa_key(1), true);
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kRs256), rsa_key(1).get());
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kHs256), nullptr);
  // A verify-only key still verifies.
  EXPECT_TRUE(verify_jws(rs_->sign(claims_json()), ring).ok());
}

TEST_F(Rs256Test, JwksListsEveryPublicKeyInKidOrder) {
  KeyRing ring;
  EXPECT_EQ(ring.jwks_json(), R"({"keys":[]})");
  ring.add(hs_, true);
  EXPECT_EQ(ring.jwks_json(), R"({"keys":[]})");  // HS256 secrets are never published
  ring.add(rsa_key(1), false);
  ring.add(rsa_key(0), true);
  const auto& [first, second] = rsa_key(0)->kid() < rsa_key(1)->kid()
                                    ? std::pair(rsa_key(0), rsa_key(1))
                                    : std::pair(rsa_key(1), rsa_key(0));
  EXPECT_EQ(ring.jwks_json(),
            R"({"keys":[)" + first->public_jwk_json() + "," + second->public_jwk_json() + "]}");
  const boost::json::value jwks = boost::json::parse(ring.jwks_json());
  ASSERT_EQ(jwks.at("keys").as_array().size(), 2u);
  // Replacing a kid replaces its entry.
  std::vector<std::uint8_t> der = rsa_key(1)->pkcs8_der();
  ring.add(Rs256Key::from_pkcs8_der(rsa_key(0)->kid(), der).value(), false);
  OPENSSL_cleanse(der.data(), der.size());
  EXPECT_EQ(boost::json::parse(ring.jwks_json()).at("keys").as_array().size(), 2u);
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kRs256), nullptr);
}

TEST_F(Rs256Test, RebuildAtIsCarried) {
  KeyRing ring;
  EXPECT_FALSE(ring.rebuild_at().has_value());
  ring.set_rebuild_at(kNow + 60);
  EXPECT_EQ(ring.rebuild_at(), kNow + 60);
}

// ---------------------------------------------------------------------------------------------
// bad-inputs.md §D: algorithm attacks

TEST_F(Rs256Test, AlgNoneIsRejectedInAnyCaseUnderAnRsaKid) {
  const std::string payload = claims_json();
  const std::string real_signature = split(rs_->sign(payload))[2];
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = R"({"kid":")" + rs_->kid() + R"(","alg":")" + alg + "\"}";
    const std::string unsigned_token = b64(header) + "." + b64(payload);
    EXPECT_TRUE(rejected(unsigned_token + ".")) << alg;
    EXPECT_TRUE(rejected(unsigned_token)) << alg;
    EXPECT_TRUE(rejected(unsigned_token + "." + real_signature)) << alg;
    EXPECT_TRUE(rejected(forge_hs256(header, payload, kHsSecret))) << alg;
  }
}

TEST_F(Rs256Test, PublicKeyAsHmacSecretIsRejected) {
  // RS256→HS256 confusion: the attacker knows our public key in every usual form and MACs a
  // token with it, naming HS256 (or RS256), under the RSA kid and under the HS256 kid.
  Pkey public_key = public_pkey_from_jwk(rs_->public_jwk_json());
  ASSERT_TRUE(public_key);
  const std::string pem = public_pem(public_key.get());
  const std::string n = decoded(boost::json::parse(rs_->public_jwk_json()).at("n").as_string());
  const std::string secrets[] = {
      pem,
      pem.substr(0, pem.size() - 1),  // without the final newline
      public_spki_der(public_key.get()),
      public_pkcs1_der(public_key.get()),
      rs_->public_jwk_json(),
      ring_.jwks_json(),
      n,
  };
  const std::string payload = claims_json();
  for (const std::string& secret : secrets) {
    for (const std::string& kid : {rs_->kid(), std::string("hs-1")}) {
      for (const char* alg : {"HS256", "RS256", "HS384", "HS512"}) {
        const std::string kid_then_alg = R"({"kid":")" + kid + R"(","alg":")" + alg + "\"}";
        const std::string alg_typ_kid =
            R"({"alg":")" + std::string(alg) + R"(","typ":"JWT","kid":")" + kid + "\"}";
        EXPECT_TRUE(rejected(forge_hs256(kid_then_alg, payload, secret))) << kid << alg;
        EXPECT_TRUE(rejected(forge_hs256(alg_typ_kid, payload, secret))) << kid << alg;
      }
    }
  }
}

TEST_F(Rs256Test, AlgorithmMustNameTheKeysAlgorithmExactly) {
  const std::string payload = claims_json();
  const std::string signing_input_tail = "." + b64(payload);
  for (const char* alg :
       {"HS256", "RS384", "RS512", "PS256", "rs256", "Rs256", "RS256 ", "ES256", "", "RS2560"}) {
    // A genuine RSA signature over a header naming another algorithm for the RSA kid.
    const std::string header = R"({"kid":")" + rs_->kid() + R"(","alg":")" + alg + "\"}";
    Pkey pkey = private_pkey(*rs_);
    const std::string input = b64(header) + signing_input_tail;
    EXPECT_TRUE(rejected(input + "." + encode_base64url(bytes_of(oracle_rs256(pkey.get(), input)))))
        << '"' << alg << '"';
  }
  // RS256 named on the HS256 kid, with a genuine RSA signature or the HMAC.
  const std::string on_hs = R"({"kid":"hs-1","alg":"RS256"})";
  Pkey pkey = private_pkey(*rs_);
  const std::string input = b64(on_hs) + signing_input_tail;
  EXPECT_TRUE(rejected(input + "." + encode_base64url(bytes_of(oracle_rs256(pkey.get(), input)))));
  EXPECT_TRUE(rejected(forge_hs256(on_hs, payload, kHsSecret)));
}

TEST_F(Rs256Test, V3AndV4TokensNeverPassForEachOther) {
  const std::string v4 = rs_->sign(claims_json());
  const std::string v3 = hs_->sign(claims_json());
  EXPECT_TRUE(accepted(v4, JwsAlgorithm::kRs256));
  EXPECT_TRUE(accepted(v3, JwsAlgorithm::kHs256));
  EXPECT_TRUE(accepted(v4));  // no rule: either algorithm
  EXPECT_TRUE(accepted(v3));
  EXPECT_TRUE(rejected(v4, JwsAlgorithm::kHs256));
  EXPECT_TRUE(rejected(v3, JwsAlgorithm::kRs256));
  auto refused = verify_jwt(v4, ring_, rules(JwsAlgorithm::kHs256));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().description, "token algorithm is not accepted here");
}

// ---------------------------------------------------------------------------------------------
// bad-inputs.md §D: signature and kid attacks

TEST_F(Rs256Test, StrippedTruncatedOrPaddedSignatureIsRejected) {
  const std::string token = rs_->sign(claims_json());
  const std::size_t last_dot = token.rfind('.');
  const std::string head = token.substr(0, last_dot + 1);
  const std::string signature = decoded(token.substr(last_dot + 1));
  ASSERT_EQ(signature.size(), 256u);
  EXPECT_TRUE(rejected(head));
  EXPECT_TRUE(rejected(token.substr(0, last_dot)));
  for (std::size_t keep : {0u, 1u, 32u, 128u, 255u}) {
    EXPECT_TRUE(rejected(head + b64(signature.substr(0, keep)))) << keep;
    EXPECT_TRUE(rejected(head + b64(signature.substr(256 - keep)))) << keep;
  }
  for (std::size_t cut = 1; cut < 10; ++cut) {
    EXPECT_TRUE(rejected(token.substr(0, token.size() - cut))) << cut;
  }
  EXPECT_TRUE(rejected(head + b64("\0"s + signature)));  // leading zero: 257 bytes
  EXPECT_TRUE(rejected(head + b64(signature + "\0"s)));
  EXPECT_TRUE(rejected(head + b64(std::string(256, '\0'))));
  EXPECT_TRUE(rejected(head + b64(std::string(256, '\xff'))));
  EXPECT_TRUE(accepted(token));  // the pooled contexts still work after all those failures
}

TEST_F(Rs256Test, TamperedSignatureOrSigningInputIsRejected) {
  const std::string token = rs_->sign(claims_json());
  const std::size_t last_dot = token.rfind('.');
  const std::string head = token.substr(0, last_dot + 1);
  const std::string signature = decoded(token.substr(last_dot + 1));
  for (std::size_t byte = 0; byte < signature.size(); byte += 7) {
    std::string flipped = signature;
    flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << (byte % 8)));
    EXPECT_TRUE(rejected(head + b64(flipped))) << byte;
  }
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < last_dot; i += 3) {
    if (token[i] == '.') continue;
    std::string changed = token;
    changed[i] = alphabet[(alphabet.find(token[i]) + 1) % alphabet.size()];
    EXPECT_TRUE(rejected(changed)) << i;
  }
  // The other RSA key's genuine signature over the same input, under our kid.
  EXPECT_TRUE(rejected(head + split(rsa_key(1)->sign(claims_json()))[2]));
}

TEST_F(Rs256Test, KidUnknownHugeOrNotAStringIsRejected) {
  const std::string payload = claims_json();
  Pkey pkey = private_pkey(*rs_);
  const std::string kids[] = {
      "\"" + rs_->kid().substr(1) + "\"",
      "\"" + rs_->kid() + " \"",
      R"("../../etc/passwd")",
      R"("k' OR '1'='1")",
      "\"" + std::string(4000, 'k') + "\"",
      "1",
      "null",
      "[\"" + rs_->kid() + "\"]",
      R"({"kid":")" + rs_->kid() + "\"}",
  };
  for (const std::string& kid : kids) {
    const std::string header = R"({"kid":)" + kid + R"(,"alg":"RS256"})";
    const std::string input = b64(header) + "." + b64(payload);
    EXPECT_TRUE(rejected(input + "." + encode_base64url(bytes_of(oracle_rs256(pkey.get(), input)))))
        << kid.substr(0, 60);
  }
  EXPECT_TRUE(rejected(forge_hs256(R"({"alg":"RS256"})", payload, kHsSecret)));  // no kid
}

TEST_F(Rs256Test, ExpiredRs256TokenIsRejected) {
  const std::string token = rs_->sign(claims_json());
  EXPECT_TRUE(accepted(token, JwsAlgorithm::kRs256, kNow + 3599));
  auto late = verify_jwt(token, ring_, rules(JwsAlgorithm::kRs256, kNow + 3600));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidToken);
}

// ---------------------------------------------------------------------------------------------
// Concurrency: one key, many threads (run under ASan; the pool hands each call its own context)

TEST_F(Rs256Test, ManyThreadsSignAndVerifyWithOneKey) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string payload = claims_json(kNow, "SUB" + std::to_string(t * 100 + i));
        const std::string token = rs_->sign(payload);
        auto jws = verify_jws(token, ring_);
        if (!jws.ok() || jws->payload_json != payload) failures.fetch_add(1);
        std::string bad = token;
        bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
        if (verify_jws(bad, ring_).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// Claim helpers shared with the v4 codec

TEST(JwtClaimsTest, HelpersReadTypesStrictly) {
  const ClaimsObject parsed(R"({"a":1,"b":"x","c":1.5,"d":"2","e":18446744073709551615,"f":-3})");
  ASSERT_NE(parsed.object(), nullptr);
  const boost::json::object& claims = *parsed.object();
  EXPECT_EQ(integer_claim(claims, "a"), 1);
  EXPECT_EQ(integer_claim(claims, "f"), -3);
  EXPECT_FALSE(integer_claim(claims, "b").has_value());
  EXPECT_FALSE(integer_claim(claims, "c").has_value());
  EXPECT_FALSE(integer_claim(claims, "d").has_value());
  EXPECT_FALSE(integer_claim(claims, "e").has_value());  // beyond int64
  EXPECT_FALSE(integer_claim(claims, "missing").has_value());
  std::string out;
  EXPECT_TRUE(string_claim(claims, "b", out));
  EXPECT_EQ(out, "x");
  EXPECT_FALSE(string_claim(claims, "a", out));
  EXPECT_EQ(ClaimsObject("[1]").object(), nullptr);
  EXPECT_EQ(ClaimsObject("{").object(), nullptr);
  EXPECT_EQ(ClaimsObject("").object(), nullptr);
}

TEST(JwtClaimsTest, TimeWindowWithLeeway) {
  auto check = [](std::string_view json, std::int64_t now, std::int64_t leeway) {
    const ClaimsObject parsed(json);
    return check_time_claims(*parsed.object(), now, leeway);
  };
  const std::string window = R"({"iat":1000,"exp":2000)";
  EXPECT_TRUE(check(window + "}", 1999, 0).ok());
  EXPECT_FALSE(check(window + "}", 2000, 0).ok());  // on exp: refused
  EXPECT_TRUE(check(window + "}", 2029, 30).ok());
  EXPECT_FALSE(check(window + "}", 2030, 30).ok());
  EXPECT_TRUE(check(window + "}", 970, 30).ok());  // iat 30 s ahead of our clock
  EXPECT_FALSE(check(window + "}", 969, 30).ok());
  EXPECT_TRUE(check(window + R"(,"nbf":1500})", 1470, 30).ok());
  EXPECT_FALSE(check(window + R"(,"nbf":1500})", 1469, 30).ok());
  EXPECT_FALSE(check(window + R"(,"nbf":"1500"})", 1600, 30).ok());
  EXPECT_FALSE(check(R"({"iat":1000})", 1500, 0).ok());
  EXPECT_FALSE(check(R"({"exp":2000})", 1500, 0).ok());
  EXPECT_FALSE(check(R"({"iat":1000,"exp":2000.0})", 1500, 0).ok());
  auto ok = check(window + "}", 1500, 0);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->iat, 1000);
  EXPECT_EQ(ok->exp, 2000);
  auto refused = check(window + "}", 5000, 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidToken);
}

}  // namespace
}  // namespace connect_auth::tokens
