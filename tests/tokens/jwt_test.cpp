#include "tokens/jwt.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <jwt/jwt.hpp>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"
#include "core/clock.h"
#include "tokens_test_util.h"

namespace connect_auth::tokens {
namespace {

using namespace std::string_literals;
using test_util::bytes_of;
using test_util::oracle_hmac;

// Fixed "now" for every test that does not talk to cpp-jwt (which reads the real clock).
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kLifetime = 1200;  // wire-contract.md §2: v3 default lifetime
constexpr std::string_view kIssuer = "https://auth.example.test";
constexpr std::string_view kSub = "ABCDEFGHIJKLMNOPQRSTUVWXY";
const std::string kSecret1 = "k1: 32+ bytes of HS256 key material";
const std::string kSecret2 = "k2: another 32+ bytes of key material";
const std::string kHeader1 = R"({"alg":"HS256","typ":"JWT","kid":"k1"})";

std::string b64(std::string_view text) { return encode_base64url(bytes_of(text)); }

std::string decode_segment(std::string_view segment) {
  auto decoded = decode_base64url(segment);
  EXPECT_TRUE(decoded.has_value()) << segment;
  return decoded.value_or("");
}

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

// The claims a v3 token carries (wire-contract.md §2), each overridable as raw JSON text.
struct Claims {
  std::string exp = std::to_string(kNow + kLifetime);
  std::string sub = "\"" + std::string(kSub) + "\"";
  std::string iss = "\"" + std::string(kIssuer) + "\"";
  std::string iat = std::to_string(kNow);
  std::string jti = "\"jti-0001\"";
  std::string extra;  // appended members, e.g. ,"nbf":1

  std::string json() const {
    std::string out = "{";
    auto member = [&out](std::string_view name, const std::string& value) {
      if (value.empty()) return;  // empty text: the claim is absent
      if (out.size() > 1) out.push_back(',');
      out.append("\"").append(name).append("\":").append(value);
    };
    member("exp", exp);
    member("sub", sub);
    member("iss", iss);
    member("iat", iat);
    member("jti", jti);
    out.append(extra);
    out.push_back('}');
    return out;
  }
};

// A token with any header and payload text, correctly HMAC-SHA256-signed with `secret`: only the
// checks that follow the signature can refuse it, so each attack below tests exactly one rule.
std::string forge(std::string_view header_json, std::string_view payload_json,
                  std::string_view secret) {
  std::string token = b64(header_json) + "." + b64(payload_json);
  token += "." + encode_base64url(oracle_hmac(bytes_of(secret), token));
  return token;
}

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k1 = Hs256Key::create("k1", bytes_of(kSecret1));
    auto k2 = Hs256Key::create("k2", bytes_of(kSecret2));
    ASSERT_TRUE(k1.ok());
    ASSERT_TRUE(k2.ok());
    key1_ = *k1;
    key2_ = *k2;
    ring_.add(key2_, /*signs=*/false);
    ring_.add(key1_, /*signs=*/true);
  }

  ClaimRules rules(std::int64_t now = kNow, std::int64_t leeway = 0) const {
    return ClaimRules{kIssuer, now, leeway};
  }

  Result<StandardClaims> verify(std::string_view token, std::int64_t now = kNow,
                                std::int64_t leeway = 0) const {
    return verify_jwt(token, ring_, rules(now, leeway));
  }

  // Every refusal is invalid_token (RFC 6750 §3.1), whatever the reason.
  ::testing::AssertionResult rejected(std::string_view token, std::int64_t now = kNow,
                                      std::int64_t leeway = 0) const {
    auto result = verify(token, now, leeway);
    if (result.ok()) return ::testing::AssertionFailure() << "accepted: " << token;
    if (result.error().code != ErrorCode::kInvalidToken) {
      return ::testing::AssertionFailure()
             << "refused with " << error_code_name(result.error().code) << ": " << token;
    }
    return ::testing::AssertionSuccess() << result.error().description;
  }

  ::testing::AssertionResult accepted(std::string_view token, std::int64_t now = kNow,
                                      std::int64_t leeway = 0) const {
    auto result = verify(token, now, leeway);
    if (!result.ok()) {
      return ::testing::AssertionFailure()
             << "refused (" << result.error().description << "): " << token;
    }
    return ::testing::AssertionSuccess();
  }

  std::shared_ptr<const Hs256Key> key1_;
  std::shared_ptr<const Hs256Key> key2_;
  KeyRing ring_;
};

// ---------------------------------------------------------------------------------------------
// Signing and round trip

TEST_F(JwtTest, SignVerifyRoundTrip) {
  const std::string token = key1_->sign(Claims{}.json());
  auto claims = verify(token);
  ASSERT_TRUE(claims.ok()) << claims.error().description;
  EXPECT_EQ(claims->sub, kSub);
  EXPECT_EQ(claims->iss, kIssuer);
  EXPECT_EQ(claims->jti, "jti-0001");
  EXPECT_EQ(claims->iat, kNow);
  EXPECT_EQ(claims->exp, kNow + kLifetime);
}

