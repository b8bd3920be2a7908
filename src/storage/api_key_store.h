// API keys: the v3 client credentials (wire-contract §2), owned by a user, granting accounts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tokens/secret_hash.h"

namespace connect_auth::storage {

struct ApiKey {
  std::string api_id;  // 25 chars [A-Z0-9]
  std::int64_t user_id = 0;
  tokens::SecretHash secret_hash{};
  // Incremented by every regeneration. Tokens carry it (in their jti) so a regenerated key's
  // old tokens are refused at once, not at expiry.
  std::int64_t generation = 1;
  std::vector<std::string> account_guids;  // sorted, no duplicates
  std::int64_t created_at = 0;             // unix seconds
  std::int64_t updated_at = 0;             // unix seconds
  // May call the token introspection endpoint (RFC 7662). Off unless granted.
  bool may_introspect = false;
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

  // Inserts the key and its account grants in one transaction. Duplicate guids are collapsed
  // (mutations::normalised_guids). kApiKey change.
  virtual Result<void> create_api_key(const ApiKey& key) = 0;
  virtual Result<ApiKey> find_api_key(std::string_view api_id) = 0;
  // All keys, or those of one user, ordered by api_id.
  virtual Result<std::vector<ApiKey>> list_api_keys(std::optional<std::int64_t> user_id) = 0;
  // Replaces the secret hash and increments the generation in one statement; returns the new
  // generation. kApiKey change.
  virtual Result<std::int64_t> regenerate_api_key(std::string_view api_id,
                                                  const tokens::SecretHash& new_hash,
                                                  std::int64_t now_unix_s) = 0;
  // The key's account grants go with it. kApiKey change.
  virtual Result<void> delete_api_key(std::string_view api_id) = 0;
  // Grants or withdraws the introspection permission. kApiKey change.
  virtual Result<void> set_api_key_introspection(std::string_view api_id, bool allowed) = 0;
};

}  // namespace connect_auth::storage
