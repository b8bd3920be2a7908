#include "tokens/master_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/base64.h"

namespace connect_auth::tokens {
namespace {

// libsodium KDF context: exactly 8 bytes, fixed forever (changing it changes every derived key).
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "conauth1";
constexpr std::uint64_t kPepperSubkey = 1;
constexpr std::uint64_t kSealingSubkey = 2;

Error key_error(const std::string& what) {
  return make_error(ErrorCode::kInternal, "master key: " + what);
}

Result<void> write_new_key(const std::filesystem::path& path,
                           const std::array<std::uint8_t, MasterKey::kSize>& key) {
  const std::filesystem::path directory = path.parent_path();
  if (!directory.empty()) {  // a bare file name lives in the working directory
    std::error_code ec;
    // Only a directory created here is tightened; an existing one (/etc, a home) keeps its mode.
    const bool created = std::filesystem::create_directories(directory, ec);
    if (ec) return key_error("cannot create " + directory.string() + ": " + ec.message());
    if (created) ::chmod(directory.c_str(), 0700);
  }
  std::string text =
      encode_base64(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
  text.push_back('\n');
  // O_EXCL: two processes starting at once never overwrite each other's key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Ok{};
    return key_error("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(text.data(), text.size());
  if (!written || !synced) return key_error("cannot write " + path.string());
  return Ok{};
}

}  // namespace

MasterKey MasterKey::from_bytes(std::span<const std::uint8_t, kSize> bytes) {
  MasterKey key;
  std::memcpy(key.key_.data(), bytes.data(), kSize);
  return key;
}

MasterKey::MasterKey(MasterKey&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}

MasterKey::~MasterKey() { sodium_memzero(key_.data(), key_.size()); }

Result<MasterKey> MasterKey::load(const std::filesystem::path& path, bool create) {
  if (create && !std::filesystem::exists(path)) {
    std::array<std::uint8_t, kSize> fresh{};
    randombytes_buf(fresh.data(), fresh.size());
    auto written = write_new_key(path, fresh);
    sodium_memzero(fresh.data(), fresh.size());
    if (!written) return std::move(written).error();
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return key_error("cannot read " + path.string() + ": " + std::strerror(errno) +
                     " (set secrets.master_key_file or run `connect-auth serve` once)");
  }
  if ((info.st_mode & 077) != 0) {
    return key_error(path.string() + " is readable by group or others; chmod 600 it");
  }
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  auto decoded = decode_base64(text);
  sodium_memzero(text.data(), text.size());
  if (!decoded || decoded->size() != kSize) {
    return key_error(path.string() + " does not hold 32 base64-encoded bytes");
  }
  MasterKey key;
  std::memcpy(key.key_.data(), decoded->data(), kSize);
  sodium_memzero(decoded->data(), decoded->size());
  return key;
}

std::array<std::uint8_t, 32> MasterKey::derive(std::uint64_t subkey_id) const {
  std::array<std::uint8_t, 32> out{};
  crypto_kdf_derive_from_key(out.data(), out.size(), subkey_id, kKdfContext, key_.data());
  return out;
}

std::array<std::uint8_t, 32> MasterKey::pepper() const { return derive(kPepperSubkey); }

std::vector<std::uint8_t> MasterKey::seal(std::span<const std::uint8_t> plaintext) const {
  auto sealing_key = derive(kSealingSubkey);
  std::vector<std::uint8_t> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                plaintext.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES, plaintext.data(),
                        plaintext.size(), out.data(), sealing_key.data());
  sodium_memzero(sealing_key.data(), sealing_key.size());
  return out;
}

Result<std::vector<std::uint8_t>> MasterKey::open(std::span<const std::uint8_t> sealed) const {
  constexpr std::size_t kOverhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead) return key_error("sealed key material is truncated");
  auto sealing_key = derive(kSealingSubkey);
  std::vector<std::uint8_t> out(sealed.size() - kOverhead);
  int rc = crypto_secretbox_open_easy(out.data(), sealed.data() + crypto_secretbox_NONCEBYTES,
                                      sealed.size() - crypto_secretbox_NONCEBYTES, sealed.data(),
                                      sealing_key.data());
  sodium_memzero(sealing_key.data(), sealing_key.size());
  if (rc != 0) {
    return key_error(
        "a stored signing key cannot be opened with this master key "
        "(wrong master key file?)");
  }
  return out;
}

}  // namespace connect_auth::tokens
