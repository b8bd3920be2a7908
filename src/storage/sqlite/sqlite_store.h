// The SQLite backend of Store: the embedded default, for one node. Several threads and
// processes (the server and the CLI) may use one database file at once: WAL mode lets readers
// run beside the single writer, writers queue on BEGIN IMMEDIATE with a busy timeout.
#pragma once

#include <filesystem>
#include <memory>

#include "core/clock.h"
#include "storage/sqlite/group_commit.h"
#include "storage/store.h"

namespace SQLite {
class Database;
}

namespace connect_auth::storage {

namespace sqlite {
class ConnectionPool;
class WriterGate;
struct BatchedWrite;
}  // namespace sqlite

class SqliteStore final : public Store {
 public:
  // Creates the file (mode 0600, missing parent directories 0700) if needed, switches it to
  // WAL mode and applies pending migrations in one transaction. A schema newer than this build
  // knows is refused (kStorageUnavailable) rather than guessed at. `clock` stamps the change
  // feed (Change rows' time, used by prune_changes); null means the system clock.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                   std::shared_ptr<const Clock> clock = nullptr);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<void> create_account(const Account& account) override;
  Result<Account> find_account(std::string_view guid) override;
  Result<std::vector<Account>> list_accounts() override;
  Result<void> set_account_active(std::string_view guid, bool active) override;

  Result<std::int64_t> create_user(std::string_view user_name,
                                   std::string_view password_hash) override;
  Result<User> find_user_by_name(std::string_view user_name) override;
  Result<User> find_user_by_id(std::int64_t user_id) override;
  Result<std::vector<User>> list_users() override;
  Result<void> set_user_disabled(std::int64_t user_id, bool disabled) override;
  Result<void> set_user_password(std::int64_t user_id, std::string_view password_hash) override;
  Result<void> grant_role(std::int64_t user_id, std::string_view account_guid, Role role) override;
  Result<std::vector<RoleGrant>> list_roles(std::int64_t user_id) override;

  Result<void> create_api_key(const ApiKey& key) override;
  Result<ApiKey> find_api_key(std::string_view api_id) override;
  Result<std::vector<ApiKey>> list_api_keys(std::optional<std::int64_t> user_id) override;
  Result<std::int64_t> regenerate_api_key(std::string_view api_id, const SecretHash& new_hash,
                                          std::int64_t now) override;
  Result<void> delete_api_key(std::string_view api_id) override;
  Result<void> set_api_key_introspection(std::string_view api_id, bool allowed) override;

  Result<void> insert_signing_key(const SigningKey& key) override;
  Result<std::vector<SigningKey>> list_signing_keys() override;
  Result<void> rotate_signing_key(const SigningKey& key, std::int64_t retire_others_at) override;
  Result<void> delete_retired_signing_keys(std::int64_t before) override;

  Result<std::int64_t> create_refresh_family(const NewRefreshFamily& family) override;
  Result<RedeemedRefresh> redeem_refresh_token(const RefreshRedemption& redemption) override;
  Result<void> revoke_refresh_family_of(const TokenHash& token_hash, std::int64_t now_ms) override;
  Result<RefreshTokenStatus> inspect_refresh_token(const TokenHash& token_hash) override;
  Result<void> prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) override;

  Result<void> revoke_access_token(const RevokedAccessToken& token) override;
  Result<RevokedAccessToken> find_revoked_access_token(std::string_view jti) override;
  Result<void> prune_revoked_access_tokens(std::int64_t before) override;

  Result<std::vector<FailureCount>> read_failures(std::span<const std::string> keys) override;
  Result<std::vector<FailureCount>> record_failures(std::span<const std::string> keys,
                                                    std::int64_t now_ms,
                                                    std::int64_t window_ms) override;
  Result<void> clear_failures(std::span<const std::string> keys) override;
  Result<void> prune_failures(std::int64_t last_failure_before_ms) override;

  Result<std::vector<Change>> changes_since(std::int64_t seq, std::size_t limit) override;
  Result<AuthSnapshot> load_auth_snapshot() override;
  Result<void> prune_changes(std::int64_t keep_after_unix_seconds) override;

  // How many group-commit batches ran and how many requests they carried (see group_commit.h),
  // for tests and diagnostics.
  sqlite::GroupCommitStats group_commit_stats() const;

 private:
  SqliteStore(std::unique_ptr<sqlite::ConnectionPool> pool, std::shared_ptr<const Clock> clock);

  // Appends one row to the change feed inside the caller's write transaction.
  void append_change(SQLite::Database& db, ChangeKind kind, std::string_view ref);

  std::unique_ptr<sqlite::ConnectionPool> pool_;
  std::shared_ptr<const Clock> clock_;
  // Queues this store's writers in-process; see transact() in sqlite_store.cpp.
  std::unique_ptr<sqlite::WriterGate> writer_;
  // Refresh-token and login-failure writes share transactions (and fsyncs) through this.
  std::unique_ptr<sqlite::GroupCommit<sqlite::BatchedWrite>> batches_;
};

}  // namespace connect_auth::storage
