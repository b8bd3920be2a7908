// Helpers shared by the tokens tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokens/hmac_sha256.h"

namespace connect_auth::tokens::test_util {

inline std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// HMAC-SHA256 through OpenSSL's one-shot API: an oracle that shares nothing with HmacSha256's
// cached per-thread contexts.
inline Sha256Digest oracle_hmac(std::span<const std::uint8_t> key, std::string_view data) {
  Sha256Digest out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

}  // namespace connect_auth::tokens::test_util
