// JSON Web Tokens (RFC 7519) signed with JWS compact serialisation (RFC 7515), our own small
// module on OpenSSL EVP: keys are loaded once and reused, and verification is fail-closed in a
// fixed order: size → structure → header → key by kid → the header's alg must name exactly that
// key's algorithm (and the one the caller accepts) → signature → claims (types, time window with
// leeway, issuer).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "tokens/hmac_sha256.h"
#include "tokens/jws_key.h"

namespace connect_auth::tokens {

// Larger tokens are refused before any decoding.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;
// HS256 keys must carry at least 256 bits (RFC 7518 §3.2 asks for ≥ the hash size).
constexpr std::size_t kMinHs256KeyBytes = 32;

struct DecodedJwt {
  std::string_view signing_input;  // "header.payload" exactly as received
  std::string alg;
  std::string kid;
  std::string payload_json;
  std::string signature;
};

// Structural decode without verification: exactly three unpadded base64url segments; the header
// is a JSON object whose "alg" and "kid" are strings; "crit" is refused (RFC 7515 §4.1.11: we
// implement no extensions); "jku", "x5u", "jwk", "x5c" are never followed.
Result<DecodedJwt> decode_jwt(std::string_view token);

class Hs256Key final : public JwsKey {
 public:
  // Refuses a secret shorter than kMinHs256KeyBytes and a kid that is not 1–64 URL-safe chars.
  static Result<std::shared_ptr<const Hs256Key>> create(std::string kid,
                                                        std::span<const std::uint8_t> secret);

  const std::string& kid() const override { return kid_; }
  JwsAlgorithm algorithm() const override { return JwsAlgorithm::kHs256; }
  // Header {"alg":"HS256","typ":"JWT","kid":…} (wire-contract §2).
  std::string sign(std::string_view payload_json) const override;
  bool verify(std::string_view signing_input, std::string_view signature) const override;

  // Only create() can make the key that unlocks this constructor, so its checks cannot be
  // skipped; make_shared still works.
  class ConstructionKey {
    friend class Hs256Key;
    ConstructionKey() = default;
  };
  Hs256Key(ConstructionKey, std::string kid, std::span<const std::uint8_t> secret);

 private:
  std::string kid_;
  HmacSha256 hmac_;
  std::string encoded_header_;  // base64url of the header, built once
};

// The keys a node verifies with; per algorithm at most one of them signs. Built once, then
// shared immutable (replaced whole), so every const method is safe from many threads.
class KeyRing {
 public:
  // Adds `key`, replacing any key with the same kid (which then stops signing too); `signs`
  // makes it the signer of its algorithm.
  void add(std::shared_ptr<const JwsKey> key, bool signs);
  const JwsKey* signing_key(JwsAlgorithm algorithm) const {
    return signing_[static_cast<std::size_t>(algorithm)].get();
  }
  const JwsKey* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }

  // {"keys":[…]}: the public JWK of every key that has one, in kid order (RFC 7517 §5). Kept
  // up to date by add(), so serving it costs nothing.
  const std::string& jwks_json() const { return jwks_json_; }

  // The next moment (unix seconds) at which the ring built from the same stored keys would
  // differ (a key starts signing or is retired); whoever built it rebuilds it then.
  std::optional<std::int64_t> rebuild_at() const { return rebuild_at_; }
  void set_rebuild_at(std::optional<std::int64_t> at) { rebuild_at_ = at; }

 private:
  void rebuild_jwks();

  std::map<std::string, std::shared_ptr<const JwsKey>, std::less<>> keys_;
  std::array<std::shared_ptr<const JwsKey>, kJwsAlgorithmCount> signing_;
  std::string jwks_json_ = R"({"keys":[]})";
  std::optional<std::int64_t> rebuild_at_;
};

struct VerifiedJws {
  const JwsKey* key = nullptr;  // owned by the ring passed in
  std::string payload_json;     // signature verified, content not yet checked
};

// Signature verification only: size → structure → header → key by kid → the header's alg equals
// the key's algorithm name exactly → (when `required` is set) the key has that algorithm →
// signature. Every failure is kInvalidToken with a short reason.
Result<VerifiedJws> verify_jws(std::string_view token, const KeyRing& keys,
                               std::optional<JwsAlgorithm> required = std::nullopt);

struct StandardClaims {
  std::string sub;
  std::string iss;
  std::string jti;
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

struct ClaimRules {
  std::string_view issuer;
  std::int64_t now = 0;
  std::int64_t leeway_seconds = 0;
  // When set, a token whose key has another algorithm is refused, so a v4 (RS256) token never
  // passes where a v3 (HS256) one is expected, and vice versa.
  std::optional<JwsAlgorithm> algorithm;
};

// Full verification of a token carrying sub, iss, jti, iat, exp (the v3 claims): verify_jws,
// then check_standard_claims. Every failure is kInvalidToken (RFC 6750 §3.1) with a short
// reason. Claim helpers for other claim sets: tokens/jwt_claims.h.
Result<StandardClaims> verify_jwt(std::string_view token, const KeyRing& keys,
                                  const ClaimRules& rules);
// The claims part alone, for a payload whose signature verify_jws has checked (rules.algorithm
// is not looked at here).
Result<StandardClaims> check_standard_claims(std::string_view payload_json,
                                             const ClaimRules& rules);

}  // namespace connect_auth::tokens
