// A master key with every byte set to `fill`: tests need a stable, distinct key, not a secret
// one (different fills stand for different installations).
#pragma once

#include <array>
#include <cstdint>

#include "tokens/master_key.h"

namespace connect_auth::testing {

inline tokens::MasterKey fixed_master_key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> bytes{};
  bytes.fill(fill);
  return tokens::MasterKey::from_bytes(bytes);
}

}  // namespace connect_auth::testing