TEST_F(JwtTest, HeaderIsExactlyAlgTypKid) {
  // wire-contract.md §2: {"alg":"HS256","typ":"JWT"} plus a kid, nothing else.
  const auto parts = split(key1_->sign(Claims{}.json()));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(decode_segment(parts[0]), R"({"alg":"HS256","typ":"JWT","kid":"k1"})");
  EXPECT_EQ(b64(kHeader1), parts[0]);
}

TEST_F(JwtTest, PayloadIsCarriedVerbatimAndSignatureIsHmacOfSigningInput) {
  const std::string payload = Claims{}.json();
  const std::string token = key1_->sign(payload);
  const auto parts = split(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(decode_segment(parts[1]), payload);
  // RFC 7515 §5.1: the signature covers ASCII(BASE64URL(header) '.' BASE64URL(payload)).
  EXPECT_EQ(parts[2], encode_base64url(oracle_hmac(bytes_of(kSecret1), parts[0] + "." + parts[1])));
  EXPECT_EQ(parts[2].size(), 43u);  // 32 bytes, unpadded
  EXPECT_EQ(token, forge(kHeader1, payload, kSecret1));
}

TEST_F(JwtTest, SigningIsDeterministic) {
  EXPECT_EQ(key1_->sign(Claims{}.json()), key1_->sign(Claims{}.json()));
  EXPECT_NE(key1_->sign(Claims{}.json()), key2_->sign(Claims{}.json()));
}

TEST_F(JwtTest, DecodeReportsTheParts) {
  const std::string token = key2_->sign("{\"a\":1}");
  auto decoded = decode_jwt(token);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->alg, "HS256");
  EXPECT_EQ(decoded->kid, "k2");
  EXPECT_EQ(decoded->payload_json, "{\"a\":1}");
  EXPECT_EQ(decoded->signing_input, token.substr(0, token.rfind('.')));
  EXPECT_EQ(decoded->signature.size(), 32u);
  EXPECT_TRUE(key2_->verify(decoded->signing_input, decoded->signature));
  EXPECT_FALSE(key1_->verify(decoded->signing_input, decoded->signature));
}

TEST_F(JwtTest, VerifyOnlyKeyStillVerifies) {
  // Rotation overlap (bad-inputs.md §D): tokens of the previous key verify while it is in the ring.
  EXPECT_TRUE(accepted(key2_->sign(Claims{}.json())));
}

// ---------------------------------------------------------------------------------------------
// Cross-check with cpp-jwt, an independent implementation

TEST_F(JwtTest, OurTokenVerifiesWithCppJwt) {
  // cpp-jwt checks exp against the system clock, so this one test mints at the real now and
  // passes that same value to our verifier.
  const std::int64_t now = SystemClock().now_seconds();
  Claims c;
  c.iat = std::to_string(now);
  c.exp = std::to_string(now + kLifetime);
  const std::string token = key1_->sign(c.json());

  std::error_code ec;
  auto theirs =
      jwt::decode(token, jwt::params::algorithms({"HS256"}), ec, jwt::params::secret(kSecret1),
                  jwt::params::issuer(std::string(kIssuer)), jwt::params::validate_iat(true),
                  jwt::params::validate_jti(true));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(theirs.header().algo(), jwt::algorithm::HS256);
  EXPECT_EQ(theirs.header().create_json_obj().at("kid").get<std::string>(), "k1");
  EXPECT_EQ(theirs.header().create_json_obj().at("typ").get<std::string>(), "JWT");
  EXPECT_EQ(theirs.payload().get_claim_value<std::string>("sub"), kSub);
  EXPECT_EQ(theirs.payload().get_claim_value<std::string>("iss"), kIssuer);
  EXPECT_EQ(theirs.payload().get_claim_value<std::string>("jti"), "jti-0001");
  EXPECT_EQ(theirs.payload().get_claim_value<std::int64_t>("exp"), now + kLifetime);
  EXPECT_EQ(theirs.payload().get_claim_value<std::int64_t>("iat"), now);
  EXPECT_TRUE(accepted(token, now));

  // And cpp-jwt really checks: under another secret it refuses the same token.
  std::error_code wrong;
  jwt::decode(token, jwt::params::algorithms({"HS256"}), wrong, jwt::params::secret(kSecret2));
  EXPECT_TRUE(wrong);
}

