#include "storage/mutating_store.h"

#include <optional>
#include <utility>

#include "storage/mutations.h"

namespace connect_auth::storage {

template <class T, class Fn>
Result<T> MutatingStore::mutate(const ErrorText& text, WritePath path, Fn&& fn) {
  if constexpr (std::is_void_v<T>) {
    return run_write(text, path, [&](WriteTransaction& tx) { return fn(tx); });
  } else {
    std::optional<T> out;  // the last attempt's value, kept only if its transaction commits
    auto done = run_write(text, path, [&](WriteTransaction& tx) -> Result<void> {
      Result<T> result = fn(tx);
      if (!result) return std::move(result).error();
      out.emplace(std::move(result).value());
      return Ok{};
    });
    if (!done) return std::move(done).error();
    return std::move(*out);
  }
}

Result<void> MutatingStore::create_account(const Account& account) {
  return mutate<void>(kAccountText, WritePath::kAdmin,
                      [&](WriteTransaction& tx) { return mutations::create_account(tx, account); });
}

Result<void> MutatingStore::set_account_active(std::string_view guid, bool active) {
  return mutate<void>(kAccountText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::set_account_active(tx, guid, active);
  });
}

Result<std::int64_t> MutatingStore::create_user(std::string_view user_name,
                                                std::string_view password_hash) {
  return mutate<std::int64_t>(kUserText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::create_user(tx, user_name, password_hash);
  });
}

Result<void> MutatingStore::set_user_disabled(std::int64_t user_id, bool disabled) {
  const std::int64_t now = now_ms();
  return mutate<void>(kUserText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::set_user_disabled(tx, user_id, disabled, now);
  });
}

Result<void> MutatingStore::set_user_password(std::int64_t user_id,
                                              std::string_view password_hash) {
  const std::int64_t now = now_ms();
  return mutate<void>(kUserText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::set_user_password(tx, user_id, password_hash, now);
  });
}

Result<void> MutatingStore::grant_role(std::int64_t user_id, std::string_view account_guid,
                                       Role role) {
  return mutate<void>(kUserText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::grant_role(tx, user_id, account_guid, role);
  });
}

Result<void> MutatingStore::create_api_key(const ApiKey& key) {
  return mutate<void>(kApiKeyText, WritePath::kAdmin,
                      [&](WriteTransaction& tx) { return mutations::create_api_key(tx, key); });
}

Result<std::int64_t> MutatingStore::regenerate_api_key(std::string_view api_id,
                                                       const tokens::SecretHash& new_hash,
                                                       std::int64_t now_unix_s) {
  return mutate<std::int64_t>(kApiKeyText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::regenerate_api_key(tx, api_id, new_hash, now_unix_s);
  });
}

Result<void> MutatingStore::delete_api_key(std::string_view api_id) {
  return mutate<void>(kApiKeyText, WritePath::kAdmin,
                      [&](WriteTransaction& tx) { return mutations::delete_api_key(tx, api_id); });
}

Result<void> MutatingStore::set_api_key_introspection(std::string_view api_id, bool allowed) {
  return mutate<void>(kApiKeyText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::set_api_key_introspection(tx, api_id, allowed);
  });
}

Result<void> MutatingStore::insert_signing_key(const SigningKey& key) {
  return mutate<void>(kSigningKeyText, WritePath::kAdmin,
                      [&](WriteTransaction& tx) { return mutations::insert_signing_key(tx, key); });
}

Result<void> MutatingStore::rotate_signing_key(const SigningKey& key,
                                               std::int64_t retire_others_at_unix_s) {
  return mutate<void>(kSigningKeyText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::rotate_signing_key(tx, key, retire_others_at_unix_s);
  });
}

Result<bool> MutatingStore::rotate_signing_key_if_due(const SigningKey& key,
                                                      std::int64_t retire_others_at_unix_s,
                                                      std::int64_t unless_signer_since_unix_s) {
  return mutate<bool>(kSigningKeyText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::rotate_signing_key_if_due(tx, key, retire_others_at_unix_s,
                                                unless_signer_since_unix_s);
  });
}

Result<void> MutatingStore::delete_retired_signing_keys(std::int64_t retired_before_unix_s) {
  return mutate<void>(kSigningKeyText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::delete_retired_signing_keys(tx, retired_before_unix_s);
  });
}

Result<std::int64_t> MutatingStore::create_refresh_family(const NewRefreshFamily& family) {
  return mutate<std::int64_t>(kRefreshText, WritePath::kHot, [&](WriteTransaction& tx) {
    return mutations::create_refresh_family(tx, family);
  });
}

Result<RedeemedRefresh> MutatingStore::redeem_refresh_token(const RefreshRedemption& redemption) {
  return mutate<RedeemedRefresh>(kRefreshText, WritePath::kHot, [&](WriteTransaction& tx) {
    return mutations::redeem_refresh_token(tx, redemption);
  });
}

Result<void> MutatingStore::revoke_refresh_family_of(const tokens::TokenHash& token_hash,
                                                     std::int64_t now_ms) {
  return mutate<void>(kRefreshText, WritePath::kHot, [&](WriteTransaction& tx) {
    return mutations::revoke_refresh_family_of(tx, token_hash, now_ms);
  });
}

Result<void> MutatingStore::revoke_access_token(const RevokedAccessToken& token) {
  return mutate<void>(kRevokedText, WritePath::kAdmin, [&](WriteTransaction& tx) {
    return mutations::revoke_access_token(tx, token);
  });
}

}  // namespace connect_auth::storage
