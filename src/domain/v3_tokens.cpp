#include "domain/v3_tokens.h"

#include <fmt/format.h>

#include <cassert>
#include <charconv>

#include "core/json_text.h"

namespace connect_auth::domain {

V3TokenCodec::V3TokenCodec(V3TokenSettings settings)
    : settings_(std::move(settings)), issuer_json_(json_string(settings_.issuer)) {}

std::string V3TokenCodec::mint(const tokens::JwsKey& key, std::string_view api_id,
                               std::int64_t generation, std::int64_t now, Random& random) const {
  assert(key.algorithm() == tokens::JwsAlgorithm::kHs256);
  const std::string nonce = random_base64url(random, 16);
  // api_id is [A-Z0-9] (checked at creation) and the nonce base64url: neither needs escaping.
  std::string payload =
      fmt::format(R"({{"exp":{},"sub":"{}","iss":{},"iat":{},"jti":"{}.{}"}})",
                  now + settings_.lifetime_seconds, api_id, issuer_json_, now, generation, nonce);
  return key.sign(payload);
}

Result<V3TokenClaims> V3TokenCodec::verify(std::string_view token, const tokens::KeyRing& keys,
                                           std::int64_t now) const {
  auto verified = tokens::verify_jws(token, keys, tokens::JwsAlgorithm::kHs256);
  if (!verified) return std::move(verified).error();
  return verify_claims(verified->payload_json, now);
}

Result<V3TokenClaims> V3TokenCodec::verify_claims(std::string_view payload_json,
                                                  std::int64_t now) const {
  const tokens::ClaimRules rules{settings_.issuer, now, settings_.leeway_seconds,
                                 tokens::JwsAlgorithm::kHs256};
  auto claims = tokens::check_standard_claims(payload_json, rules);
  if (!claims) return std::move(claims).error();
  const std::string& jti = claims->jti;
  const std::size_t dot = jti.find('.');
  V3TokenClaims result;
  if (dot == std::string::npos ||
      std::from_chars(jti.data(), jti.data() + dot, result.generation).ptr != jti.data() + dot) {
    return make_error(ErrorCode::kInvalidToken, "token claims are malformed");
  }
  result.api_id = std::move(claims->sub);
  result.jti = std::move(claims->jti);
  result.issued_at = claims->iat;
  result.expires_at = claims->exp;
  return result;
}

}  // namespace connect_auth::domain