TEST_F(JwtTest, CppJwtTokenVerifiesWithOurs) {
  const std::int64_t now = SystemClock().now_seconds();
  jwt::jwt_object theirs{jwt::params::algorithm("HS256"), jwt::params::secret(kSecret1)};
  theirs.header().add_header("kid", "k1");
  theirs.add_claim("sub", std::string(kSub))
      .add_claim("iss", std::string(kIssuer))
      .add_claim("jti", "from-cpp-jwt")
      .add_claim("iat", now)
      .add_claim("exp", now + kLifetime);
  std::error_code ec;
  const std::string token = theirs.signature(ec);
  ASSERT_FALSE(ec) << ec.message();

  auto claims = verify(token, now);
  ASSERT_TRUE(claims.ok()) << claims.error().description << ": " << token;
  EXPECT_EQ(claims->sub, kSub);
  EXPECT_EQ(claims->iss, kIssuer);
  EXPECT_EQ(claims->jti, "from-cpp-jwt");
  EXPECT_EQ(claims->iat, now);
  EXPECT_EQ(claims->exp, now + kLifetime);

  // Their token under kid k2 (our other key) must fail: the key comes from the kid.
  jwt::jwt_object wrong_kid{jwt::params::algorithm("HS256"), jwt::params::secret(kSecret1)};
  wrong_kid.header().add_header("kid", "k2");
  wrong_kid.add_claim("sub", "x").add_claim("iss", std::string(kIssuer)).add_claim("jti", "j");
  wrong_kid.add_claim("iat", now).add_claim("exp", now + kLifetime);
  EXPECT_TRUE(rejected(wrong_kid.signature(), now));
}

// ---------------------------------------------------------------------------------------------
// Algorithm attacks (bad-inputs.md §D): the algorithm comes from the key found by kid.

TEST_F(JwtTest, AlgNoneIsRejectedInAnyCase) {
  const std::string payload = Claims{}.json();
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT","kid":"k1"})";
    const std::string unsigned_token = b64(header) + "." + b64(payload);
    EXPECT_TRUE(rejected(unsigned_token + ".")) << alg;              // RFC 7519 §6.1 form
    EXPECT_TRUE(rejected(unsigned_token)) << alg;                    // two segments
    EXPECT_TRUE(rejected(forge(header, payload, kSecret1))) << alg;  // with a real MAC
    EXPECT_TRUE(rejected(unsigned_token + "." + b64("garbage"))) << alg;
    // Without a kid the none token names no key at all.
    const std::string no_kid = R"({"alg":")" + std::string(alg) + R"("})";
    EXPECT_TRUE(rejected(b64(no_kid) + "." + b64(payload) + ".")) << alg;
  }
}

TEST_F(JwtTest, OtherAlgorithmOnAnHs256KidIsRejected) {
  // Correctly MAC'd with the HS256 key, yet naming another algorithm: refused, never reinterpreted.
  const std::string payload = Claims{}.json();
  for (const char* alg : {"RS256", "HS512", "HS384", "hs256", "Hs256", "HS256 ", " HS256", "ES256",
                          "PS256", "EdDSA", "", "HS2560"}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT","kid":"k1"})";
    EXPECT_TRUE(rejected(forge(header, payload, kSecret1))) << '"' << alg << '"';
  }
}

TEST_F(JwtTest, PublicKeyAsHmacSecretIsRejected) {
  // RS256→HS256 confusion: an attacker MACs with a public key they know (PEM, DER-ish, JWK text).
  const std::string payload = Claims{}.json();
  const std::string public_keys[] = {
      "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC "
      "KEY-----\n",
      "\x30\x82\x01\x22\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00"s,
      R"({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZpt","e":"AQAB","kid":"k1"})",
  };
  for (const std::string& secret : public_keys) {
    EXPECT_TRUE(rejected(forge(kHeader1, payload, secret)));
    EXPECT_TRUE(rejected(forge(R"({"alg":"RS256","typ":"JWT","kid":"k1"})", payload, secret)));
  }
}

// ---------------------------------------------------------------------------------------------
// Signature attacks

TEST_F(JwtTest, StrippedOrTruncatedSignatureIsRejected) {
  const std::string token = key1_->sign(Claims{}.json());
  const std::size_t last_dot = token.rfind('.');
  EXPECT_TRUE(rejected(token.substr(0, last_dot + 1)));  // "h.p."
  EXPECT_TRUE(rejected(token.substr(0, last_dot)));      // "h.p"
  for (std::size_t cut = 1; cut < 43; ++cut) {
    EXPECT_TRUE(rejected(token.substr(0, token.size() - cut))) << "cut " << cut;
  }
  // A valid 16-byte prefix of the MAC (what a truncated-MAC verifier would accept).
  const std::string mac = decode_segment(token.substr(last_dot + 1));
  EXPECT_TRUE(rejected(token.substr(0, last_dot + 1) + b64(mac.substr(0, 16))));
  // The MAC followed by extra bytes.
  EXPECT_TRUE(rejected(token.substr(0, last_dot + 1) + b64(mac + "\0"s)));
}

