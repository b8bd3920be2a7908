#include "domain/signing_keys.h"

#include <sodium.h>

#include <array>
#include <string_view>
#include <vector>

#include "tokens/rs256_key.h"

namespace connect_auth::domain {
namespace {

// A new key record of `algorithm`, its material sealed; activates_at is left to the caller.
Result<storage::SigningKey> new_signing_key(const tokens::MasterKey& master_key, Random& random,
                                            std::int64_t now, tokens::JwsAlgorithm algorithm) {
  storage::SigningKey key;
  key.algorithm = std::string(tokens::algorithm_name(algorithm));
  key.created_at = now;
  key.active = true;
  switch (algorithm) {
    case tokens::JwsAlgorithm::kHs256: {
      std::array<std::uint8_t, 32> secret{};  // RFC 7518 §3.2: at least the hash size
      random.fill(secret);
      key.kid = "hs-" + random_base64url(random, 12);
      key.sealed_material = master_key.seal(secret);
      sodium_memzero(secret.data(), secret.size());
      return key;
    }
    case tokens::JwsAlgorithm::kRs256: {
      auto generated = tokens::Rs256Key::generate();
      if (!generated) return std::move(generated).error();
      std::vector<std::uint8_t> der = (*generated)->pkcs8_der();
      key.kid = (*generated)->kid();  // its RFC 7638 thumbprint
      key.sealed_material = master_key.seal(der);
      sodium_memzero(der.data(), der.size());
      return key;
    }
  }
  return make_error(ErrorCode::kInternal, "unknown signing algorithm");
}

}  // namespace

Result<void> ensure_signing_key(storage::Store& store, const tokens::MasterKey& master_key,
                                Random& random, const Clock& clock,
                                tokens::JwsAlgorithm algorithm) {
  auto existing = store.list_signing_keys();
  if (!existing) return std::move(existing).error();
  const std::int64_t now = clock.now_seconds();
  const std::string_view name = tokens::algorithm_name(algorithm);
  for (const auto& key : *existing) {
    if (key.algorithm == name && key.active && (!key.retired_at || *key.retired_at > now)) {
      return Ok{};
    }
  }
  auto key = new_signing_key(master_key, random, now, algorithm);
  if (!key) return std::move(key).error();
  key->activates_at = now;
  return store.insert_signing_key(*key);
}

Result<void> ensure_signing_keys(storage::Store& store, const tokens::MasterKey& master_key,
                                 Random& random, const Clock& clock) {
  for (auto algorithm : {tokens::JwsAlgorithm::kHs256, tokens::JwsAlgorithm::kRs256}) {
    if (auto ensured = ensure_signing_key(store, master_key, random, clock, algorithm); !ensured) {
      return ensured;
    }
  }
  return Ok{};
}

Result<RotatedKey> rotate_signing_key(storage::Store& store, const tokens::MasterKey& master_key,
                                      Random& random, const Clock& clock,
                                      tokens::JwsAlgorithm algorithm, const RotationTimes& times) {
  if (times.publish_delay_seconds < 0 || times.retire_after_seconds < 0) {
    return make_error(ErrorCode::kInvalidRequest, "rotation times must not be negative");
  }
  const std::int64_t now = clock.now_seconds();
  auto key = new_signing_key(master_key, random, now, algorithm);
  if (!key) return std::move(key).error();
  RotatedKey rotated;
  rotated.kid = key->kid;
  rotated.activates_at = now + times.publish_delay_seconds;
  rotated.retire_others_at = rotated.activates_at + times.retire_after_seconds;
  key->activates_at = rotated.activates_at;
  if (times.unless_signer_since) {
    auto done =
        store.rotate_signing_key_if_due(*key, rotated.retire_others_at, *times.unless_signer_since);
    if (!done) return std::move(done).error();
    if (!*done) {
      return make_error(ErrorCode::kStorageConflict, "another node rotated this key already");
    }
    return rotated;
  }
  if (auto stored = store.rotate_signing_key(*key, rotated.retire_others_at); !stored) {
    return std::move(stored).error();
  }
  return rotated;
}

}  // namespace connect_auth::domain
