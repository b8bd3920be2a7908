// What a backend executes inside one write transaction, aggregate by aggregate. Each call is one
// statement (or a fixed few with no decision between them); every decision — what is checked
// first, what else a mutation touches, which change-feed entries it appends — is made once, in
// storage/mutations.h, for every engine. Engine faults are thrown by the implementation and
// mapped to the error contract by the backend's transaction runner, which also commits or rolls
// back; nothing here sees SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace connect_auth::storage {

class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  // Appends one feed entry, visible when (and in the order) the transaction commits.
  virtual void append_change(ChangeKind kind, std::string_view ref) = 0;
};

class AccountStatements {
 public:
  virtual ~AccountStatements() = default;
  virtual bool account_exists(std::string_view guid) = 0;
  virtual void insert_account(const Account& account) = 0;
  // False when there is no such account.
  virtual bool update_account_active(std::string_view guid, bool active) = 0;
};

class UserStatements {
 public:
  virtual ~UserStatements() = default;
  virtual bool user_exists(std::int64_t user_id) = 0;
  // Returns the new id.
  virtual std::int64_t insert_user(std::string_view user_name, std::string_view password_hash) = 0;
  // False when there is no such user.
  virtual bool update_user_disabled(std::int64_t user_id, bool disabled) = 0;
  virtual bool update_password_hash(std::int64_t user_id, std::string_view password_hash) = 0;
  // sessions_not_before = max(sessions_not_before, not_before_unix_s).
  virtual void raise_sessions_not_before(std::int64_t user_id, std::int64_t not_before_unix_s) = 0;
  virtual void upsert_role(std::int64_t user_id, std::string_view account_guid, Role role) = 0;
};

class ApiKeyStatements {
 public:
  virtual ~ApiKeyStatements() = default;
  // The key's own row; its accounts are inserted one by one.
  virtual void insert_api_key(const ApiKey& key) = 0;
  virtual void insert_api_key_account(std::string_view api_id, std::string_view account_guid) = 0;
  // Replaces the hash and increments the generation in one statement; the new generation, or
  // nullopt when there is no such key.
  virtual std::optional<std::int64_t> replace_api_key_secret(std::string_view api_id,
                                                             const tokens::SecretHash& new_hash,
                                                             std::int64_t now_unix_s) = 0;
  // Increments the generation of every key of the user; their api_ids, in any order.
  virtual std::vector<std::string> advance_api_key_generations_of(std::int64_t user_id) = 0;
  // Deletes the key and its account grants; false when there is no such key.
  virtual bool delete_api_key_row(std::string_view api_id) = 0;
  virtual bool update_api_key_introspection(std::string_view api_id, bool allowed) = 0;
};

class SigningKeyStatements {
 public:
  virtual ~SigningKeyStatements() = default;
  virtual void insert_signing_key_row(const SigningKey& key) = 0;
  // Held until the transaction ends; serialises rotations of one algorithm across nodes.
  virtual void lock_signing_keys(std::string_view algorithm) = 0;
  // created_at of the newest key of `algorithm` that is active and not retired at `at_unix_s`.
  virtual std::optional<std::int64_t> newest_live_signer_created_at(std::string_view algorithm,
                                                                    std::int64_t at_unix_s) = 0;
  // Every other key of `algorithm` not retired by `at_unix_s`: active = 0, retired_at =
  // min(retired_at, at_unix_s). Returns the kids it changed, in any order.
  virtual std::vector<std::string> retire_other_signing_keys(std::string_view algorithm,
                                                             std::string_view keep_kid,
                                                             std::int64_t at_unix_s) = 0;
  // Deletes keys with retired_at < before_unix_s; returns their kids, in any order.
  virtual std::vector<std::string> delete_signing_keys_retired_before(
      std::int64_t before_unix_s) = 0;
};

class RefreshStatements {
 public:
  virtual ~RefreshStatements() = default;
  // The token, its family and owner. The family row stays exclusively locked until the
  // transaction ends (the family lock of refresh_token_store.h).
  virtual RefreshTokenStatus read_refresh_token_for_update(const tokens::TokenHash& hash) = 0;
  virtual std::optional<std::int64_t> refresh_family_of(const tokens::TokenHash& hash) = 0;
  // A family at generation 1, rotated and created at now_ms; returns its id.
  virtual std::int64_t insert_refresh_family(const NewRefreshFamily& family) = 0;
  virtual void insert_refresh_token(const tokens::TokenHash& hash, std::int64_t family_id,
                                    std::int64_t generation, std::int64_t issued_at_ms) = 0;
  // False when the token was already retired (or is gone).
  virtual bool retire_refresh_token(const tokens::TokenHash& hash, std::int64_t now_ms) = 0;
  // Conditional on current_generation == from_generation and not revoked; false otherwise.
  virtual bool advance_refresh_family(std::int64_t family_id, std::int64_t from_generation,
                                      std::int64_t now_ms) = 0;
  // Revokes one family (no-op when revoked already) / every live family of a user.
  virtual void revoke_refresh_family(std::int64_t family_id, std::int64_t now_ms) = 0;
  virtual void revoke_refresh_families_of(std::int64_t user_id, std::int64_t now_ms) = 0;
};

class AccessTokenRevocationStatements {
 public:
  virtual ~AccessTokenRevocationStatements() = default;
  // False when the jti was on the list already (the first row is kept).
  virtual bool insert_revoked_access_token(const RevokedAccessToken& token) = 0;
};

// All of the above on one transaction: what a backend hands to the mutations.
class WriteTransaction : public ChangeLog,
                         public AccountStatements,
                         public UserStatements,
                         public ApiKeyStatements,
                         public SigningKeyStatements,
                         public RefreshStatements,
                         public AccessTokenRevocationStatements {};

}  // namespace connect_auth::storage
