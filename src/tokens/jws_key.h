// A JWS signing/verification key (RFC 7515) whatever its algorithm: HS256 for v3 tokens, RS256
// for v4 tokens (wire-contract §1). The key, never the token, decides the algorithm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace connect_auth::tokens {

enum class JwsAlgorithm : std::uint8_t { kHs256, kRs256 };
inline constexpr std::size_t kJwsAlgorithmCount = 2;

// "HS256" / "RS256" (RFC 7518 §3.1).
std::string_view algorithm_name(JwsAlgorithm algorithm);
// Exact, case-sensitive match only: "hs256", "HS256 " or "none" name no algorithm.
std::optional<JwsAlgorithm> parse_algorithm(std::string_view name);

// Key ids we create or accept: 1-64 characters of [A-Za-z0-9_-], so a kid is safe in JSON, logs
// and URLs as it is (an RFC 7638 thumbprint is 43 of them).
bool is_valid_kid(std::string_view kid);

// Immutable once built; every method may be called from many threads at once.
class JwsKey {
 public:
  virtual ~JwsKey() = default;
  virtual const std::string& kid() const = 0;
  virtual JwsAlgorithm algorithm() const = 0;
  // header.payload.signature (compact serialisation) for the given claims JSON.
  virtual std::string sign(std::string_view payload_json) const = 0;
  // Whether `signature` (raw bytes) is valid for `signing_input` ("header.payload").
  virtual bool verify(std::string_view signing_input, std::string_view signature) const = 0;
  // The public JWK (RFC 7517) published in the JWKS; empty for keys that are never published
  // (symmetric ones).
  virtual std::string public_jwk_json() const { return {}; }
};

}  // namespace connect_auth::tokens
