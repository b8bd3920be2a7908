// Base64 codecs on libsodium (constant-time, no table lookups on secret data).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace connect_auth {

// Standard alphabet (RFC 4648 §4), padding optional. Whitespace, other alphabets, misplaced or
// excess '=' are rejected. Returns the decoded bytes, or nullopt.
std::optional<std::string> decode_base64(std::string_view text);

std::string encode_base64(std::string_view bytes);

// URL-safe alphabet without padding (RFC 4648 §5; RFC 7515 §2 for JWS segments).
void append_base64url(std::string& out, std::span<const std::uint8_t> bytes);
inline void append_base64url(std::string& out, std::string_view bytes) {
  append_base64url(out,
                   std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}
std::string encode_base64url(std::span<const std::uint8_t> bytes);
// Strict: URL-safe alphabet, no padding, no whitespace.
std::optional<std::string> decode_base64url(std::string_view text);

}  // namespace connect_auth
