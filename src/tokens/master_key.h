// The master key: 256 random bits given to the server out of band (a file readable only by its
// owner). Everything else secret is derived from it or sealed with it:
//   - the pepper that keys API-secret hashes,
//   - the key that seals signing keys stored in the database (XSalsa20-Poly1305, libsodium
//     secretbox), so a database dump alone reveals no signing key.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace connect_auth::tokens {

class MasterKey {
 public:
  static constexpr std::size_t kSize = 32;

  // Reads the key (base64 text) from `path`. When the file is missing and `create` is set, a new
  // key is generated and written with mode 0600 (its directory 0700). A file readable by group or
  // others is refused, as is one that does not hold exactly 32 bytes.
  static Result<MasterKey> load(const std::filesystem::path& path, bool create);
  static MasterKey from_bytes(std::span<const std::uint8_t, kSize> bytes);

  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  MasterKey(MasterKey&& other) noexcept;
  MasterKey& operator=(MasterKey&&) = delete;
  ~MasterKey();

  // Key that peppers API-secret hashes.
  std::array<std::uint8_t, 32> pepper() const;

  // Seal/open signing-key material for storage: nonce || ciphertext+tag.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plaintext) const;
  Result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> sealed) const;

 private:
  MasterKey() = default;
  std::array<std::uint8_t, 32> derive(std::uint64_t subkey_id) const;
  std::array<std::uint8_t, kSize> key_{};
};

}  // namespace connect_auth::tokens
