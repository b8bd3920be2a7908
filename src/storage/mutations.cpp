#include "storage/mutations.h"

#include <algorithm>
#include <utility>

#include "storage/error_texts.h"
#include "storage/refresh_rules.h"

namespace connect_auth::storage::mutations {
namespace {

Error not_found(std::string_view what) {
  return make_error(ErrorCode::kStorageNotFound, std::string(what));
}

std::string user_ref(std::int64_t user_id) { return std::to_string(user_id); }

// One entry per ref, in a stable order: engines return RETURNING rows in any order, and the feed
// reads the same whichever engine wrote it.
void append_sorted(ChangeLog& log, ChangeKind kind, std::vector<std::string> refs) {
  std::sort(refs.begin(), refs.end());
  for (const std::string& ref : refs) log.append_change(kind, ref);
}

// Floor division, like a clock's seconds, also before 1970.
std::int64_t seconds_of(std::int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

}  // namespace

std::vector<std::string> normalised_guids(std::vector<std::string> guids) {
  std::sort(guids.begin(), guids.end());
  guids.erase(std::unique(guids.begin(), guids.end()), guids.end());
  return guids;
}

SessionEnd session_end_at(std::int64_t now_ms) { return {seconds_of(now_ms) + 1, now_ms}; }

void end_sessions(WriteTransaction& tx, std::int64_t user_id, std::int64_t now_ms) {
  const SessionEnd end = session_end_at(now_ms);
  tx.raise_sessions_not_before(user_id, end.sessions_not_before_unix_s);
  tx.revoke_refresh_families_of(user_id, end.families_revoked_at_ms);
}

// ------------------------------------------------------------------ accounts

Result<void> create_account(WriteTransaction& tx, const Account& account) {
  tx.insert_account(account);
  tx.append_change(ChangeKind::kAccount, account.guid);
  return Ok{};
}

Result<void> set_account_active(WriteTransaction& tx, std::string_view guid, bool active) {
  if (!tx.update_account_active(guid, active)) return not_found(kAccountText.not_found);
  tx.append_change(ChangeKind::kAccount, guid);
  return Ok{};
}

// ------------------------------------------------------------------ users and roles

Result<std::int64_t> create_user(WriteTransaction& tx, std::string_view user_name,
                                 std::string_view password_hash) {
  const std::int64_t id = tx.insert_user(user_name, password_hash);
  tx.append_change(ChangeKind::kUser, user_ref(id));
  return id;
}

Result<void> set_user_disabled(WriteTransaction& tx, std::int64_t user_id, bool disabled,
                               std::int64_t now_ms) {
  if (!tx.update_user_disabled(user_id, disabled)) return not_found(kUserText.not_found);
  tx.append_change(ChangeKind::kUser, user_ref(user_id));
  if (disabled) {
    end_sessions(tx, user_id, now_ms);
    // Every token of the user's keys is revoked for good: a later enable must not bring them
    // back (user_store.h).
    append_sorted(tx, ChangeKind::kApiKey, tx.advance_api_key_generations_of(user_id));
  }
  return Ok{};
}

Result<void> set_user_password(WriteTransaction& tx, std::int64_t user_id,
                               std::string_view password_hash, std::int64_t now_ms) {
  if (!tx.update_password_hash(user_id, password_hash)) return not_found(kUserText.not_found);
  end_sessions(tx, user_id, now_ms);
  tx.append_change(ChangeKind::kUser, user_ref(user_id));
  return Ok{};
}

Result<void> grant_role(WriteTransaction& tx, std::int64_t user_id, std::string_view account_guid,
                        Role role) {
  // Checked up front (inside the write transaction) to say which one is missing; the foreign
  // keys stay as the backstop.
  if (!tx.user_exists(user_id)) return not_found("user not found");
  if (!tx.account_exists(account_guid)) return not_found("account not found");
  tx.upsert_role(user_id, account_guid, role);
  tx.append_change(ChangeKind::kUser, user_ref(user_id));
  return Ok{};
}

// ------------------------------------------------------------------ API keys

Result<void> create_api_key(WriteTransaction& tx, const ApiKey& key) {
  const std::vector<std::string> guids = normalised_guids(key.account_guids);
  if (!tx.user_exists(key.user_id)) return not_found("user not found");
  for (const std::string& guid : guids) {
    if (!tx.account_exists(guid)) return not_found("account not found");
  }
  tx.insert_api_key(key);
  for (const std::string& guid : guids) tx.insert_api_key_account(key.api_id, guid);
  tx.append_change(ChangeKind::kApiKey, key.api_id);
  return Ok{};
}

Result<std::int64_t> regenerate_api_key(WriteTransaction& tx, std::string_view api_id,
                                        const tokens::SecretHash& new_hash,
                                        std::int64_t now_unix_s) {
  const auto generation = tx.replace_api_key_secret(api_id, new_hash, now_unix_s);
  if (!generation) return not_found(kApiKeyText.not_found);
  tx.append_change(ChangeKind::kApiKey, api_id);
  return *generation;
}

Result<void> delete_api_key(WriteTransaction& tx, std::string_view api_id) {
  if (!tx.delete_api_key_row(api_id)) return not_found(kApiKeyText.not_found);
  tx.append_change(ChangeKind::kApiKey, api_id);
  return Ok{};
}

Result<void> set_api_key_introspection(WriteTransaction& tx, std::string_view api_id,
                                       bool allowed) {
  if (!tx.update_api_key_introspection(api_id, allowed)) return not_found(kApiKeyText.not_found);
  tx.append_change(ChangeKind::kApiKey, api_id);
  return Ok{};
}

// ------------------------------------------------------------------ signing keys

Result<void> insert_signing_key(WriteTransaction& tx, const SigningKey& key) {
  tx.insert_signing_key_row(key);
  tx.append_change(ChangeKind::kSigningKey, key.kid);
  return Ok{};
}

Result<void> rotate_signing_key(WriteTransaction& tx, const SigningKey& key,
                                std::int64_t retire_others_at_unix_s) {
  tx.insert_signing_key_row(key);
  tx.append_change(ChangeKind::kSigningKey, key.kid);
  append_sorted(tx, ChangeKind::kSigningKey,
                tx.retire_other_signing_keys(key.algorithm, key.kid, retire_others_at_unix_s));
  return Ok{};
}

Result<bool> rotate_signing_key_if_due(WriteTransaction& tx, const SigningKey& key,
                                       std::int64_t retire_others_at_unix_s,
                                       std::int64_t unless_signer_since_unix_s) {
  tx.lock_signing_keys(key.algorithm);
  const auto newest = tx.newest_live_signer_created_at(key.algorithm, key.created_at);
  if (newest && *newest > unless_signer_since_unix_s) return false;
  if (auto rotated = rotate_signing_key(tx, key, retire_others_at_unix_s); !rotated) {
    return std::move(rotated).error();
  }
  return true;
}

Result<void> delete_retired_signing_keys(WriteTransaction& tx, std::int64_t retired_before_unix_s) {
  append_sorted(tx, ChangeKind::kSigningKey,
                tx.delete_signing_keys_retired_before(retired_before_unix_s));
  return Ok{};
}

// ------------------------------------------------------------------ refresh tokens

Result<std::int64_t> create_refresh_family(WriteTransaction& tx, const NewRefreshFamily& family) {
  if (!tx.user_exists(family.user_id)) return not_found("user not found");
  const std::int64_t id = tx.insert_refresh_family(family);
  tx.insert_refresh_token(family.token_hash, id, 1, family.now_ms);
  return id;
}

namespace {
Error changed_concurrently() {
  return make_error(ErrorCode::kStorageUnavailable,
                    "database unavailable: refresh token changed concurrently");
}
}  // namespace

Result<RedeemedRefresh> redeem_refresh_token(WriteTransaction& tx, const RefreshRedemption& r) {
  RefreshTokenStatus status = tx.read_refresh_token_for_update(r.presented);
  RedeemedRefresh out;
  if (status.family) {
    out.family_id = status.family->id;
    out.user_id = status.family->user_id;
    out.scope = std::move(status.scope);
    out.user_name = std::move(status.user_name);
  }
  out.outcome =
      decide_refresh(status.token, status.family, status.user_disabled, r.now_ms, r.policy);

  const RefreshWritePlan plan = plan_refresh_writes(out.outcome, status.family);
  if (plan.retire_presented && !tx.retire_refresh_token(r.presented, r.now_ms)) {
    return changed_concurrently();
  }
  if (plan.advance_from_generation &&
      !tx.advance_refresh_family(out.family_id, *plan.advance_from_generation, r.now_ms)) {
    return changed_concurrently();
  }
  if (plan.successor_generation) {
    out.generation = *plan.successor_generation;
    tx.insert_refresh_token(r.successor, out.family_id, out.generation, r.now_ms);
  }
  if (plan.revoke_family) tx.revoke_refresh_family(out.family_id, r.now_ms);
  return out;
}

Result<void> revoke_refresh_family_of(WriteTransaction& tx, const tokens::TokenHash& token_hash,
                                      std::int64_t now_ms) {
  const auto family_id = tx.refresh_family_of(token_hash);
  if (!family_id) return not_found(kRefreshText.not_found);
  tx.revoke_refresh_family(*family_id, now_ms);  // revoking twice is a no-op
  return Ok{};
}

// ------------------------------------------------------------------ access-token revocation

Result<void> revoke_access_token(WriteTransaction& tx, const RevokedAccessToken& token) {
  // A second revocation keeps the first row; the feed entry is written only once.
  if (tx.insert_revoked_access_token(token)) {
    tx.append_change(ChangeKind::kAccessToken, token.jti);
  }
  return Ok{};
}

}  // namespace connect_auth::storage::mutations
