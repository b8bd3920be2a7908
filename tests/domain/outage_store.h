// A Store that forwards to a real one and, while `down` is set, answers every call with
// kStorageUnavailable, as a database that went away would. Used to test what the layers above do
// during an outage; the store's own fault mapping is tested in tests/storage.
#pragma once

#include <atomic>

#include "storage/store.h"

namespace connect_auth::domain::test {

class OutageStore final : public storage::Store {
 public:
  explicit OutageStore(storage::Store& real) : real_(real) {}
  std::atomic<bool> down{false};

#define CA_FORWARD(call)                                                                  \
  if (down.load()) return make_error(ErrorCode::kStorageUnavailable, "database is down"); \
  return real_.call
  Result<void> create_account(const storage::Account& a) override { CA_FORWARD(create_account(a)); }
  Result<storage::Account> find_account(std::string_view g) override {
    CA_FORWARD(find_account(g));
  }
  Result<std::vector<storage::Account>> list_accounts() override { CA_FORWARD(list_accounts()); }
  Result<void> set_account_active(std::string_view g, bool a) override {
    CA_FORWARD(set_account_active(g, a));
  }
  Result<std::int64_t> create_user(std::string_view n, std::string_view h) override {
    CA_FORWARD(create_user(n, h));
  }
  Result<storage::User> find_user_by_name(std::string_view n) override {
    CA_FORWARD(find_user_by_name(n));
  }
  Result<storage::User> find_user_by_id(std::int64_t id) override {
    CA_FORWARD(find_user_by_id(id));
  }
  Result<std::vector<storage::User>> list_users() override { CA_FORWARD(list_users()); }
  Result<void> set_user_disabled(std::int64_t id, bool d) override {
    CA_FORWARD(set_user_disabled(id, d));
  }
  Result<void> set_user_password(std::int64_t id, std::string_view h) override {
    CA_FORWARD(set_user_password(id, h));
  }
  Result<void> grant_role(std::int64_t id, std::string_view g, storage::Role r) override {
    CA_FORWARD(grant_role(id, g, r));
  }
  Result<std::vector<storage::RoleGrant>> list_roles(std::int64_t id) override {
    CA_FORWARD(list_roles(id));
  }
  Result<void> create_api_key(const storage::ApiKey& k) override { CA_FORWARD(create_api_key(k)); }
  Result<storage::ApiKey> find_api_key(std::string_view id) override {
    CA_FORWARD(find_api_key(id));
  }
  Result<std::vector<storage::ApiKey>> list_api_keys(std::optional<std::int64_t> u) override {
    CA_FORWARD(list_api_keys(u));
  }
  Result<std::int64_t> regenerate_api_key(std::string_view id, const tokens::SecretHash& h,
                                          std::int64_t now) override {
    CA_FORWARD(regenerate_api_key(id, h, now));
  }
  Result<void> delete_api_key(std::string_view id) override { CA_FORWARD(delete_api_key(id)); }
  Result<void> set_api_key_introspection(std::string_view id, bool allowed) override {
    CA_FORWARD(set_api_key_introspection(id, allowed));
  }
  Result<void> insert_signing_key(const storage::SigningKey& k) override {
    CA_FORWARD(insert_signing_key(k));
  }
  Result<std::vector<storage::SigningKey>> list_signing_keys() override {
    CA_FORWARD(list_signing_keys());
  }
  Result<bool> rotate_signing_key_if_due(const storage::SigningKey& k, std::int64_t at,
                                         std::int64_t since) override {
    CA_FORWARD(rotate_signing_key_if_due(k, at, since));
  }
  Result<void> rotate_signing_key(const storage::SigningKey& k, std::int64_t at) override {
    CA_FORWARD(rotate_signing_key(k, at));
  }
  Result<void> delete_retired_signing_keys(std::int64_t before) override {
    CA_FORWARD(delete_retired_signing_keys(before));
  }
  Result<std::int64_t> create_refresh_family(const storage::NewRefreshFamily& f) override {
    CA_FORWARD(create_refresh_family(f));
  }
  Result<storage::RedeemedRefresh> redeem_refresh_token(
      const storage::RefreshRedemption& r) override {
    CA_FORWARD(redeem_refresh_token(r));
  }
  Result<void> revoke_refresh_family_of(const tokens::TokenHash& h, std::int64_t now_ms) override {
    CA_FORWARD(revoke_refresh_family_of(h, now_ms));
  }
  Result<void> prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) override {
    CA_FORWARD(prune_refresh_tokens(before_ms, idle_ms));
  }
  Result<storage::RefreshTokenStatus> inspect_refresh_token(const tokens::TokenHash& h) override {
    CA_FORWARD(inspect_refresh_token(h));
  }
  Result<void> revoke_access_token(const storage::RevokedAccessToken& t) override {
    CA_FORWARD(revoke_access_token(t));
  }
  Result<storage::RevokedAccessToken> find_revoked_access_token(std::string_view jti) override {
    CA_FORWARD(find_revoked_access_token(jti));
  }
  Result<void> prune_revoked_access_tokens(std::int64_t before) override {
    CA_FORWARD(prune_revoked_access_tokens(before));
  }
  Result<std::vector<storage::FailureCount>> read_failures(
      std::span<const std::string> keys) override {
    CA_FORWARD(read_failures(keys));
  }
  Result<std::vector<storage::FailureCount>> record_failures(std::span<const std::string> keys,
                                                             std::int64_t now_ms,
                                                             std::int64_t window_ms) override {
    CA_FORWARD(record_failures(keys, now_ms, window_ms));
  }
  Result<void> clear_failures(std::span<const std::string> keys) override {
    CA_FORWARD(clear_failures(keys));
  }
  Result<void> prune_failures(std::int64_t before_ms) override {
    CA_FORWARD(prune_failures(before_ms));
  }
  Result<std::vector<storage::Change>> changes_since(std::int64_t s, std::size_t l) override {
    CA_FORWARD(changes_since(s, l));
  }
  Result<storage::AuthSnapshot> load_auth_snapshot() override { CA_FORWARD(load_auth_snapshot()); }
  Result<void> prune_changes(std::int64_t t) override { CA_FORWARD(prune_changes(t)); }
#undef CA_FORWARD

 private:
  storage::Store& real_;
};

}  // namespace connect_auth::domain::test
