// Fuzzes JWT decoding and verification (bad-inputs.md §D) against a fixed key ring.
//
// The first byte picks what the rest of the input is:
//   '{'  claims JSON, signed here with key fz1: explores claim types and the time window;
//   '#'  header JSON '\n' claims JSON, MAC'd here with fz1's secret whatever the header says:
//        explores alg/kid/crit handling behind a valid MAC (algorithm confusion);
//   else a whole compact token: explores structure, base64url and signature checks.
// Invariants: never a crash; every refusal is invalid_token; an accepted token carries exactly
// the HMAC-SHA256 (computed by OpenSSL's one-shot API, not our cached contexts) of its signing
// input under the secret of the key its kid names, its header says alg HS256 and has no crit,
// and its claims satisfy the rules. A forgery would have to break one of these.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "fuzz_check.h"
#include "tokens/jwt.h"

namespace {

using connect_auth::ErrorCode;
using namespace connect_auth::tokens;

// Must match fuzz/make_corpus.py, so the checked-in tokens verify.
constexpr std::string_view kIssuer = "https://fuzz.example.test";
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kLeeway = 30;
constexpr std::string_view kSecret1 = "connect-auth fuzz key one: 32+ bytes";
constexpr std::string_view kSecret2 = "connect-auth fuzz key two: 32+ bytes";

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

struct Fixture {
  KeyRing ring;
  std::shared_ptr<const Hs256Key> key1;
  Fixture() {
    key1 = Hs256Key::create("fz1", bytes_of(kSecret1)).value();
    ring.add(Hs256Key::create("fz2", bytes_of(kSecret2)).value(), /*signs=*/false);
    ring.add(key1, /*signs=*/true);
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

  // Accepted: the MAC is the real one for the key the kid names, and the algorithm is HS256.
  FUZZ_CHECK(decoded->alg == "HS256");
  FUZZ_CHECK(decoded->kid == "fz1" || decoded->kid == "fz2");
  const std::string_view secret = decoded->kid == "fz1" ? kSecret1 : kSecret2;
  FUZZ_CHECK(decoded->signature == oracle_mac(secret, decoded->signing_input));
  // With our own header bytes the whole token is exactly what sign() makes of the payload.
  const std::string canonical_header =
      b64(R"({"alg":"HS256","typ":"JWT","kid":")" + decoded->kid + "\"}");
  if (decoded->signing_input.substr(0, decoded->signing_input.find('.')) == canonical_header) {
    FUZZ_CHECK(fixture().ring.find(decoded->kid)->sign(decoded->payload_json) == token);
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

// A header MAC'd with fz1's secret may only pass if it is an object with alg "HS256", kid "fz1"
// and no crit: whatever else it claims, the algorithm comes from the key.
void check_header_rules(std::string_view header_json, bool accepted) {
  if (!accepted) return;
  boost::system::error_code ec;
  const boost::json::value header = boost::json::parse(header_json, ec);
  FUZZ_CHECK(!ec && header.is_object());
  const boost::json::object& object = header.get_object();
  FUZZ_CHECK(!object.contains("crit"));
  FUZZ_CHECK(object.contains("alg") && object.at("alg") == "HS256");
  FUZZ_CHECK(object.contains("kid") && object.at("kid") == "fz1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input.front() == '{') {
    check_token(fixture().key1->sign(input));
  } else if (!input.empty() && input.front() == '#') {
    const std::string_view rest = input.substr(1);
    const std::size_t newline = rest.find('\n');
    const std::string_view header = rest.substr(0, newline);
    const std::string_view payload =
        newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    std::string token = b64(header) + "." + b64(payload);
    token += "." + b64(oracle_mac(kSecret1, token));
    check_header_rules(header, check_token(token));
  } else {
    check_token(input);
  }
  return 0;
}
