// RSA keys for v4 tests, generated once per test binary (RSA generation takes tens of ms).
#pragma once

#include <memory>
#include <string>

#include "tokens/rs256_key.h"

namespace connect_auth::domain::test {

// The same RSA key every call.
inline std::shared_ptr<const tokens::Rs256Key> rsa_key() {
  static const auto key = tokens::Rs256Key::generate().value();
  return key;
}

// A second, unrelated RSA key, optionally under another kid (e.g. the first key's).
inline std::shared_ptr<const tokens::Rs256Key> other_rsa_key(const std::string& kid = {}) {
  static const auto key = tokens::Rs256Key::generate().value();
  if (kid.empty()) return key;
  auto der = key->pkcs8_der();
  return tokens::Rs256Key::from_pkcs8_der(kid, der).value();
}

}  // namespace connect_auth::domain::test
