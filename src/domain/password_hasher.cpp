#include "domain/password_hasher.h"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace connect_auth::domain {
namespace {

Result<void> validate(const Argon2Params& params) {
  // Idempotent and thread-safe. Needed here, not only for randomness: it also selects libsodium's
  // SIMD argon2 implementation, without which every hash runs the slower reference code.
  if (sodium_init() < 0) return make_error(ErrorCode::kInternal, "libsodium failed to start");
  if (params.memory_bytes < kMinArgon2MemoryBytes || params.iterations < kMinArgon2Iterations) {
    return make_error(ErrorCode::kInvalidRequest,
                      "argon2id parameters are below the OWASP minimum (19 MiB, 2 iterations)");
  }
  if (params.memory_bytes > crypto_pwhash_MEMLIMIT_MAX ||
      params.memory_bytes > std::numeric_limits<std::size_t>::max() ||
      params.iterations > crypto_pwhash_OPSLIMIT_MAX) {
    return make_error(ErrorCode::kInvalidRequest, "argon2id parameters exceed libsodium's limits");
  }
  return Ok{};
}

// crypto_pwhash_str_* read a NUL-terminated string of at most crypto_pwhash_STRBYTES - 1 bytes.
// Copied into a fixed buffer rather than a std::string: a stored hash is not secret, but an
// over-long one is refused before libsodium parses it.
using EncodedHash = std::array<char, crypto_pwhash_STRBYTES>;
bool to_c_string(std::string_view encoded_hash, EncodedHash& out) {
  if (encoded_hash.empty() || encoded_hash.size() >= out.size()) return false;
  if (encoded_hash.find('\0') != std::string_view::npos) return false;
  std::memcpy(out.data(), encoded_hash.data(), encoded_hash.size());
  out[encoded_hash.size()] = '\0';
  return true;
}

}  // namespace

Result<PasswordHasher> PasswordHasher::create(Argon2Params params) {
  auto valid = validate(params);
  if (!valid) return std::move(valid).error();
  PasswordHasher hasher(params, Validated{});
  auto dummy = hasher.init_dummy();
  if (!dummy) return std::move(dummy).error();
  return hasher;
}

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  auto valid = validate(params);
  if (valid) valid = init_dummy();
  if (!valid) {
    std::fprintf(stderr, "PasswordHasher: %s\n", valid.error().description.c_str());
    std::abort();
  }
}

PasswordHasher::PasswordHasher(Argon2Params params, Validated) : params_(params) {}

Result<void> PasswordHasher::init_dummy() {
  // A random password nobody knows, hashed like a real one: verifying against it runs argon2id
  // with exactly these parameters and never succeeds.
  std::array<unsigned char, 32> password{};
  randombytes_buf(password.data(), password.size());
  auto dummy =
      hash(std::string_view(reinterpret_cast<const char*>(password.data()), password.size()));
  sodium_memzero(password.data(), password.size());
  if (!dummy) return std::move(dummy).error();
  dummy_hash_ = std::move(*dummy);
  return Ok{};
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  EncodedHash out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), params_.iterations,
                            static_cast<std::size_t>(params_.memory_bytes),
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(ErrorCode::kInternal, "out of memory while hashing a password");
  }
  return std::string(out.data());
}

bool PasswordHasher::verify(std::string_view encoded_hash, std::string_view password) const {
  EncodedHash hash{};
  if (!to_c_string(encoded_hash, hash)) return false;
  return crypto_pwhash_str_verify(hash.data(), password.data(), password.size()) == 0;
}

void PasswordHasher::verify_dummy(std::string_view password) const {
  EncodedHash hash{};
  [[maybe_unused]] const bool copied = to_c_string(dummy_hash_, hash);
  // The result is meaningless (nobody knows the dummy's password); only the time spent matters.
  [[maybe_unused]] const int result =
      crypto_pwhash_str_verify(hash.data(), password.data(), password.size());
}

bool PasswordHasher::needs_rehash(std::string_view encoded_hash) const {
  EncodedHash hash{};
  if (!to_c_string(encoded_hash, hash)) return true;
  // 0: argon2id with these parameters; 1: other parameters; -1: not an argon2id hash at all.
  return crypto_pwhash_str_needs_rehash(hash.data(), params_.iterations,
                                        static_cast<std::size_t>(params_.memory_bytes)) != 0;
}

}  // namespace connect_auth::domain
