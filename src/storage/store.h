// The storage interface. Every engine (SQLite now, PostgreSQL later) implements it and passes
// the one conformance suite in tests/storage/store_conformance.h. SQL never leaves a backend.
//
// Error contract: a missing row is kStorageNotFound, a uniqueness clash kStorageConflict, an
// engine fault (locked, disconnected, I/O) kStorageUnavailable. A write that refers to a row
// that does not exist (grant_role or create_api_key naming an unknown user or account) is
// kStorageNotFound, not a conflict. Listing for an unknown user id is an empty list. Text keys
// compare as exact bytes. Descriptions are safe to show a client: never SQL or a file path.
// Implementations are safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/records.h"
#include "storage/refresh_rules.h"

namespace connect_auth::storage {

class Store {
 public:
  virtual ~Store() = default;

  // --- accounts
  virtual Result<void> create_account(const Account& account) = 0;
  virtual Result<Account> find_account(std::string_view guid) = 0;
  virtual Result<std::vector<Account>> list_accounts() = 0;
  virtual Result<void> set_account_active(std::string_view guid, bool active) = 0;

  // --- users
  // Assigns and returns the new user's id. user_name is unique (exact bytes).
  virtual Result<std::int64_t> create_user(std::string_view user_name,
                                           std::string_view password_hash) = 0;
  virtual Result<User> find_user_by_name(std::string_view user_name) = 0;
  virtual Result<User> find_user_by_id(std::int64_t user_id) = 0;
  virtual Result<std::vector<User>> list_users() = 0;
  // Disabling also increments the generation of every key the user owns (with a kApiKey change
  // for each), so enabling the user again never revives a token issued before the disable.
  // Disabling also sets sessions_not_before = now + 1 and revokes every refresh family of the
  // user, in the same transaction.
  virtual Result<void> set_user_disabled(std::int64_t user_id, bool disabled) = 0;
  // Replaces the password hash; like disabling, sets sessions_not_before = now + 1 and revokes
  // the user's refresh families (a changed password ends every session). kUser change.
  virtual Result<void> set_user_password(std::int64_t user_id, std::string_view password_hash) = 0;
  // Inserts or replaces the user's role on the account.
  virtual Result<void> grant_role(std::int64_t user_id, std::string_view account_guid,
                                  Role role) = 0;
  virtual Result<std::vector<RoleGrant>> list_roles(std::int64_t user_id) = 0;

  // --- API keys
  // Inserts the key and its account grants in one transaction. Duplicate guids are collapsed.
  virtual Result<void> create_api_key(const ApiKey& key) = 0;
  virtual Result<ApiKey> find_api_key(std::string_view api_id) = 0;
  // All keys, or those of one user, ordered by api_id.
  virtual Result<std::vector<ApiKey>> list_api_keys(std::optional<std::int64_t> user_id) = 0;
  // Replaces the secret hash and increments the generation in one statement; returns the
  // new generation.
  virtual Result<std::int64_t> regenerate_api_key(std::string_view api_id,
                                                  const SecretHash& new_hash, std::int64_t now) = 0;
  virtual Result<void> delete_api_key(std::string_view api_id) = 0;
  // Grants or withdraws the introspection permission. kApiKey change.
  virtual Result<void> set_api_key_introspection(std::string_view api_id, bool allowed) = 0;

  // --- signing keys
  virtual Result<void> insert_signing_key(const SigningKey& key) = 0;
  // Ordered by created_at, then kid.
  virtual Result<std::vector<SigningKey>> list_signing_keys() = 0;
  // Rotation in one transaction: inserts `key` and, for every other key of the same algorithm
  // that is not retired yet, sets active = 0 and retired_at = min(retired_at, retire_others_at).
  // Appends a kSigningKey change per touched key.
  virtual Result<void> rotate_signing_key(const SigningKey& key, std::int64_t retire_others_at) = 0;
  // Deletes keys whose retired_at is before `before` (their tokens have all expired).
  virtual Result<void> delete_retired_signing_keys(std::int64_t before) = 0;

