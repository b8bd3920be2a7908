// The PostgreSQL backend of Store: several stateless nodes on one database. Each node holds a
// bounded pool of connections (pg_pool.h); statements are prepared once per connection. The
// guarantees that SQLite gets from its single writer hold here by design: the family lock is a
// row lock (pg_write_transaction.h), feed entries get their seqs in commit order under the feed
// row's lock (change_feed.cpp), failure counters are single-statement upserts.
//
// One file per aggregate (accounts.cpp, users.cpp, api_keys.cpp, signing_keys.cpp,
// refresh_tokens.cpp, access_token_revocations.cpp, login_failures.cpp, change_feed.cpp) holds
// that aggregate's reads and statements; the writes are MutatingStore's, over the mutations of
// storage/mutations.h.
#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "storage/mutating_store.h"
#include "storage/postgres/pg_pool.h"

namespace connect_auth::storage::postgres {

class PgRunner;
class ChangeListener;

// Every write that appends feed entries NOTIFYs this channel with its last seq on commit.
inline constexpr const char* kChangeChannel = "connect_auth_changes";

class PgStore final : public MutatingStore {
 public:
  // Connects (lazily, through the pool) to `url` ("postgresql://…"; TLS as its sslmode asks)
  // and applies pending migrations under an advisory lock, so nodes starting together take
  // turns. A schema newer than this build knows is refused (kStorageUnavailable). `clock`
  // stamps the change feed and the ends of sessions; null means the system clock. The URL is
  // never printed.
  static Result<std::unique_ptr<PgStore>> open(std::string url,
                                               std::shared_ptr<const Clock> clock = nullptr,
                                               PgPoolOptions options = {});

  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

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
  // Woken by LISTEN/NOTIFY (change_listener.h).
  void wait_for_changes(std::chrono::milliseconds max_wait, std::stop_token stop) override;

 protected:
  Result<void> run_write(const ErrorText& text, WritePath path, const Body& body) override;
  std::int64_t now_ms() const override;

 private:
  PgStore(std::unique_ptr<PgRunner> runner, std::unique_ptr<ChangeListener> listener);

  std::unique_ptr<PgRunner> runner_;
  std::unique_ptr<ChangeListener> listener_;
};

}  // namespace connect_auth::storage::postgres
