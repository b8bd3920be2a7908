// User passwords: argon2id through libsodium, in the PHC string format
// ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>"), so each stored hash carries its own
// parameters and old hashes keep verifying after the parameters are raised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace connect_auth::domain {

// Defaults: the OWASP Password Storage Cheat Sheet minimum for argon2id, m = 19 MiB, t = 2,
// p = 1 (libsodium always uses one lane). Raising either costs every password request that
// much more CPU (t) or memory bandwidth (m).
struct Argon2Params {
  std::uint64_t memory_bytes = 19ull << 20;
  std::uint64_t iterations = 2;
};

// The floor create() enforces: the OWASP minimum above.
constexpr std::uint64_t kMinArgon2MemoryBytes = 19ull << 20;
constexpr std::uint64_t kMinArgon2Iterations = 2;

// Immutable after construction and safe to share between threads.
class PasswordHasher {
 public:
  // Refuses parameters below the OWASP minimum (memory < 19 MiB or iterations < 2) or beyond
  // libsodium's limits with kInvalidRequest; kInternal if the dummy hash cannot be computed.
  static Result<PasswordHasher> create(Argon2Params params);

  // For parameters known to be valid (e.g. the defaults): aborts the process on weak ones, which
  // is a programming error. Prefer create() for configured values.
  explicit PasswordHasher(Argon2Params params);

  // A fresh random salt per call. kInternal if libsodium fails (out of memory).
  Result<std::string> hash(std::string_view password) const;

  // Constant-time comparison inside libsodium. False for a wrong password and for a malformed or
  // over-long encoded hash (never an error: the caller answers invalid_grant either way).
  bool verify(std::string_view encoded_hash, std::string_view password) const;

  // Costs the same as verify() against a hash made with these params; for unknown user names,
  // so response time does not reveal which names exist (bad-inputs §F). Always "fails".
  void verify_dummy(std::string_view password) const;

  // True when the hash was not made by argon2id with exactly these params (or is malformed):
  // rehash it with the password the user just proved.
  bool needs_rehash(std::string_view encoded_hash) const;

  const Argon2Params& params() const { return params_; }

 private:
  struct Validated {};
  PasswordHasher(Argon2Params params, Validated);
  Result<void> init_dummy();

  Argon2Params params_;
  std::string dummy_hash_;  // of a random password nobody knows; computed once
};

}  // namespace connect_auth::domain