TEST_F(JwtTest, EveryFlippedSignatureBitIsRejected) {
  const std::string token = key1_->sign(Claims{}.json());
  const std::size_t last_dot = token.rfind('.');
  const std::string mac = decode_segment(token.substr(last_dot + 1));
  ASSERT_EQ(mac.size(), 32u);
  for (std::size_t bit = 0; bit < mac.size() * 8; ++bit) {
    std::string flipped = mac;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_TRUE(rejected(token.substr(0, last_dot + 1) + b64(flipped))) << "bit " << bit;
  }
}

TEST_F(JwtTest, NonCanonicalSignatureEncodingIsRejected) {
  // 32 bytes take 43 characters; the last one carries 2 unused bits. Setting them spells the same
  // MAC differently; strict decoding refuses that, so a token has exactly one valid spelling.
  const std::string token = key1_->sign(Claims{}.json());
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::size_t value = alphabet.find(token.back());
  ASSERT_NE(value, std::string::npos);
  ASSERT_EQ(value & 0x03, 0u);
  for (std::size_t low = 1; low < 4; ++low) {
    std::string respelled = token;
    respelled.back() = alphabet[value | low];
    EXPECT_TRUE(rejected(respelled)) << low;
  }
}

TEST_F(JwtTest, NonAsciiRespellingIsRejected) {
  // Found by fuzz_jwt: libsodium 1.0.18 alone decodes any byte >= 0x80 like a base64 symbol, so a
  // valid token could be respelled (e.g. '_' as 0xdf) and still verify. Any such byte in any
  // position must make the token invalid.
  const std::string token = key1_->sign(Claims{}.json());
  ASSERT_TRUE(accepted(token));
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    for (int byte : {0x80, 0xad, 0xbf, 0xc0, 0xdf, 0xe1, 0xff}) {
      std::string respelled = token;
      respelled[i] = static_cast<char>(byte);
      ASSERT_TRUE(rejected(respelled)) << "byte " << byte << " at " << i;
    }
  }
  for (int byte = 0x80; byte <= 0xff; ++byte) {
    std::string respelled = token;
    respelled[token.size() - 2] = static_cast<char>(byte);
    EXPECT_TRUE(rejected(respelled)) << "byte " << byte;
  }
}

TEST_F(JwtTest, TamperedPayloadOrHeaderIsRejected) {
  const std::string token = key1_->sign(Claims{}.json());
  const auto parts = split(token);
  Claims other;
  other.sub = R"("ADMIN000000000000000000000")";
  EXPECT_TRUE(rejected(parts[0] + "." + b64(other.json()) + "." + parts[2]));
  other = Claims{};
  other.exp = std::to_string(kNow + 10 * kLifetime);  // extend own lifetime
  EXPECT_TRUE(rejected(parts[0] + "." + b64(other.json()) + "." + parts[2]));
  // Same header meaning, different bytes (member order): the MAC covers bytes, not meaning.
  EXPECT_TRUE(
      rejected(b64(R"({"typ":"JWT","alg":"HS256","kid":"k1"})") + "." + parts[1] + "." + parts[2]));
  // Every single character of the signing input changed in turn.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::size_t signing_end = token.rfind('.');
  for (std::size_t i = 0; i < signing_end; ++i) {
    if (token[i] == '.') continue;
    std::string changed = token;
    changed[i] = alphabet[(alphabet.find(token[i]) + 1) % alphabet.size()];
    EXPECT_TRUE(rejected(changed)) << "position " << i;
  }
}

TEST_F(JwtTest, TokenOfAnotherKeyUnderOurKidIsRejected) {
  // Signed with k2's secret but naming k1.
  EXPECT_TRUE(rejected(forge(kHeader1, Claims{}.json(), kSecret2)));
}

// ---------------------------------------------------------------------------------------------
// Structure

TEST_F(JwtTest, WrongSegmentCountIsRejected) {
  const std::string token = key1_->sign(Claims{}.json());
  const auto parts = split(token);
  const std::string bad[] = {
      "",
      ".",
      "..",
      "...",
      "....",
      parts[0],
      parts[0] + "." + parts[1],
      token + ".",
      token + "." + parts[2],
      token + "." + parts[1] + "." + parts[2],
      "." + parts[1] + "." + parts[2],
      parts[0] + ".." + parts[2],
      parts[0] + "." + parts[1] + ".",
      "." + token,
      parts[0] + ".." + parts[1] + "." + parts[2],
  };
  for (const std::string& text : bad) EXPECT_TRUE(rejected(text)) << '"' << text << '"';
}

