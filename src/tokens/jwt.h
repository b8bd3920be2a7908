// JSON Web Tokens (RFC 7519) signed with JWS compact serialisation (RFC 7515), our own small
// module on OpenSSL EVP: keys are loaded once and reused per thread, and verification is fail-
// closed in a fixed order: size → structure → header → key by kid → algorithm of that key →
// signature → claims (types, time window with leeway, issuer).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "tokens/hmac_sha256.h"

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

class Hs256Key {
 public:
  // Refuses a secret shorter than kMinHs256KeyBytes and a kid that is not 1–64 URL-safe chars.
  static Result<std::shared_ptr<const Hs256Key>> create(std::string kid,
                                                        std::span<const std::uint8_t> secret);

  const std::string& kid() const { return kid_; }
  // Returns header.payload.signature for the given claims JSON.
  std::string sign(std::string_view payload_json) const;
  bool verify(std::string_view signing_input, std::string_view signature) const;

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
  std::string encoded_header_;  // base64url({"alg":"HS256","typ":"JWT","kid":…}), built once
};

// The keys a node verifies with, one of which signs. Immutable once built; replaced whole.
class KeyRing {
 public:
  void add(std::shared_ptr<const Hs256Key> key, bool signs);
  const Hs256Key* signing_key() const { return signing_.get(); }
  const Hs256Key* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, std::shared_ptr<const Hs256Key>, std::less<>> keys_;
  std::shared_ptr<const Hs256Key> signing_;
};

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
};

// Full verification; every failure is kInvalidToken (RFC 6750 §3.1) with a short reason.
Result<StandardClaims> verify_jwt(std::string_view token, const KeyRing& keys,
                                  const ClaimRules& rules);

}  // namespace connect_auth::tokens
