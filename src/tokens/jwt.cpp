#include "tokens/jwt.h"

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/base64.h"
#include "core/json_text.h"
#include "tokens/jwt_claims.h"

namespace connect_auth::tokens {
namespace {

Error invalid_token(std::string description) {
  return make_error(ErrorCode::kInvalidToken, std::move(description));
}

bool is_url_safe(std::string_view text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Parses a small JSON object into `out`, whose storage must be the caller's stack-backed
// monotonic resource (so typical tokens need no heap). Returns nullptr unless it is an object.
const boost::json::object* parse_object(std::string_view text, boost::json::value& out) {
  boost::system::error_code ec;
  // Assignment keeps `out`'s allocator, so the parse result lands in the caller's buffer.
  out = boost::json::parse(text, ec, out.storage());
  if (ec) return nullptr;
  return out.if_object();
}

}  // namespace

Result<DecodedJwt> decode_jwt(std::string_view token) {
  if (token.empty()) return invalid_token("token is empty");
  if (token.size() > kMaxTokenBytes) return invalid_token("token is too large");
  const std::size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return invalid_token("token is malformed");
  const std::size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != token.npos) {
    return invalid_token("token is malformed");
  }
  std::string_view header_b64 = token.substr(0, first_dot);
  std::string_view payload_b64 = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string_view signature_b64 = token.substr(second_dot + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty()) {
    return invalid_token("token is malformed");  // includes a stripped signature
  }
  auto header_json = decode_base64url(header_b64);
  auto payload_json = decode_base64url(payload_b64);
  auto signature = decode_base64url(signature_b64);
  if (!header_json || !payload_json || !signature) return invalid_token("token is malformed");

  std::array<unsigned char, 1024> stack{};
  boost::json::monotonic_resource memory(stack.data(), stack.size());
  const boost::json::storage_ptr storage(&memory);
  boost::json::value header_value(storage);
  const boost::json::object* header = parse_object(*header_json, header_value);
  if (header == nullptr) return invalid_token("token is malformed");
  if (header->contains("crit")) return invalid_token("token uses unsupported extensions");

  DecodedJwt decoded;
  const boost::json::value* alg = header->if_contains("alg");
  const boost::json::value* kid = header->if_contains("kid");
  if (alg == nullptr || !alg->is_string()) return invalid_token("token is malformed");
  if (kid == nullptr || !kid->is_string()) return invalid_token("token signing key is unknown");
  decoded.alg.assign(alg->get_string().data(), alg->get_string().size());
  decoded.kid.assign(kid->get_string().data(), kid->get_string().size());
  decoded.signing_input = token.substr(0, second_dot);
  decoded.payload_json = std::move(*payload_json);
  decoded.signature = std::move(*signature);
  return decoded;
}

Hs256Key::Hs256Key(ConstructionKey, std::string kid, std::span<const std::uint8_t> secret)
    : kid_(std::move(kid)), hmac_(secret) {
  std::string header = R"({"alg":"HS256","typ":"JWT","kid":)";
  append_json_string(header, kid_);
  header.push_back('}');
  append_base64url(encoded_header_, header);
}

Result<std::shared_ptr<const Hs256Key>> Hs256Key::create(std::string kid,
                                                         std::span<const std::uint8_t> secret) {
  if (secret.size() < kMinHs256KeyBytes) {
    return make_error(ErrorCode::kInternal, "HS256 signing key is shorter than 256 bits");
  }
  if (!is_valid_kid(kid)) {
    return make_error(ErrorCode::kInternal, "signing key id must be 1-64 URL-safe characters");
  }
  return std::make_shared<const Hs256Key>(ConstructionKey{}, std::move(kid), secret);
}

std::string Hs256Key::sign(std::string_view payload_json) const {
  std::string token;
  token.reserve(encoded_header_.size() + payload_json.size() * 4 / 3 + 48);
  token.append(encoded_header_);
  token.push_back('.');
  append_base64url(token, payload_json);
  const Sha256Digest signature = hmac_.mac(token);
  token.push_back('.');
  append_base64url(token, signature);
  return token;
}

bool Hs256Key::verify(std::string_view signing_input, std::string_view signature) const {
  const Sha256Digest expected = hmac_.mac(signing_input);
  return constant_time_equal(
      expected,
      std::span(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size()));
}

void KeyRing::add(std::shared_ptr<const JwsKey> key, bool signs) {
  // Replacing a signer's kid with a non-signing key must not leave a signer that no longer
  // verifies: the replaced key stops signing too.
  for (auto& signer : signing_) {
    if (signer && signer->kid() == key->kid()) signer.reset();
  }
  if (signs) signing_[static_cast<std::size_t>(key->algorithm())] = key;
  keys_[key->kid()] = std::move(key);
  rebuild_jwks();
}

void KeyRing::rebuild_jwks() {
  std::string jwks = R"({"keys":[)";
  bool first = true;
  for (const auto& [kid, key] : keys_) {
    std::string jwk = key->public_jwk_json();
    if (jwk.empty()) continue;
    if (!first) jwks.push_back(',');
    first = false;
    jwks.append(jwk);
  }
  jwks.append("]}");
  jwks_json_ = std::move(jwks);
}

const JwsKey* KeyRing::find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second.get();
}

