// API secrets are stored as HMAC-SHA256(pepper, secret). Secrets carry ≥ 256 random bits, so a
// slow password hash adds nothing but latency; the server-side pepper keeps a stolen database
// useless for offline checks.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "tokens/hmac_sha256.h"
#include "tokens/secret_hash.h"

namespace connect_auth::tokens {

class SecretHasher {
 public:
  explicit SecretHasher(std::span<const std::uint8_t, 32> pepper) : hmac_(pepper) {}

  SecretHash hash(std::string_view secret) const { return hmac_.mac(secret); }

  // Hash-then-compare in constant time (bad-inputs.md §F).
  bool matches(std::string_view secret, const SecretHash& expected) const {
    const SecretHash actual = hash(secret);
    return constant_time_equal(actual, expected);
  }

 private:
  HmacSha256 hmac_;
};

}  // namespace connect_auth::tokens
