// Fuzzes JWT decoding and verification (bad-inputs.md §D) against a fixed key ring holding two
// HS256 keys (fz1 signs, fz2 verifies) and one RS256 key (fz3, signs).
//
// The first byte picks what the rest of the input is:
//   '{'  claims JSON, signed here with key fz1: explores claim types and the time window;
//   '!'  claims JSON, signed here with the RS256 key fz3;
//   '#'  header JSON '\n' claims JSON, MAC'd here with fz1's secret whatever the header says:
//        explores alg/kid/crit handling behind a valid MAC (algorithm confusion);
//   '$'  header JSON '\n' claims JSON, signed here with fz3's RSA private key whatever the
//        header says: the same behind a genuine RSA signature;
//   '%'  header JSON '\n' claims JSON, MAC'd with fz3's public key (PEM, or its JWK text when
//        the header's second byte is odd): the RS256→HS256 confusion, never accepted;
//   else a whole compact token: explores structure, base64url and signature checks.
// Invariants: never a crash; every refusal is invalid_token; an accepted token's header has no
// crit and names exactly the algorithm of the key its kid names; its signature is what OpenSSL's
// one-shot APIs accept for that key (HMAC(), or EVP_DigestVerify with a public key rebuilt here,
// not our pooled contexts); a rule asking for the other algorithm refuses it; and its claims
// satisfy the rules. A forgery would have to break one of these.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "fuzz_check.h"
#include "tokens/jwt.h"
#include "tokens/rs256_key.h"

namespace {

using connect_auth::ErrorCode;
using namespace connect_auth::tokens;

// Must match fuzz/make_corpus.py, so the checked-in tokens verify.
constexpr std::string_view kIssuer = "https://fuzz.example.test";
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kLeeway = 30;
constexpr std::string_view kSecret1 = "connect-auth fuzz key one: 32+ bytes";
constexpr std::string_view kSecret2 = "connect-auth fuzz key two: 32+ bytes";
// A fixed RSA-2048 key used for fuzzing only (PKCS#8 DER, base64), so checked-in RS256 seeds
// (fuzz/corpus/fuzz_jwt/rs256_*) stay valid.
constexpr std::string_view kRsaKid = "fz3";
constexpr const char* kRsaPkcs8Base64 =
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCdZxWsv7RiLm8fFWMTlxjc83t2etHIBLI12tlx"
    "kqxAMYNXRTZq4nLfKHHAa+Xmng8gdKpELM+kBN+dBf5qwt5lafowS9XRFRaZniHQZQEQWkjqi6A/r/lGQw05cNnu"
    "cRxf/eoJtfXiyIU8OGn5fwYTDTh3sI2hMmLfp+73Y3XfEb+aFOIdJJuAWXMAv7RzSzh8KXgqntwjXfO+7fZe+qIV"
    "XTVX3ljAoYOcuUSZZiOpEvH33BK8ZAPbEli4dbtHond/ygkFzrO/S9Tw3hjEBlI6IK/Na/od8pNIPw4x1m3Ub7vL"
    "zVjHuclqYwHbB7xO2oZ61cTIE8vtrvuVQ29Eh8xJAgMBAAECggEAJJ4T6IeDkRiw0Lgiv661wcch+IbrkT7ob4dt"
    "cRK4YEm0fqOzHGv4Ycpwph1j00H/jmMdrjUHjCZ3F/pKPO9/GfQs2Dn4MMcZZhznzGmG9RUv4+KeIdrQIKSeKbgD"
    "dwlY2ssA/IfYf0z7U+5i1wBSOzHm6k9IL5E/d70DZol8pStH0V3IQRasyY7zVpTOrVW6QPi8v3grGLb+cRrPgjox"
    "JDWdy5PFZbD+GGWiyhYDfkHkrmG1Tmt3sP+kDnbEG3qLm3CYoNjfzDNa3GNzFKaD8Fjg8MtyrWL/cpc6XfZDI5bI"
    "JGN7PqmyezLJ/UhVNm/qoRulp9cTjHFCDXfIaerpZQKBgQDb0FAv+242ztkTON5g+tbM6EEPNLmx2oGxmNZiJCS4"
    "T+cqcHHQAeCk1XE7SSgvPDC33kATPMjMlZGOqaFAxgBJFa6JSUUIfy+b4RXnODNPURE+GFBVjcB8KMoiEKlUhfLG"
    "r2xCyeBfg0IrVWl19szhDyWddHZ+8bi5qp6p/GjY7QKBgQC3UI+LyZG5TbZxZN6Y7aluonQGCoua4POt4eqV6Zjo"
    "z8u8Rt3+5DuYWsYjUaoGTZ7omrvvguJlNUTcedVuI8+oiBWYhV3c6sAk5mMOva3rJAzbk3o6Icqz0tLjyieRl236"
    "7ibJBw5Qx/Jv4rtLPyEK+fus2EOGdaU9rWBAsCghTQKBgCJTQ1Ja1vkkD+3agY9vXD+fPRmcyCqnznznOwMUVc+a"
    "WqTb7knnISdcVVRGtkm6AnmT8TmP0mNwL8yxXIb65GyFQD4b/PW4tryGx57Vvd1y8Vha/6B8hERfMkFjjK2wRRsV"
    "pbhAQhNoMdsGeXN8WL4EWYFfAGoOYSRNKn2s9sp5AoGAE/RjC9ZvVHqPJ5zRVlhYn0Bz3Mx9Eej23bC/9n2tNXqZ"
    "NO+J7tstWZJYCzQyi+kbKTrexl27A0VfL5jbkNe5HSFjKG0sIIY1UE777XjcW8Ja2/Qb1AQlqpmCd2VkFUcko7IU"
    "6sEn38dELsXBmZlPoYBA0znfb92SlTowRhpm4+kCgYEAs9CbLePbwEzA/0btpkIIfmjnOJ8HC6Za0vJIncL5Y7Jj"
    "PUDeT8JC1E9ZsywPRfDVrhylVqqdLacxOs3mdueKd8RXxmBDuQyWm1CyxUzstqHQQkfC0Uf8KXxPtJXlJREz1ndm"
    "FCUPDHkICBlnt442z86d6Hdt6leSQUro7g1/iAw=";

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

struct Fixture {
  KeyRing ring;
  std::shared_ptr<const Hs256Key> key1;
  std::shared_ptr<const Rs256Key> rsa;
  EVP_PKEY* rsa_private = nullptr;  // signs '$' inputs
  EVP_PKEY* rsa_public = nullptr;   // the oracle: public part only, rebuilt from DER
  std::string rsa_public_pem;
  Fixture() {
    const std::string der = connect_auth::decode_base64(kRsaPkcs8Base64).value();
    rsa = Rs256Key::from_pkcs8_der(std::string(kRsaKid), bytes_of(der)).value();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    rsa_private = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
    unsigned char* spki = nullptr;
    const int spki_size = i2d_PUBKEY(rsa_private, &spki);
    const unsigned char* q = spki;
    rsa_public = d2i_PUBKEY(nullptr, &q, spki_size);
    OPENSSL_free(spki);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, rsa_public);
    char* text = nullptr;
    const long text_size = BIO_get_mem_data(bio, &text);
    rsa_public_pem.assign(text, static_cast<std::size_t>(text_size));
    BIO_free(bio);

