// Users and their roles on accounts (wire-contract §1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace connect_auth::storage {

enum class Role : std::uint8_t { kAdministrator, kManager, kReporting };

struct User {
  std::int64_t id = 0;
  std::string user_name;
  std::string password_hash;  // argon2id encoded string (libsodium crypto_pwhash_str)
  bool disabled = false;
  // Access tokens issued (iat) before this unix second are refused. Set to now + 1 whenever the
  // user is disabled or their password changes, so enabling the user again revives no token.
  std::int64_t sessions_not_before = 0;
};

struct RoleGrant {
  std::int64_t user_id = 0;
  std::string account_guid;
  Role role = Role::kReporting;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Assigns and returns the new user's id. user_name is unique (exact bytes). kUser change.
  virtual Result<std::int64_t> create_user(std::string_view user_name,
                                           std::string_view password_hash) = 0;
  virtual Result<User> find_user_by_name(std::string_view user_name) = 0;
  virtual Result<User> find_user_by_id(std::int64_t user_id) = 0;
  // Ordered by id.
  virtual Result<std::vector<User>> list_users() = 0;
  // Disabling ends every session of the user (storage/mutations.h: end_sessions) and increments
  // the generation of every key the user owns (with a kApiKey change for each), so enabling the
  // user again never revives a token issued before the disable. All in one transaction.
  virtual Result<void> set_user_disabled(std::int64_t user_id, bool disabled) = 0;
  // Replaces the password hash and, like disabling, ends every session. kUser change.
  virtual Result<void> set_user_password(std::int64_t user_id, std::string_view password_hash) = 0;
  // Inserts or replaces the user's role on the account. kUser change.
  virtual Result<void> grant_role(std::int64_t user_id, std::string_view account_guid,
                                  Role role) = 0;
  // Ordered by account guid.
  virtual Result<std::vector<RoleGrant>> list_roles(std::int64_t user_id) = 0;
};

}  // namespace connect_auth::storage
