// Every Store write method, written once for all engines: "run this mutation (mutations.h) in a
// write transaction". A backend derives from MutatingStore, implements run_write() with its own
// transaction runner, and adds only its reads and maintenance statements.
#pragma once

#include <cstdint>
#include <functional>

#include "storage/error_texts.h"
#include "storage/store.h"
#include "storage/write_transaction.h"

namespace connect_auth::storage {

// kHot marks the writes of the token hot path (refresh tokens), which a backend may group into
// shared commits; kAdmin everything else.
enum class WritePath : std::uint8_t { kAdmin, kHot };

class MutatingStore : public Store {
 public:
  Result<void> create_account(const Account& account) override;
  Result<void> set_account_active(std::string_view guid, bool active) override;

  Result<std::int64_t> create_user(std::string_view user_name,
                                   std::string_view password_hash) override;
  Result<void> set_user_disabled(std::int64_t user_id, bool disabled) override;
  Result<void> set_user_password(std::int64_t user_id, std::string_view password_hash) override;
  Result<void> grant_role(std::int64_t user_id, std::string_view account_guid, Role role) override;

  Result<void> create_api_key(const ApiKey& key) override;
  Result<std::int64_t> regenerate_api_key(std::string_view api_id,
                                          const tokens::SecretHash& new_hash,
                                          std::int64_t now_unix_s) override;
  Result<void> delete_api_key(std::string_view api_id) override;
  Result<void> set_api_key_introspection(std::string_view api_id, bool allowed) override;

  Result<void> insert_signing_key(const SigningKey& key) override;
  Result<void> rotate_signing_key(const SigningKey& key,
                                  std::int64_t retire_others_at_unix_s) override;
  Result<bool> rotate_signing_key_if_due(const SigningKey& key,
                                         std::int64_t retire_others_at_unix_s,
                                         std::int64_t unless_signer_since_unix_s) override;
  Result<void> delete_retired_signing_keys(std::int64_t retired_before_unix_s) override;

  Result<std::int64_t> create_refresh_family(const NewRefreshFamily& family) override;
  Result<RedeemedRefresh> redeem_refresh_token(const RefreshRedemption& redemption) override;
  Result<void> revoke_refresh_family_of(const tokens::TokenHash& token_hash,
                                        std::int64_t now_ms) override;

  Result<void> revoke_access_token(const RevokedAccessToken& token) override;

 protected:
  using Body = std::function<Result<void>(WriteTransaction&)>;
  // Runs `body` in one write transaction and commits it when the body succeeds (rolls back
  // otherwise). May run it again after a serialisation failure, so the body only writes through
  // the transaction. Engine faults are mapped to the error contract with `text`.
  virtual Result<void> run_write(const ErrorText& text, WritePath path, const Body& body) = 0;
  // The time that stamps the ends of sessions (unix milliseconds).
  virtual std::int64_t now_ms() const = 0;

 private:
  template <class T, class Fn>
  Result<T> mutate(const ErrorText& text, WritePath path, Fn&& fn);
};

}  // namespace connect_auth::storage