TEST_F(JwtTest, PaddingInAnySegmentIsRejected) {
  // RFC 7515 §2: base64url without padding. '=' is not part of any JWS segment.
  const auto parts = split(key1_->sign(Claims{}.json()));
  EXPECT_TRUE(rejected(parts[0] + "=." + parts[1] + "." + parts[2]));
  EXPECT_TRUE(rejected(parts[0] + "==." + parts[1] + "." + parts[2]));
  EXPECT_TRUE(rejected(parts[0] + "." + parts[1] + "=." + parts[2]));
  EXPECT_TRUE(rejected(parts[0] + "." + parts[1] + "." + parts[2] + "="));
  EXPECT_TRUE(rejected(parts[0] + "." + parts[1] + "." + parts[2] + "=="));
  // Standard base64 with padding of the same header bytes.
  std::string padded_header = encode_base64(kHeader1);
  EXPECT_TRUE(rejected(padded_header + "." + parts[1] + "." + parts[2]));
}

TEST_F(JwtTest, NonBase64UrlCharactersAreRejected) {
  const std::string token = key1_->sign(Claims{}.json());
  const auto parts = split(token);
  for (char c : std::string("+/ \t\n\r%*\"\\,;:!~") + '\0' + "\x80\xff") {
    for (std::size_t segment = 0; segment < 3; ++segment) {
      auto changed = parts;
      changed[segment].insert(changed[segment].size() / 2, 1, c);
      EXPECT_TRUE(rejected(changed[0] + "." + changed[1] + "." + changed[2]))
          << "char " << int(static_cast<unsigned char>(c)) << " in segment " << segment;
    }
  }
  EXPECT_TRUE(rejected(" " + token));
  EXPECT_TRUE(rejected(token + " "));
  EXPECT_TRUE(rejected(token + "\n"));
  EXPECT_TRUE(rejected("Bearer " + token));
  // The standard alphabet for the same bytes, where it differs.
  std::string standard = token;
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (standard != token) {
    EXPECT_TRUE(rejected(standard));
  }
}

TEST_F(JwtTest, HeaderThatIsNotAJsonObjectIsRejected) {
  const std::string payload = Claims{}.json();
  const std::string headers[] = {
      "[]",
      R"(["HS256","k1"])",
      R"("HS256")",
      "123",
      "null",
      "true",
      "",
      "{",
      "not json",
      R"({"alg":"HS256","kid":"k1"}x)",                  // trailing garbage
      R"({"alg":"HS256","kid":"k1"}{})",                 // two documents
      R"({"alg":"HS256","kid":"k1",})",                  // trailing comma
      R"({"alg":"HS256",/*c*/"kid":"k1"})",              // comment
      "\xef\xbb\xbf{\"alg\":\"HS256\",\"kid\":\"k1\"}",  // byte order mark
      "{\"alg\":\"HS256\",\"kid\":\"k1\xff\"}",          // invalid UTF-8
      "{}",
      std::string(100, '[') + std::string(100, ']'),
  };
  for (const std::string& header : headers) {
    EXPECT_TRUE(rejected(forge(header, payload, kSecret1))) << header;
  }
}

TEST_F(JwtTest, AlgThatIsNotAStringIsRejected) {
  const std::string payload = Claims{}.json();
  for (const char* alg : {"1", "null", "true", R"(["HS256"])", R"({"name":"HS256"})"}) {
    const std::string header = R"({"alg":)" + std::string(alg) + R"(,"typ":"JWT","kid":"k1"})";
    EXPECT_TRUE(rejected(forge(header, payload, kSecret1))) << alg;
  }
  EXPECT_TRUE(rejected(forge(R"({"typ":"JWT","kid":"k1"})", payload, kSecret1)));  // alg missing
}

TEST_F(JwtTest, KidThatNamesNoKeyIsRejected) {
  // bad-inputs.md §D: no file or query is built from a kid; it is only a map lookup, and every
  // one of these names nothing. Each token is MAC'd with k1's secret, so only the kid is wrong.
  const std::string payload = Claims{}.json();
  const std::string kids[] = {
      R"("k3")",
      R"("K1")",
      R"("k1 ")",
      R"(" k1")",
      R"("k1\u0000")",
      R"("k")",
      R"("")",
      R"("../../etc/passwd")",
      R"("/dev/zero")",
      R"("file:///etc/passwd")",
      R"("k1' OR '1'='1")",
      R"("k1\"; DROP TABLE signing_keys; --")",
      "\"" + std::string(4000, 'k') + "\"",  // huge, yet under the 8 KiB token cap
      "1",
      "null",
      R"(["k1"])",
      R"({"kid":"k1"})",
  };
  for (const std::string& kid : kids) {
    const std::string header = R"({"alg":"HS256","typ":"JWT","kid":)" + kid + "}";
    EXPECT_TRUE(rejected(forge(header, payload, kSecret1))) << kid.substr(0, 60);
  }
  EXPECT_TRUE(rejected(forge(R"({"alg":"HS256","typ":"JWT"})", payload, kSecret1)));  // missing
}

