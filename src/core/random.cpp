#include "core/random.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "core/base64.h"

namespace connect_auth {
namespace {

struct ThreadPool {
  std::array<std::uint8_t, 4096> bytes;
  std::size_t used = bytes.size();
  ~ThreadPool() { sodium_memzero(bytes.data(), bytes.size()); }
};

thread_local ThreadPool tls_pool;

}  // namespace

void SecureRandom::fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;  // memcpy from/to a null span's data() is undefined behaviour
  ThreadPool& pool = tls_pool;
  if (out.size() > pool.bytes.size() / 4) {
    randombytes_buf(out.data(), out.size());
    return;
  }
  if (pool.bytes.size() - pool.used < out.size()) {
    randombytes_buf(pool.bytes.data(), pool.bytes.size());
    pool.used = 0;
  }
  std::memcpy(out.data(), pool.bytes.data() + pool.used, out.size());
  // Bytes handed out are wiped from the pool so a later memory disclosure cannot recover them.
  sodium_memzero(pool.bytes.data() + pool.used, out.size());
  pool.used += out.size();
}

std::string random_base64url(Random& random, std::size_t bytes) {
  std::array<std::uint8_t, 128> buffer{};
  std::string out;
  while (bytes > 0) {
    std::size_t n = bytes < buffer.size() ? bytes : buffer.size();
    // Whole groups of 3 bytes keep the base64url text of each chunk contiguous.
    if (n < bytes) n -= n % 3;
    random.fill(std::span(buffer.data(), n));
    append_base64url(out, std::span<const std::uint8_t>(buffer.data(), n));
    bytes -= n;
  }
  sodium_memzero(buffer.data(), buffer.size());
  return out;
}

}  // namespace connect_auth

namespace connect_auth {
namespace {
// libsodium must be initialised once before use; doing it at static-initialisation time of the
// object that every random draw links in means no caller can forget it.
[[maybe_unused]] const bool kSodiumReady = sodium_init() >= 0;
}  // namespace
}  // namespace connect_auth
