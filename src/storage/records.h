// Plain records exchanged with the store. No behaviour, no SQL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace connect_auth::storage {

using SecretHash = std::array<std::uint8_t, 32>;  // keyed SHA-256 of an API secret

struct Account {
  std::string guid;  // UUID, lowercase, 36 chars
  std::string company_name;
  std::string country_code;  // ISO 3166-1 alpha-2, upper case
  bool active = true;
};

enum class Role : std::uint8_t { kAdministrator, kManager, kReporting };

struct User {
  std::int64_t id = 0;
  std::string user_name;
  std::string password_hash;  // argon2id encoded string (libsodium crypto_pwhash_str)
  bool disabled = false;
};

struct RoleGrant {
  std::int64_t user_id = 0;
  std::string account_guid;
  Role role = Role::kReporting;
};

struct ApiKey {
  std::string api_id;  // 25 chars [A-Z0-9]
  std::int64_t user_id = 0;
  SecretHash secret_hash{};
  // Incremented by every regeneration. Tokens carry it (in their jti) so a regenerated key's
  // old tokens are refused at once, not at expiry.
  std::int64_t generation = 1;
  std::vector<std::string> account_guids;  // sorted
  std::int64_t created_at = 0;             // unix seconds
  std::int64_t updated_at = 0;
};

// Signing key material, encrypted at rest with a key derived from the master key.
struct SigningKey {
  std::string kid;
  std::string algorithm;                      // "HS256" (later "RS256")
  std::vector<std::uint8_t> sealed_material;  // nonce || ciphertext (libsodium secretbox)
  std::int64_t created_at = 0;
  bool active = true;  // the one that signs; inactive ones still verify until retired
  std::optional<std::int64_t> retired_at;
};

// One entry of the change feed: something that caches must refresh. `kind` names the table,
// `ref` the row (api_id, account guid or user id as text).
enum class ChangeKind : std::uint8_t { kApiKey, kAccount, kUser, kSigningKey };
struct Change {
  std::int64_t seq = 0;
  ChangeKind kind = ChangeKind::kApiKey;
  std::string ref;
};

// Everything the in-memory auth cache needs, read in one consistent snapshot.
struct AuthSnapshot {
  std::int64_t change_seq = 0;  // the feed position this snapshot includes
  std::vector<Account> accounts;
  std::vector<User> users;  // password_hash left empty: the cache never needs it
  std::vector<RoleGrant> grants;
  std::vector<ApiKey> api_keys;
};

}  // namespace connect_auth::storage
