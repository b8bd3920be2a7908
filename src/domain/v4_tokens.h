// v4 access tokens: RS256 JWTs (wire-contract §3). Header {"kid":…,"alg":"RS256"}; claims, in
// the seed's order: ver (1), jti ("AT." + 128 random bits), iss, aud, iat, exp, cid, uid (the
// user's id as a JSON string), scp (array), sub (the user's login name).
//
// The codec accepts only tokens signed by an RS256 key of the ring: a v3 (HS256) token never
// passes here, and the v3 codec refuses every v4 token, so neither kind stands in for the other.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "core/result.h"
#include "tokens/jwt.h"

namespace connect_auth::domain {

struct V4TokenSettings {
  std::string issuer;
  std::string audience;
  std::string client_id;
  std::int64_t lifetime_seconds = 3600;
  std::int64_t leeway_seconds = 30;
};

struct V4TokenClaims {
  std::string jti;  // "AT.…": what revocation (RFC 7009) names
  std::int64_t user_id = 0;
  std::string user_name;
  std::vector<std::string> scopes;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

class V4TokenCodec {
 public:
  explicit V4TokenCodec(V4TokenSettings settings);

  const V4TokenSettings& settings() const { return settings_; }

  // `key` must be an RS256 key (KeyRing::signing_key(kRs256)). `issued_at` is the iat;
  // exp = iat + lifetime.
  std::string mint(const tokens::JwsKey& key, std::int64_t user_id, std::string_view user_name,
                   std::span<const std::string_view> scopes, std::int64_t issued_at,
                   Random& random) const;

  // Signature by an RS256 key of the ring, then the claims. Every failure is kInvalidToken.
  Result<V4TokenClaims> verify(std::string_view token, const tokens::KeyRing& keys,
                               std::int64_t now) const;

  // The claims of a payload whose signature an RS256 key has already verified (bearer
  // authentication verifies once and dispatches on the key's algorithm): exact types, ver 1,
  // the jti shape, iss and aud as configured, the time window with leeway, a decimal uid.
  Result<V4TokenClaims> verify_claims(std::string_view payload_json, std::int64_t now) const;

 private:
  V4TokenSettings settings_;
  // Configured values as JSON string literals, escaped once.
  std::string issuer_json_;
  std::string audience_json_;
  std::string client_id_json_;
};

}  // namespace connect_auth::domain
