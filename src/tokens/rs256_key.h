// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) keys for v4 access tokens, on OpenSSL 3
// EVP. The key is parsed once; signing and verification contexts are pooled inside the key, so a
// call allocates nothing in the common case, threads never share a context, and nothing derived
// from the private key outlives the key object.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tokens/jws_key.h"

namespace connect_auth::tokens {

// Keys shorter than this are refused (RFC 7518 §3.3 requires ≥ 2048 bits); longer than the
// maximum buys nothing for tokens that live an hour and makes every verification slower.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 4096;

class Rs256Key final : public JwsKey {
 public:
  // A fresh RSA-2048 key, e = 65537, from OpenSSL's CSPRNG; its kid is its thumbprint.
  static Result<std::shared_ptr<const Rs256Key>> generate();
  // A stored private key (PKCS#8 PrivateKeyInfo, DER). Refuses anything but an RSA key of
  // kMinRsaBits..kMaxRsaBits whose parts are consistent, trailing bytes, and a kid that is not
  // 1-64 URL-safe characters. kInternal on refusal (stored keys are ours).
  static Result<std::shared_ptr<const Rs256Key>> from_pkcs8_der(std::string kid,
                                                                std::span<const std::uint8_t> der);

  // RFC 7638 JWK SHA-256 thumbprint of an RSA public key given as its base64url "n" and "e":
  // base64url(SHA-256({"e":…,"kty":"RSA","n":…})), 43 characters.
  static std::string thumbprint(std::string_view n_base64url, std::string_view e_base64url);

  ~Rs256Key() override;
  Rs256Key(const Rs256Key&) = delete;
  Rs256Key& operator=(const Rs256Key&) = delete;

  const std::string& kid() const override { return kid_; }
  JwsAlgorithm algorithm() const override { return JwsAlgorithm::kRs256; }
  // Header exactly {"kid":…,"alg":"RS256"} (the member order of the seed's v4 token).
  std::string sign(std::string_view payload_json) const override;
  // The signature must be exactly as long as the modulus (RFC 8017 §8.2.2 step 1).
  bool verify(std::string_view signing_input, std::string_view signature) const override;
  // {"kty":"RSA","alg":"RS256","use":"sig","kid":…,"n":…,"e":…}, n and e big-endian without
  // leading zero bytes, base64url (RFC 7518 §6.3.1).
  std::string public_jwk_json() const override { return public_jwk_; }

  // The thumbprint of this key's public part (equal to kid() for generated keys).
  const std::string& thumbprint() const { return thumbprint_; }
  int bits() const;
  // The private key as PKCS#8 DER, for sealing at rest. The caller wipes it after use.
  std::vector<std::uint8_t> pkcs8_der() const;

  struct State;  // OpenSSL objects, defined in the .cpp
  // Only the factories can make the key that unlocks this constructor, so their checks cannot
  // be skipped; make_shared still works.
  class ConstructionKey {
    friend class Rs256Key;
    ConstructionKey() = default;
  };
  Rs256Key(ConstructionKey, std::string kid, std::unique_ptr<State> state);

 private:
  // Checks the algorithm and size of a parsed key and wraps it; an empty kid means "the
  // thumbprint".
  static Result<std::shared_ptr<const Rs256Key>> checked(std::string kid,
                                                         std::unique_ptr<State> state);

  std::string kid_;
  std::unique_ptr<State> state_;
  std::string encoded_header_;  // base64url of the header, built once
  std::string public_jwk_;
  std::string thumbprint_;
};

}  // namespace connect_auth::tokens