TEST_F(JwtTest, CritIsRejected) {
  // RFC 7515 §4.1.11: we understand no extension, so any crit makes the token invalid.
  const std::string payload = Claims{}.json();
  for (const char* crit : {R"(["exp"])", R"(["b64"])", "[]", R"("x")", "null"}) {
    const std::string header =
        R"({"alg":"HS256","typ":"JWT","kid":"k1","crit":)" + std::string(crit) + "}";
    EXPECT_TRUE(rejected(forge(header, payload, kSecret1))) << crit;
  }
}

TEST_F(JwtTest, KeyLocatingHeadersAreIgnored) {
  // bad-inputs.md §D: jku, x5u, jwk, x5c are never followed. A token MAC'd with our kid's key
  // verifies whatever they say (the verifier has no network code to fetch them) ...
  const std::string payload = Claims{}.json();
  const std::string extras[] = {
      R"("jku":"http://127.0.0.1:1/jwks.json")",
      R"("x5u":"https://evil.example/cert.pem")",
      R"("jwk":{"kty":"oct","k":"YXR0YWNrZXI","kid":"k1"})",
      R"("x5c":["MIIB"])",
  };
  for (const std::string& extra : extras) {
    const std::string header = R"({"alg":"HS256","typ":"JWT","kid":"k1",)" + extra + "}";
    EXPECT_TRUE(accepted(forge(header, payload, kSecret1))) << extra;
    // ... and a token MAC'd with the key the header offers is refused.
    EXPECT_TRUE(rejected(forge(header, payload, "attacker"))) << extra;
  }
}

TEST_F(JwtTest, TokenLargerThan8KiBIsRejected) {
  // Find padding that makes a correctly signed token exactly kMaxTokenBytes long, then one more.
  auto token_with_pad = [&](std::size_t pad) {
    Claims c;
    c.extra = R"(,"pad":")" + std::string(pad, 'p') + "\"";
    return key1_->sign(c.json());
  };
  // base64url grows 4 characters per 3 bytes; start just below the cap to keep the search short.
  std::size_t pad = kMaxTokenBytes * 3 / 4 - 400;
  ASSERT_LT(token_with_pad(pad).size(), kMaxTokenBytes);
  while (token_with_pad(pad).size() < kMaxTokenBytes) ++pad;
  std::string at_cap = token_with_pad(pad);
  if (at_cap.size() != kMaxTokenBytes) at_cap = token_with_pad(--pad);  // unreachable length
  ASSERT_LE(at_cap.size(), kMaxTokenBytes);
  ASSERT_GE(at_cap.size(), kMaxTokenBytes - 1);
  EXPECT_TRUE(accepted(at_cap));
  std::string over = token_with_pad(pad + 1);
  while (over.size() <= kMaxTokenBytes) over = token_with_pad(++pad + 1);
  ASSERT_GT(over.size(), kMaxTokenBytes);
  EXPECT_TRUE(rejected(over));
  EXPECT_TRUE(rejected(std::string(kMaxTokenBytes + 1, 'a')));
  EXPECT_TRUE(rejected(std::string(1 << 20, '.')));

  auto decoded = decode_jwt(over);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidToken);
}

// ---------------------------------------------------------------------------------------------
// Claims: time window with leeway, types, presence, issuer

TEST_F(JwtTest, ExpBoundaryWithoutLeeway) {
  // RFC 7519 §4.1.4: not accepted on or after exp.
  Claims c;
  c.exp = std::to_string(kNow + 1);
  EXPECT_TRUE(accepted(key1_->sign(c.json())));
  c.exp = std::to_string(kNow);
  EXPECT_TRUE(rejected(key1_->sign(c.json())));
  c.exp = std::to_string(kNow - 1);
  EXPECT_TRUE(rejected(key1_->sign(c.json())));
  // Same token over time: valid for its whole lifetime, not a second longer.
  const std::string token = key1_->sign(Claims{}.json());
  EXPECT_TRUE(accepted(token, kNow + kLifetime - 1));
  EXPECT_TRUE(rejected(token, kNow + kLifetime));
}

TEST_F(JwtTest, ExpBoundaryWithLeeway) {
  constexpr std::int64_t kLeeway = 30;
  const std::string token = key1_->sign(Claims{}.json());  // exp = kNow + kLifetime
  const std::int64_t exp = kNow + kLifetime;
  EXPECT_TRUE(accepted(token, exp + kLeeway - 1, kLeeway));
  EXPECT_TRUE(rejected(token, exp + kLeeway, kLeeway));
  EXPECT_TRUE(rejected(token, exp + kLeeway + 1, kLeeway));
}

