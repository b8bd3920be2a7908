// Provisioning and rotation of token signing keys (HS256 for v3, RS256 for v4). Key material is
// sealed with the master key before it reaches the store and wiped from memory after.
//
// Lifecycle (storage/signing_key_store.h): a key verifies from insertion until retired_at and may
// sign from activates_at on. Rotation publishes the new key first and lets it sign only after
// publish_delay, so every node (each polls the store) verifies it before any node signs with it;
// the previous keys keep signing until then and keep verifying until their last token expired.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "storage/store.h"
#include "tokens/jws_key.h"
#include "tokens/master_key.h"

namespace connect_auth::domain {

// Makes sure the store holds a usable key of `algorithm` (active and not retired, signing now or
// scheduled to); otherwise inserts a new one that signs at once (activates_at = now): nothing
// signs yet, so there is nobody to wait for.
Result<void> ensure_signing_key(storage::Store& store, const tokens::MasterKey& master_key,
                                Random& random, const Clock& clock, tokens::JwsAlgorithm algorithm);
// Both algorithms (start-up of a node; RSA generation takes tens of milliseconds, once).
Result<void> ensure_signing_keys(storage::Store& store, const tokens::MasterKey& master_key,
                                 Random& random, const Clock& clock);
// Kept so callers that only need v3 compile unchanged; same as ensure_signing_key(kHs256).
inline Result<void> ensure_hs256_signing_key(storage::Store& store,
                                             const tokens::MasterKey& master_key, Random& random,
                                             const Clock& clock) {
  return ensure_signing_key(store, master_key, random, clock, tokens::JwsAlgorithm::kHs256);
}

struct RotationTimes {
  // From insertion until the new key signs: longer than the slowest node takes to see it
  // (cache poll interval, plus margin).
  std::int64_t publish_delay_seconds = 0;
  // How long the previous keys verify after the new key starts signing: the longest token
  // lifetime plus clock leeway, so every token they signed expires first.
  std::int64_t retire_after_seconds = 0;
  // A scheduled rotation: skipped (kStorageConflict) when a live signer of the algorithm was
  // created after this second, i.e. another node rotated first (store: exactly one of
  // several nodes rotates).
  std::optional<std::int64_t> unless_signer_since;
};

struct RotatedKey {
  std::string kid;
  std::int64_t activates_at = 0;      // the new key signs from then
  std::int64_t retire_others_at = 0;  // the previous keys of the algorithm stop verifying then
};

// Generates a key of `algorithm` that signs from now + publish_delay and retires every other
// key of that algorithm at now + publish_delay + retire_after (store.rotate_signing_key, one
// transaction). Negative times are kInvalidRequest.
Result<RotatedKey> rotate_signing_key(storage::Store& store, const tokens::MasterKey& master_key,
                                      Random& random, const Clock& clock,
                                      tokens::JwsAlgorithm algorithm, const RotationTimes& times);

}  // namespace connect_auth::domain
