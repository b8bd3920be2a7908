// The SQLite backend of Store: the embedded default, for one node. Several threads and
// processes (the server and the CLI) may use one database file at once: WAL mode lets readers
// run beside the single writer, writers queue on BEGIN IMMEDIATE with a busy timeout.
//
// One file per aggregate (accounts.cpp, users.cpp, api_keys.cpp, signing_keys.cpp,
// refresh_tokens.cpp, access_token_revocations.cpp, login_failures.cpp, change_feed.cpp) holds
// that aggregate's Store methods and statements; the rules they follow are storage/mutations.h.
#pragma once

#include <filesystem>
#include <memory>

#include "core/clock.h"
#include "storage/sqlite/group_commit.h"
#include "storage/store.h"

namespace connect_auth::storage::sqlite {

class TransactionRunner;

class SqliteStore final : public Store {
 public:
  // Creates the file (mode 0600, missing parent directories 0700) if needed, switches it to
  // WAL mode and applies pending migrations in one transaction. A schema newer than this build
  // knows is refused (kStorageUnavailable) rather than guessed at. `clock` stamps the change
  // feed (Change rows' time, used by prune_changes) and the ends of sessions; null means the
  // system clock.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                   std::shared_ptr<const Clock> clock = nullptr,
                                                   std::size_t max_connections = 8);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // accounts.cpp
  Result<void> create_account(const Account& account) override;
  Result<Account> find_account(std::string_view guid) override;
  Result<std::vector<Account>> list_accounts() override;
  Result<void> set_account_active(std::string_view guid, bool active) override;

  // users.cpp
  Result<std::int64_t> create_user(std::string_view user_name,
                                   std::string_view password_hash) override;
  Result<User> find_user_by_name(std::string_view user_name) override;
  Result<User> find_user_by_id(std::int64_t user_id) override;
  Result<std::vector<User>> list_users() override;
  Result<void> set_user_disabled(std::int64_t user_id, bool disabled) override;
  Result<void> set_user_password(std::int64_t user_id, std::string_view password_hash) override;
  Result<void> grant_role(std::int64_t user_id, std::string_view account_guid, Role role) override;
  Result<std::vector<RoleGrant>> list_roles(std::int64_t user_id) override;

  // api_keys.cpp
  Result<void> create_api_key(const ApiKey& key) override;
  Result<ApiKey> find_api_key(std::string_view api_id) override;
  Result<std::vector<ApiKey>> list_api_keys(std::optional<std::int64_t> user_id) override;
  Result<std::int64_t> regenerate_api_key(std::string_view api_id,
                                          const tokens::SecretHash& new_hash,
                                          std::int64_t now_unix_s) override;
  Result<void> delete_api_key(std::string_view api_id) override;
  Result<void> set_api_key_introspection(std::string_view api_id, bool allowed) override;

  // signing_keys.cpp
  Result<void> insert_signing_key(const SigningKey& key) override;
  Result<std::vector<SigningKey>> list_signing_keys() override;
  Result<void> rotate_signing_key(const SigningKey& key,
                                  std::int64_t retire_others_at_unix_s) override;
  Result<bool> rotate_signing_key_if_due(const SigningKey& key,
                                         std::int64_t retire_others_at_unix_s,
                                         std::int64_t unless_signer_since_unix_s) override;
  Result<void> delete_retired_signing_keys(std::int64_t retired_before_unix_s) override;

  // refresh_tokens.cpp
  Result<std::int64_t> create_refresh_family(const NewRefreshFamily& family) override;
  Result<RedeemedRefresh> redeem_refresh_token(const RefreshRedemption& redemption) override;
  Result<void> revoke_refresh_family_of(const tokens::TokenHash& token_hash,
                                        std::int64_t now_ms) override;
  Result<RefreshTokenStatus> inspect_refresh_token(const tokens::TokenHash& token_hash) override;
  Result<void> prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) override;

  // access_token_revocations.cpp
  Result<void> revoke_access_token(const RevokedAccessToken& token) override;
  Result<RevokedAccessToken> find_revoked_access_token(std::string_view jti) override;
  Result<void> prune_revoked_access_tokens(std::int64_t expired_before_unix_s) override;

  // login_failures.cpp
  Result<std::vector<FailureCount>> read_failures(std::span<const std::string> keys) override;
  Result<std::vector<FailureCount>> record_failures(std::span<const std::string> keys,
                                                    std::int64_t now_ms,
                                                    std::int64_t window_ms) override;
  Result<void> clear_failures(std::span<const std::string> keys) override;
  Result<void> prune_failures(std::int64_t last_failure_before_ms) override;

  // change_feed.cpp
  Result<std::vector<Change>> changes_since(std::int64_t after_seq, std::size_t limit) override;
  Result<AuthSnapshot> load_auth_snapshot() override;
  Result<void> prune_changes(std::int64_t keep_after_unix_s) override;

  // How many group-commit batches ran and how many requests they carried (see group_commit.h),
  // for tests and diagnostics.
  GroupCommitStats group_commit_stats() const;

 private:
  explicit SqliteStore(std::unique_ptr<TransactionRunner> runner);

  std::unique_ptr<TransactionRunner> runner_;
};

}  // namespace connect_auth::storage::sqlite
