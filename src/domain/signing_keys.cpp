#include "domain/signing_keys.h"

#include <sodium.h>

#include <array>

namespace connect_auth::domain {

Result<void> ensure_hs256_signing_key(storage::Store& store, const tokens::MasterKey& master_key,
                                      Random& random, const Clock& clock) {
  auto existing = store.list_signing_keys();
  if (!existing) return std::move(existing).error();
  for (const auto& key : *existing) {
    if (key.algorithm == "HS256" && key.active && !key.retired_at) return Ok{};
  }
  std::array<std::uint8_t, 32> secret{};
  random.fill(secret);
  storage::SigningKey key;
  key.kid = "hs-" + random_base64url(random, 12);
  key.algorithm = "HS256";
  key.sealed_material = master_key.seal(secret);
  key.created_at = clock.now_seconds();
  key.active = true;
  sodium_memzero(secret.data(), secret.size());
  return store.insert_signing_key(key);
}

}  // namespace connect_auth::domain
