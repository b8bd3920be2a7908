// The fixed-size digests that stand in for secrets wherever they are kept: a store, a cache, a
// comparison. Only these are stored, never the secret or token itself.
#pragma once

#include <array>
#include <cstdint>

namespace connect_auth::tokens {

// HMAC-SHA256(pepper, API secret): see secret_hasher.h.
using SecretHash = std::array<std::uint8_t, 32>;

// Keyed SHA-256 of a refresh token (domain/refresh_token.h).
using TokenHash = std::array<std::uint8_t, 32>;

}  // namespace connect_auth::tokens
