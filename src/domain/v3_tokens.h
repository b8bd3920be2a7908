// v3 access tokens: HS256 JWTs (wire-contract §2). Header {"alg":"HS256","typ":"JWT","kid":…};
// claims, in the seed's order, exp, sub (API_ID), iss, iat, jti.
//
// The jti is "<key generation>.<128 random bits>": regenerating a key bumps its generation, so
// the old secret's tokens are refused on the next request instead of living until expiry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"
#include "tokens/jwt.h"

namespace connect_auth::domain {

struct V3TokenSettings {
  std::string issuer;
  std::int64_t lifetime_seconds = 1200;
  std::int64_t leeway_seconds = 30;
};

struct V3TokenClaims {
  std::string api_id;
  std::string jti;  // "<generation>.<nonce>": what revocation (RFC 7009) names
  std::int64_t generation = 0;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

class V3TokenCodec {
 public:
  explicit V3TokenCodec(V3TokenSettings settings);

  const V3TokenSettings& settings() const { return settings_; }

  // `key` must be an HS256 key (KeyRing::signing_key(kHs256)): v3 verification refuses any
  // other algorithm.
  std::string mint(const tokens::JwsKey& key, std::string_view api_id, std::int64_t generation,
                   std::int64_t now, Random& random) const;

  // Signature (HS256 keys only, so a v4 token never passes as v3), time window, issuer, and the
  // jti shape. Every failure is kInvalidToken.
  Result<V3TokenClaims> verify(std::string_view token, const tokens::KeyRing& keys,
                               std::int64_t now) const;
  // The claims part alone, for a payload whose HS256 signature tokens::verify_jws has checked.
  Result<V3TokenClaims> verify_claims(std::string_view payload_json, std::int64_t now) const;

 private:
  V3TokenSettings settings_;
  std::string issuer_json_;  // the issuer as a JSON string literal, escaped once
};

}  // namespace connect_auth::domain