    key1 = Hs256Key::create("fz1", bytes_of(kSecret1)).value();
    ring.add(Hs256Key::create("fz2", bytes_of(kSecret2)).value(), /*signs=*/false);
    ring.add(key1, /*signs=*/true);
    ring.add(rsa, /*signs=*/true);
  }
};

const Fixture& fixture() {
  static const Fixture instance;
  return instance;
}

std::string oracle_mac(std::string_view secret, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

bool oracle_rs256_verifies(std::string_view data, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, fixture().rsa_public,
                              nullptr) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string rsa_sign(std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string signature(512, '\0');
  std::size_t size = signature.size();
  const bool ok =
      EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, fixture().rsa_private,
                            nullptr) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  FUZZ_CHECK(ok);
  signature.resize(size);
  return signature;
}

std::string b64(std::string_view text) { return connect_auth::encode_base64url(bytes_of(text)); }

// Verifies `token` and checks every invariant; returns whether it was accepted.
bool check_token(std::string_view token) {
  const ClaimRules rules{kIssuer, kNow, kLeeway};
  auto decoded = decode_jwt(token);
  auto verified = verify_jwt(token, fixture().ring, rules);

  if (!verified.ok()) {
    FUZZ_CHECK(verified.error().code == ErrorCode::kInvalidToken);
    FUZZ_CHECK(!verified.error().description.empty());
  }
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().code == ErrorCode::kInvalidToken);
    FUZZ_CHECK(!verified.ok());  // nothing undecodable is ever accepted
    return false;
  }
  FUZZ_CHECK(token.size() <= kMaxTokenBytes);
  FUZZ_CHECK(token.substr(0, decoded->signing_input.size()) == decoded->signing_input);
  FUZZ_CHECK(token.size() > decoded->signing_input.size() + 1);
  FUZZ_CHECK(token[decoded->signing_input.size()] == '.');
  if (!verified.ok()) return false;

  // Accepted: the signature is the real one for the key the kid names, under its algorithm.
  const JwsKey* key = fixture().ring.find(decoded->kid);
  FUZZ_CHECK(key != nullptr);
  FUZZ_CHECK(decoded->alg == algorithm_name(key->algorithm()));
  std::string canonical_header;
  if (key->algorithm() == JwsAlgorithm::kHs256) {
    FUZZ_CHECK(decoded->kid == "fz1" || decoded->kid == "fz2");
    const std::string_view secret = decoded->kid == "fz1" ? kSecret1 : kSecret2;
    FUZZ_CHECK(decoded->signature == oracle_mac(secret, decoded->signing_input));
    canonical_header = b64(R"({"alg":"HS256","typ":"JWT","kid":")" + decoded->kid + "\"}");
  } else {
    FUZZ_CHECK(decoded->kid == kRsaKid);
    FUZZ_CHECK(oracle_rs256_verifies(decoded->signing_input, decoded->signature));
    canonical_header = b64(R"({"kid":")" + decoded->kid + R"(","alg":"RS256"})");
  }
  // A rule for the other algorithm refuses it: a v3 token never passes as v4 and vice versa.
  ClaimRules other = rules;
  other.algorithm =
      key->algorithm() == JwsAlgorithm::kHs256 ? JwsAlgorithm::kRs256 : JwsAlgorithm::kHs256;
  FUZZ_CHECK(!verify_jwt(token, fixture().ring, other).ok());
  // With our own header bytes the whole token is exactly what sign() makes of the payload
  // (both HMAC and RSASSA-PKCS1-v1_5 are deterministic).
  if (decoded->signing_input.substr(0, decoded->signing_input.find('.')) == canonical_header) {
    FUZZ_CHECK(key->sign(decoded->payload_json) == token);
  }

  // The claims obey the rules they were checked against.
  const StandardClaims& claims = *verified;
  FUZZ_CHECK(claims.iss == kIssuer);
  FUZZ_CHECK(kNow - kLeeway < claims.exp);
  FUZZ_CHECK(claims.iat <= kNow + kLeeway);
  boost::system::error_code ec;
  const boost::json::value payload = boost::json::parse(decoded->payload_json, ec);
  FUZZ_CHECK(!ec && payload.is_object());
  const boost::json::object& object = payload.get_object();
  FUZZ_CHECK(object.at("sub").is_string() && object.at("sub").get_string() == claims.sub);
  FUZZ_CHECK(object.at("jti").is_string() && object.at("jti").get_string() == claims.jti);
  FUZZ_CHECK(!object.at("exp").is_double() && !object.at("iat").is_double());
  if (const auto* nbf = object.if_contains("nbf")) {
    FUZZ_CHECK(nbf->is_int64() || nbf->is_uint64());
    FUZZ_CHECK(nbf->to_number<std::int64_t>() <= kNow + kLeeway);
  }
  return true;
}