Result<VerifiedJws> verify_jws(std::string_view token, const KeyRing& keys,
                               std::optional<JwsAlgorithm> required) {
  auto decoded = decode_jwt(token);
  if (!decoded) return std::move(decoded).error();

  // The algorithm comes from the key found by kid, never from the token: a token naming any
  // other algorithm for that key (none, HS256 on an RS256 key, hs256) is refused outright, so a
  // public key can never be used as an HMAC secret.
  const JwsKey* key = keys.find(decoded->kid);
  if (key == nullptr) return invalid_token("token signing key is unknown");
  if (decoded->alg != algorithm_name(key->algorithm())) {
    return invalid_token("token algorithm does not match its key");
  }
  // Checked before the signature: an RSA verification costs far more than this comparison.
  if (required && key->algorithm() != *required) {
    return invalid_token("token algorithm is not accepted here");
  }
  if (!key->verify(decoded->signing_input, decoded->signature)) {
    return invalid_token("token signature is invalid");
  }
  return VerifiedJws{key, std::move(decoded->payload_json)};
}

Result<StandardClaims> verify_jwt(std::string_view token, const KeyRing& keys,
                                  const ClaimRules& rules) {
  auto verified = verify_jws(token, keys, rules.algorithm);
  if (!verified) return std::move(verified).error();
  return check_standard_claims(verified->payload_json, rules);
}

Result<StandardClaims> check_standard_claims(std::string_view payload_json,
                                             const ClaimRules& rules) {
  const ClaimsObject parsed(payload_json);
  const boost::json::object* payload = parsed.object();
  if (payload == nullptr) return invalid_token("token claims are malformed");

  StandardClaims claims;
  if (!string_claim(*payload, "sub", claims.sub) || !string_claim(*payload, "iss", claims.iss) ||
      !string_claim(*payload, "jti", claims.jti)) {
    return invalid_token("token claims are malformed");
  }
  auto times = check_time_claims(*payload, rules.now, rules.leeway_seconds);
  if (!times) return std::move(times).error();
  claims.exp = times->exp;
  claims.iat = times->iat;
  if (claims.iss != rules.issuer) return invalid_token("token issuer is not accepted");
  return claims;
}

std::string_view algorithm_name(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kHs256: return "HS256";
    case JwsAlgorithm::kRs256: return "RS256";
  }
  return "";  // unreachable: the enum is closed
}

std::optional<JwsAlgorithm> parse_algorithm(std::string_view name) {
  if (name == "HS256") return JwsAlgorithm::kHs256;
  if (name == "RS256") return JwsAlgorithm::kRs256;
  return std::nullopt;
}

bool is_valid_kid(std::string_view kid) {
  return !kid.empty() && kid.size() <= 64 && is_url_safe(kid);
}

}  // namespace connect_auth::tokens