TEST_F(JwtTest, NbfBoundaryWithLeeway) {
  // RFC 7519 §4.1.5: not accepted before nbf (less the leeway).
  for (std::int64_t leeway : {0, 1, 30}) {
    Claims c;
    c.extra = R"(,"nbf":)" + std::to_string(kNow + leeway);
    EXPECT_TRUE(accepted(key1_->sign(c.json()), kNow, leeway)) << leeway;
    c.extra = R"(,"nbf":)" + std::to_string(kNow + leeway + 1);
    EXPECT_TRUE(rejected(key1_->sign(c.json()), kNow, leeway)) << leeway;
    c.extra = R"(,"nbf":)" + std::to_string(kNow + leeway - 1);
    EXPECT_TRUE(accepted(key1_->sign(c.json()), kNow, leeway)) << leeway;
  }
}

TEST_F(JwtTest, IatInTheFutureBeyondLeewayIsRejected) {
  for (std::int64_t leeway : {0, 1, 30}) {
    Claims c;
    c.iat = std::to_string(kNow + leeway);
    EXPECT_TRUE(accepted(key1_->sign(c.json()), kNow, leeway)) << leeway;
    c.iat = std::to_string(kNow + leeway + 1);
    EXPECT_TRUE(rejected(key1_->sign(c.json()), kNow, leeway)) << leeway;
  }
  Claims old;
  old.iat = std::to_string(kNow - 100000);  // an old iat alone is fine while exp holds
  EXPECT_TRUE(accepted(key1_->sign(old.json())));
}

TEST_F(JwtTest, ExpOfTheWrongTypeIsRejected) {
  const std::string values[] = {
      "\"" + std::to_string(kNow + kLifetime) + "\"",  // string
      std::to_string(kNow + kLifetime) + ".0",         // float, even when integral
      std::to_string(kNow + kLifetime) + ".5",
      "1.7e9",
      "null",
      "true",
      "[" + std::to_string(kNow + kLifetime) + "]",
      "{}",
      "18446744073709551615",  // beyond int64
      "99999999999999999999999",
  };
  for (const std::string& exp : values) {
    Claims c;
    c.exp = exp;
    EXPECT_TRUE(rejected(key1_->sign(c.json()))) << exp;
  }
  Claims missing;
  missing.exp.clear();
  EXPECT_TRUE(rejected(key1_->sign(missing.json())));
}

TEST_F(JwtTest, ExtremeExpValuesAreHandledWithoutOverflow) {
  Claims c;
  c.exp = std::to_string(std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(accepted(key1_->sign(c.json()), kNow, 0));
  EXPECT_TRUE(accepted(key1_->sign(c.json()), kNow, 60));  // exp + leeway must not overflow
  c.exp = std::to_string(std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(rejected(key1_->sign(c.json()), kNow, 60));
  c.exp = "-1";
  EXPECT_TRUE(rejected(key1_->sign(c.json())));
  c.exp = "0";
  EXPECT_TRUE(rejected(key1_->sign(c.json())));
}

TEST_F(JwtTest, IatMissingOrOfTheWrongTypeIsRejected) {
  for (const std::string& iat : {std::string(), "\"" + std::to_string(kNow) + "\"",
                                 std::to_string(kNow) + ".0", std::string("null")}) {
    Claims c;
    c.iat = iat;
    EXPECT_TRUE(rejected(key1_->sign(c.json()))) << '"' << iat << '"';
  }
}

TEST_F(JwtTest, NbfOfTheWrongTypeIsRejected) {
  for (const char* nbf : {R"("1")", "1.5", "null", "[]"}) {
    Claims c;
    c.extra = R"(,"nbf":)" + std::string(nbf);
    EXPECT_TRUE(rejected(key1_->sign(c.json()))) << nbf;
  }
}

TEST_F(JwtTest, StringClaimsMissingOrOfTheWrongTypeAreRejected) {
  const std::string wrong_types[] = {"", "1", "null", "true", R"(["x"])", R"({"x":1})"};
  for (const std::string& value : wrong_types) {
    Claims sub;
    sub.sub = value;
    EXPECT_TRUE(rejected(key1_->sign(sub.json()))) << "sub " << value;
    Claims iss;
    iss.iss = value;
    EXPECT_TRUE(rejected(key1_->sign(iss.json()))) << "iss " << value;
    Claims jti;
    jti.jti = value;
    EXPECT_TRUE(rejected(key1_->sign(jti.json()))) << "jti " << value;
  }
}

TEST_F(JwtTest, WrongIssuerIsRejected) {
  for (const char* iss : {R"("https://evil.example")", R"("https://auth.example.test/")",
                          R"("HTTPS://AUTH.EXAMPLE.TEST")", R"("http://auth.example.test")",
                          R"("https://auth.example.test ")", R"("")"}) {
    Claims c;
    c.iss = iss;
    EXPECT_TRUE(rejected(key1_->sign(c.json()))) << iss;
  }
}

TEST_F(JwtTest, PayloadThatIsNotAJsonObjectIsRejected) {
  // Correctly signed garbage: a signing bug or a compromised key must still not crash anything.
  for (std::string payload :
       {std::string("[]"), std::string("\"x\""), std::string(""), std::string("{"),
        Claims{}.json() + "x", Claims{}.json() + "{}",
        std::string(1000, '[') + std::string(1000, ']'), std::string("{\"sub\":\"\xff\"}")}) {
    EXPECT_TRUE(rejected(key1_->sign(payload))) << payload.substr(0, 40);
  }
}

TEST_F(JwtTest, UnknownClaimsAreIgnored) {
  Claims c;
  c.extra = R"(,"scope":"admin","aud":"x","nested":{"a":[1,2,{"b":null}]})";
  EXPECT_TRUE(accepted(key1_->sign(c.json())));
}

// ---------------------------------------------------------------------------------------------
// KeyRing and Hs256Key

TEST_F(JwtTest, KeyRingFindsByExactKid) {
  EXPECT_EQ(ring_.size(), 2u);
  EXPECT_EQ(ring_.find("k1"), key1_.get());
  EXPECT_EQ(ring_.find("k2"), key2_.get());
  EXPECT_EQ(ring_.find("K1"), nullptr);
  EXPECT_EQ(ring_.find("k"), nullptr);
  EXPECT_EQ(ring_.find(""), nullptr);
  EXPECT_EQ(ring_.find("k1\0"s), nullptr);
}

TEST_F(JwtTest, SigningKeyIsTheOneMarkedToSign) {
  EXPECT_EQ(ring_.signing_key(JwsAlgorithm::kHs256), key1_.get());
  EXPECT_EQ(ring_.signing_key(JwsAlgorithm::kRs256), nullptr);
  KeyRing ring;
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kHs256), nullptr);
  ring.add(key1_, false);
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kHs256), nullptr);
  ring.add(key2_, true);
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kHs256), key2_.get());
  EXPECT_EQ(ring.find("k1"), key1_.get());
  // Replacing the signer's kid with a key that does not sign leaves no signer.
  ring.add(Hs256Key::create("k2", bytes_of(kSecret1)).value(), false);
  EXPECT_EQ(ring.signing_key(JwsAlgorithm::kHs256), nullptr);
}

