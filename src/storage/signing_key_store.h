// Signing keys of the tokens we issue (HS256 for v3, RS256 for v4), sealed at rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace connect_auth::storage {

// Signing key material, encrypted at rest with a key derived from the master key.
// HS256: the raw 32-byte secret. RS256: the private key as PKCS#8 DER.
//
// Lifecycle (all times unix seconds): a key verifies (and RS256 keys are published in the JWKS)
// from insertion until retired_at; it may sign from activates_at on, which rotation sets a
// little in the future so every node publishes and verifies a key before any node signs with
// it. Among the keys of one algorithm that may sign, the one with the latest activates_at
// (then the greatest kid) signs. `active` false means it never signs again.
struct SigningKey {
  std::string kid;
  std::string algorithm;                      // "HS256" or "RS256"
  std::vector<std::uint8_t> sealed_material;  // nonce || ciphertext (libsodium secretbox)
  std::int64_t created_at = 0;
  bool active = true;
  std::optional<std::int64_t> retired_at;  // from then on it neither signs nor verifies
  std::int64_t activates_at = 0;
};

class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;

  // kSigningKey change.
  virtual Result<void> insert_signing_key(const SigningKey& key) = 0;
  // Ordered by created_at, then kid.
  virtual Result<std::vector<SigningKey>> list_signing_keys() = 0;
  // Rotation in one transaction: inserts `key` and, for every other key of the same algorithm
  // that is not retired by then, sets active = 0 and retired_at = min(retired_at,
  // retire_others_at_unix_s). A kSigningKey change per touched key (the new one first, then the
  // others in kid order).
  virtual Result<void> rotate_signing_key(const SigningKey& key,
                                          std::int64_t retire_others_at_unix_s) = 0;
  // A scheduled rotation, done by exactly one of several nodes that find it due at once: like
  // rotate_signing_key, unless a live signer of the algorithm (active, not retired at
  // key.created_at) was created after `unless_signer_since_unix_s` — another node rotated
  // first. Decided under a lock of the algorithm's keys (an advisory lock on PostgreSQL).
  // Returns whether this call rotated.
  virtual Result<bool> rotate_signing_key_if_due(const SigningKey& key,
                                                 std::int64_t retire_others_at_unix_s,
                                                 std::int64_t unless_signer_since_unix_s) = 0;
  // Deletes keys whose retired_at is before the given second (their tokens have all expired).
  // A kSigningKey change per deleted key, in kid order.
  virtual Result<void> delete_retired_signing_keys(std::int64_t retired_before_unix_s) = 0;
};

}  // namespace connect_auth::storage
