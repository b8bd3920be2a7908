// Management use-cases (accounts, users, roles, API keys), shared by the CLI and, later, the
// user-management console. Validates input, generates ids and secrets, writes through the store.
// Secrets are returned once and only their keyed hash is stored.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "domain/password_hasher.h"
#include "storage/store.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain {

constexpr std::size_t kMaxUserNameBytes = 254;   // an e-mail address at most (RFC 5321 §4.5.3)
constexpr std::size_t kMinPasswordBytes = 8;     // NIST SP 800-63B §5.1.1.2
constexpr std::size_t kMaxPasswordBytes = 1024;  // refused before hashing: no argon2 flood
constexpr std::size_t kMaxCompanyNameBytes = 200;

struct NewApiKey {
  std::string api_id;
  std::string api_secret;
};

std::optional<storage::Role> parse_role(std::string_view text);  // case-insensitive
std::string_view role_name(storage::Role role);

class AdminService {
 public:
  // `passwords` hashes user passwords and must outlive the service (share the server's, so both
  // use the same configured parameters).
  AdminService(storage::Store& store, const tokens::SecretHasher& hasher,
               const PasswordHasher& passwords, Random& random, const Clock& clock);
  // Hashes user passwords with its own PasswordHasher at the default Argon2Params{}.
  AdminService(storage::Store& store, const tokens::SecretHasher& hasher, Random& random,
               const Clock& clock);

  // Called after every successful change, e.g. to refresh a local cache at once.
  void on_change(std::function<void()> callback) { on_change_ = std::move(callback); }

  Result<std::string> create_account(std::string_view company_name, std::string_view country);
  Result<void> set_account_active(std::string_view guid, bool active);
  Result<std::vector<storage::Account>> list_accounts();

  Result<std::int64_t> create_user(std::string_view user_name, std::string_view password);
  // Replaces the password and ends every session of the user (refresh tokens and access tokens
  // issued before now).
  Result<void> set_user_password(std::string_view user_name, std::string_view password);
  Result<void> set_user_disabled(std::string_view user_name, bool disabled);
  Result<void> grant_role(std::string_view user_name, std::string_view account_guid,
                          storage::Role role);
  Result<std::vector<storage::User>> list_users();

  // The key may cover only accounts where its owner holds a role. `may_introspect`: it may call
  // the token introspection endpoint (RFC 7662).
  Result<NewApiKey> create_api_key(std::string_view user_name,
                                   const std::vector<std::string>& account_guids,
                                   bool may_introspect = false);
  Result<void> set_api_key_introspection(std::string_view api_id, bool allowed);
  Result<std::string> regenerate_api_key(std::string_view api_id);
  Result<void> delete_api_key(std::string_view api_id);
  Result<std::vector<storage::ApiKey>> list_api_keys(std::optional<std::string_view> user_name);

 private:
  void changed() const {
    if (on_change_) on_change_();
  }
  std::string new_api_id();
  std::string new_api_secret();

  storage::Store& store_;
  const tokens::SecretHasher& hasher_;
  std::unique_ptr<const PasswordHasher> owned_passwords_;  // set by the 4-argument constructor
  const PasswordHasher& passwords_;
  Random& random_;
  const Clock& clock_;
  std::function<void()> on_change_;
};

}  // namespace connect_auth::domain