// A header signed for `kid` may only pass if it is an object with exactly that kid, the alg of
// that key and no crit: whatever else it claims, the algorithm comes from the key.
void check_header_rules(std::string_view header_json, bool accepted, std::string_view kid,
                        std::string_view alg) {
  if (!accepted) return;
  boost::system::error_code ec;
  const boost::json::value header = boost::json::parse(header_json, ec);
  FUZZ_CHECK(!ec && header.is_object());
  const boost::json::object& object = header.get_object();
  FUZZ_CHECK(!object.contains("crit"));
  FUZZ_CHECK(object.contains("alg") && object.at("alg").is_string() &&
             object.at("alg").get_string() == alg);
  FUZZ_CHECK(object.contains("kid") && object.at("kid").is_string() &&
             object.at("kid").get_string() == kid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const char mode = input.empty() ? '\0' : input.front();
  if (mode == '{') {
    check_token(fixture().key1->sign(input));
  } else if (mode == '!') {
    check_token(fixture().rsa->sign(input.substr(1)));
  } else if (mode == '#' || mode == '$' || mode == '%') {
    const std::string_view rest = input.substr(1);
    const std::size_t newline = rest.find('\n');
    const std::string_view header = rest.substr(0, newline);
    const std::string_view payload =
        newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    std::string token = b64(header) + "." + b64(payload);
    if (mode == '#') {
      token += "." + b64(oracle_mac(kSecret1, token));
      check_header_rules(header, check_token(token), "fz1", "HS256");
    } else if (mode == '$') {
      token += "." + b64(rsa_sign(token));
      check_header_rules(header, check_token(token), kRsaKid, "RS256");
    } else {
      const bool jwk = header.size() > 1 && (static_cast<unsigned char>(header[1]) & 1) != 0;
      const std::string secret = jwk ? fixture().rsa->public_jwk_json() : fixture().rsa_public_pem;
      token += "." + b64(oracle_mac(secret, token));
      FUZZ_CHECK(!check_token(token));  // a public key is never an HMAC secret
    }
  } else {
    check_token(input);
  }
  return 0;
}
