// The SQLite backend of Store: the embedded default, for one node. Several threads and
// processes (the server and the CLI) may use one database file at once: WAL mode lets readers
// run beside the single writer, writers queue on BEGIN IMMEDIATE with a busy timeout.
//
// One file per aggregate (accounts.cpp, users.cpp, api_keys.cpp, signing_keys.cpp,
// refresh_tokens.cpp, access_token_revocations.cpp, login_failures.cpp, change_feed.cpp) holds
// that aggregate's reads and statements; the writes are MutatingStore's, over the mutations of
// storage/mutations.h.
#pragma once

#include <filesystem>
#include <memory>

#include "core/clock.h"
#include "storage/mutating_store.h"
#include "storage/sqlite/group_commit.h"

namespace connect_auth::storage::sqlite {

class TransactionRunner;

class SqliteStore final : public MutatingStore {
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
  Result<Account> find_account(std::string_view guid) override;
  Result<std::vector<Account>> list_accounts() override;

  // users.cpp
  Result<User> find_user_by_name(std::string_view user_name) override;
  Result<User> find_user_by_id(std::int64_t user_id) override;
  Result<std::vector<User>> list_users() override;
  Result<std::vector<RoleGrant>> list_roles(std::int64_t user_id) override;

  // api_keys.cpp
  Result<ApiKey> find_api_key(std::string_view api_id) override;
  Result<std::vector<ApiKey>> list_api_keys(std::optional<std::int64_t> user_id) override;

  // signing_keys.cpp
  Result<std::vector<SigningKey>> list_signing_keys() override;

  // refresh_tokens.cpp
  Result<RefreshTokenStatus> inspect_refresh_token(const tokens::TokenHash& token_hash) override;
  Result<void> prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) override;

  // access_token_revocations.cpp
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

 protected:
  Result<void> run_write(const ErrorText& text, WritePath path, const Body& body) override;
  std::int64_t now_ms() const override;

 private:
  explicit SqliteStore(std::unique_ptr<TransactionRunner> runner);

  std::unique_ptr<TransactionRunner> runner_;
};

}  // namespace connect_auth::storage::sqlite
