// The PostgreSQL statements behind WriteTransaction (storage/write_transaction.h), on the
// connection of one open READ COMMITTED transaction. Each aggregate's statements are defined in
// that aggregate's file (accounts.cpp, users.cpp, …), beside its reads.
//
// The family lock of a redemption is a row lock: read_refresh_token_for_update() locks the
// family row (SELECT … FOR UPDATE) before it reads the token, so a second node redeeming the
// same token waits there and then sees the first one's committed writes.
//
// Change-feed entries are held back and written by the runner as the transaction's last step
// (change_feed.cpp), so the feed row's lock is held only from then until COMMIT.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "storage/error_texts.h"
#include "storage/postgres/pg_connection.h"
#include "storage/write_transaction.h"

namespace connect_auth::storage::postgres {

class PgWriteTransaction final : public WriteTransaction {
 public:
  PgWriteTransaction(PgConnection& conn, const Clock& clock, const ErrorText& text)
      : conn_(conn), clock_(clock), text_(text) {}

  PgConnection& connection() { return conn_; }
  const Clock& clock() const { return clock_; }
  std::vector<std::pair<ChangeKind, std::string>>& pending_changes() { return pending_; }

  void append_change(ChangeKind kind, std::string_view ref) override {
    pending_.emplace_back(kind, std::string(ref));
  }

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
  // One prepared statement of this transaction (pg_runner.h: run()).
  PgResult exec(std::string_view name, std::string_view sql, const PgParams& params = {});

  PgConnection& conn_;
  const Clock& clock_;
  const ErrorText& text_;
  std::vector<std::pair<ChangeKind, std::string>> pending_;
};

// A token, its family and owner as they are now; `lock` adds FOR UPDATE of the family row
// (refresh_tokens.cpp).
RefreshTokenStatus read_refresh_token(PgConnection& conn, const tokens::TokenHash& hash, bool lock);

}  // namespace connect_auth::storage::postgres