TEST_F(JwtTest, TokenOfAKeyNoLongerInTheRingIsRejected) {
  // A retired key's tokens stop verifying once the ring is rebuilt without it.
  const std::string old_token = key2_->sign(Claims{}.json());
  KeyRing rotated;
  rotated.add(key1_, true);
  auto result = verify_jwt(old_token, rotated, rules());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidToken);
  KeyRing empty;
  EXPECT_FALSE(verify_jwt(key1_->sign(Claims{}.json()), empty, rules()).ok());
}

TEST_F(JwtTest, ReusedKidWithNewSecretRejectsOldTokens) {
  auto replacement = Hs256Key::create("k1", bytes_of(std::string(32, 'r')));
  ASSERT_TRUE(replacement.ok());
  KeyRing ring;
  ring.add(*replacement, true);
  auto result = verify_jwt(key1_->sign(Claims{}.json()), ring, rules());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidToken);
}

TEST(Hs256KeyTest, RefusesShortSecrets) {
  // bad-inputs.md §D and RFC 7518 §3.2: at least 256 bits.
  for (std::size_t size : {0u, 1u, 16u, 31u}) {
    auto key = Hs256Key::create("k1", bytes_of(std::string(size, 's')));
    ASSERT_FALSE(key.ok()) << size;
    EXPECT_EQ(key.error().code, ErrorCode::kInternal);
  }
  EXPECT_TRUE(Hs256Key::create("k1", bytes_of(std::string(32, 's'))).ok());
  EXPECT_TRUE(Hs256Key::create("k1", bytes_of(std::string(64, 's'))).ok());
}

TEST(Hs256KeyTest, RefusesBadKids) {
  const std::string secret(32, 's');
  const std::string bad[] = {
      "",          std::string(65, 'a'),
      "a b",       "k/1",
      "k.1",       "k=1",
      "k+1",       "k\"1",
      "k\\1",      "k\n1",
      "k1\0"s,     "../k",
      "k\xc3\xa9",
  };
  for (const std::string& kid : bad) {
    auto key = Hs256Key::create(kid, bytes_of(secret));
    ASSERT_FALSE(key.ok()) << '"' << kid << '"';
    EXPECT_EQ(key.error().code, ErrorCode::kInternal);
  }
  for (const std::string& kid : {std::string(64, 'a'), std::string("A-z_09"), std::string("-"),
                                 std::string("2024-05-01_a")}) {
    auto key = Hs256Key::create(kid, bytes_of(secret));
    ASSERT_TRUE(key.ok()) << kid;
    EXPECT_EQ((*key)->kid(), kid);
  }
}

}  // namespace
}  // namespace connect_auth::tokens