  // --- refresh tokens. Each call is one transaction, durably committed before it returns
  // (the 200 carrying a token is sent only after this).
  // Creates a family holding its first token (generation 1); returns the family id.
  // kStorageNotFound if the user does not exist.
  virtual Result<std::int64_t> create_refresh_family(const NewRefreshFamily& family) = 0;
  // Applies the rotation rules of storage/refresh_rules.h atomically: the decision and its
  // writes happen under one lock of the family (never read-then-write), so N concurrent
  // redemptions of one token yield exactly one kRotated, and with grace 0 no other success.
  virtual Result<RedeemedRefresh> redeem_refresh_token(const RefreshRedemption& redemption) = 0;
  // Revokes the family holding this token (RFC 7009); kStorageNotFound if no such token.
  // Revoking a revoked family again succeeds and changes nothing.
  virtual Result<void> revoke_refresh_family_of(const TokenHash& token_hash,
                                                std::int64_t now_ms) = 0;
  // Reads one token, its family and owner without changing anything (introspection). A token
  // that does not exist yields an empty `token`, not an error.
  virtual Result<RefreshTokenStatus> inspect_refresh_token(const TokenHash& token_hash) = 0;
  // Deletes families revoked or absolutely expired before `before_ms`, and tokens idle-expired
  // before it (issued_at + idle_ms < before_ms), retired or not: a retired token is kept as long
  // as it could have been used unrotated, so a retry inside grace still works and a later
  // replay is still detected as reuse, however often this runs.
  virtual Result<void> prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) = 0;

  // --- access-token revocation (RFC 7009). The jti is refused until expires_at; a kAccessToken
  // change (ref = jti) carries the revocation to every node's cache. Revoking twice succeeds.
  virtual Result<void> revoke_access_token(const RevokedAccessToken& token) = 0;
  // kStorageNotFound if the jti is not (or no longer) on the list.
  virtual Result<RevokedAccessToken> find_revoked_access_token(std::string_view jti) = 0;
  // Forgets revocations of tokens that expired before `before` (unix seconds). No change.
  virtual Result<void> prune_revoked_access_tokens(std::int64_t before) = 0;

  // --- failed-login counters, keyed by opaque strings chosen by the caller. Batched so one
  // attempt costs one round trip. Results are in the order of `keys`.
  virtual Result<std::vector<FailureCount>> read_failures(std::span<const std::string> keys) = 0;
  // Adds one failure to each key; a count whose last failure is window_ms or more before now_ms
  // restarts at 1. A key named twice counts twice. Returns the new counts.
  virtual Result<std::vector<FailureCount>> record_failures(std::span<const std::string> keys,
                                                            std::int64_t now_ms,
                                                            std::int64_t window_ms) = 0;
  virtual Result<void> clear_failures(std::span<const std::string> keys) = 0;
  virtual Result<void> prune_failures(std::int64_t last_failure_before_ms) = 0;

  // --- change feed. Every mutating call above appends Change rows in the same transaction,
  // except the refresh-token and failed-login ones (the cache holds neither).
  // Cache refresh polls changes_since(position); a position older than the oldest retained
  // change returns kStorageNotFound, telling the caller to reload a full snapshot.
  virtual Result<std::vector<Change>> changes_since(std::int64_t seq, std::size_t limit) = 0;
  virtual Result<AuthSnapshot> load_auth_snapshot() = 0;
  // Forgets changes older than `keep_after_unix_seconds` (and any change before them in seq
  // order, so the retained feed has no holes). Appends no change.
  virtual Result<void> prune_changes(std::int64_t keep_after_unix_seconds) = 0;
};

// Opens a store from a URL: "sqlite:///abs/path.db" or "sqlite:relative/path.db".
// Runs pending migrations. Unknown schemes are an error naming the scheme.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace connect_auth::storage
