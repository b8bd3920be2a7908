#include "domain/refresh_token.h"

namespace connect_auth::domain {

std::string new_refresh_token(Random& random) {
  return random_base64url(random, kRefreshTokenBytes);
}

bool is_refresh_token_shape(std::string_view token) noexcept {
  if (token.size() != kRefreshTokenChars) return false;
  for (char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

tokens::TokenHash hash_refresh_token(const tokens::SecretHasher& hasher, std::string_view token) {
  return hasher.hash(token);
}

}  // namespace connect_auth::domain
