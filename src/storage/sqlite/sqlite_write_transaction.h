// The SQLite statements behind WriteTransaction (storage/write_transaction.h), on the connection
// of one open write transaction. Each aggregate's statements are defined in that aggregate's
// file (accounts.cpp, users.cpp, …), beside its reads.
//
// The family lock of a redemption is SQLite's one write lock: every write transaction starts
// with BEGIN IMMEDIATE, so the rows read here cannot change before this transaction's writes.
#pragma once

#include <SQLiteCpp/Database.h>

#include "core/clock.h"
#include "storage/write_transaction.h"

namespace connect_auth::storage::sqlite {

class SqliteWriteTransaction final : public WriteTransaction {
 public:
  SqliteWriteTransaction(SQLite::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // change_feed.cpp
  void append_change(ChangeKind kind, std::string_view ref) override;

  // accounts.cpp
  bool account_exists(std::string_view guid) override;
  void insert_account(const Account& account) override;
  bool update_account_active(std::string_view guid, bool active) override;

  // users.cpp
  bool user_exists(std::int64_t user_id) override;
  std::int64_t insert_user(std::string_view user_name, std::string_view password_hash) override;
  bool update_user_disabled(std::int64_t user_id, bool disabled) override;
  bool update_password_hash(std::int64_t user_id, std::string_view password_hash) override;
  void raise_sessions_not_before(std::int64_t user_id, std::int64_t not_before_unix_s) override;
  void upsert_role(std::int64_t user_id, std::string_view account_guid, Role role) override;

  // api_keys.cpp
  void insert_api_key(const ApiKey& key) override;
  void insert_api_key_account(std::string_view api_id, std::string_view account_guid) override;
  std::optional<std::int64_t> replace_api_key_secret(std::string_view api_id,
                                                     const tokens::SecretHash& new_hash,
                                                     std::int64_t now_unix_s) override;
  std::vector<std::string> advance_api_key_generations_of(std::int64_t user_id) override;
  bool delete_api_key_row(std::string_view api_id) override;
  bool update_api_key_introspection(std::string_view api_id, bool allowed) override;

  // signing_keys.cpp
  void insert_signing_key_row(const SigningKey& key) override;
  void lock_signing_keys(std::string_view algorithm) override;
  std::optional<std::int64_t> newest_live_signer_created_at(std::string_view algorithm,
                                                            std::int64_t at_unix_s) override;
  std::vector<std::string> retire_other_signing_keys(std::string_view algorithm,
                                                     std::string_view keep_kid,
                                                     std::int64_t at_unix_s) override;
  std::vector<std::string> delete_signing_keys_retired_before(std::int64_t before_unix_s) override;

  // refresh_tokens.cpp
  RefreshTokenStatus read_refresh_token_for_update(const tokens::TokenHash& hash) override;
  std::optional<std::int64_t> refresh_family_of(const tokens::TokenHash& hash) override;
  std::int64_t insert_refresh_family(const NewRefreshFamily& family) override;
  void insert_refresh_token(const tokens::TokenHash& hash, std::int64_t family_id,
                            std::int64_t generation, std::int64_t issued_at_ms) override;
  bool retire_refresh_token(const tokens::TokenHash& hash, std::int64_t now_ms) override;
  bool advance_refresh_family(std::int64_t family_id, std::int64_t from_generation,
                              std::int64_t now_ms) override;
  void revoke_refresh_family(std::int64_t family_id, std::int64_t now_ms) override;
  void revoke_refresh_families_of(std::int64_t user_id, std::int64_t now_ms) override;

  // access_token_revocations.cpp
  bool insert_revoked_access_token(const RevokedAccessToken& token) override;

 private:
  SQLite::Database& db_;
  const Clock& clock_;
};

// A token, its family and owner as they are now, inside any transaction (refresh_tokens.cpp).
RefreshTokenStatus read_refresh_token(SQLite::Database& db, const tokens::TokenHash& hash);

}  // namespace connect_auth::storage::sqlite
