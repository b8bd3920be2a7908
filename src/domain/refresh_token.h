// Opaque v4 refresh tokens (wire-contract §3): 256 random bits as unpadded base64url (43
// characters). Only a keyed hash is stored: HMAC-SHA256 under the master key's pepper, the same
// SecretHasher as API secrets, so a stolen database holds nothing that can be presented. Lookup is
// by hash equality in the store; the token never reaches a query, a log or a comparison in clear.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/random.h"
#include "storage/store.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain {

constexpr std::size_t kRefreshTokenBytes = 32;
constexpr std::size_t kRefreshTokenChars = 43;  // base64url of 32 bytes, no padding

std::string new_refresh_token(Random& random);

// Whether `token` has the shape of a token we issue. Anything else cannot be ours, so it is
// refused without a store round trip (and no oversized input is ever hashed).
bool is_refresh_token_shape(std::string_view token) noexcept;

tokens::TokenHash hash_refresh_token(const tokens::SecretHasher& hasher, std::string_view token);

}  // namespace connect_auth::domain
