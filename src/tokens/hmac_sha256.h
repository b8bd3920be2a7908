// HMAC-SHA256 (RFC 2104) on OpenSSL 3 EVP_MAC with the key loaded once. Each thread keeps its own
// initialised EVP_MAC_CTX per key, so a MAC costs no allocation, no key schedule and no lock.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace connect_auth::tokens {

using Sha256Digest = std::array<std::uint8_t, 32>;

class HmacSha256 {
 public:
  explicit HmacSha256(std::span<const std::uint8_t> key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // MAC over the concatenation of `parts`.
  Sha256Digest mac(std::initializer_list<std::string_view> parts) const;
  Sha256Digest mac(std::string_view data) const { return mac({data}); }

 private:
  std::vector<std::uint8_t> key_;
  std::uint64_t id_;  // never reused, so stale per-thread contexts can never match a new key
};

// Constant-time equality of two byte strings (sizes compared first; sizes are not secret).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace connect_auth::tokens
