// The backend-neutral half of every store mutation: what is checked, what is written, and which
// change-feed entries it appends, expressed against WriteTransaction and run by each backend
// inside its own transaction. The Store methods of every engine are these functions plus a
// transaction; their contracts are documented on the Store interfaces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/write_transaction.h"

namespace connect_auth::storage::mutations {

// --- rules shared by several mutations

// Account guids of a key as stored: sorted, each once.
std::vector<std::string> normalised_guids(std::vector<std::string> guids);

// Ending a user's sessions at now_ms: access tokens issued up to now are refused (iat has
// one-second resolution, hence the next second) and every live refresh family is revoked.
struct SessionEnd {
  std::int64_t sessions_not_before_unix_s = 0;
  std::int64_t families_revoked_at_ms = 0;
};
SessionEnd session_end_at(std::int64_t now_ms);
void end_sessions(WriteTransaction& tx, std::int64_t user_id, std::int64_t now_ms);

// --- accounts
Result<void> create_account(WriteTransaction& tx, const Account& account);
Result<void> set_account_active(WriteTransaction& tx, std::string_view guid, bool active);

// --- users and roles
Result<std::int64_t> create_user(WriteTransaction& tx, std::string_view user_name,
                                 std::string_view password_hash);
Result<void> set_user_disabled(WriteTransaction& tx, std::int64_t user_id, bool disabled,
                               std::int64_t now_ms);
Result<void> set_user_password(WriteTransaction& tx, std::int64_t user_id,
                               std::string_view password_hash, std::int64_t now_ms);
Result<void> grant_role(WriteTransaction& tx, std::int64_t user_id, std::string_view account_guid,
                        Role role);

// --- API keys
Result<void> create_api_key(WriteTransaction& tx, const ApiKey& key);
Result<std::int64_t> regenerate_api_key(WriteTransaction& tx, std::string_view api_id,
                                        const tokens::SecretHash& new_hash,
                                        std::int64_t now_unix_s);
Result<void> delete_api_key(WriteTransaction& tx, std::string_view api_id);
Result<void> set_api_key_introspection(WriteTransaction& tx, std::string_view api_id, bool allowed);

// --- signing keys
Result<void> insert_signing_key(WriteTransaction& tx, const SigningKey& key);
Result<void> rotate_signing_key(WriteTransaction& tx, const SigningKey& key,
                                std::int64_t retire_others_at_unix_s);
Result<bool> rotate_signing_key_if_due(WriteTransaction& tx, const SigningKey& key,
                                       std::int64_t retire_others_at_unix_s,
                                       std::int64_t unless_signer_since_unix_s);
Result<void> delete_retired_signing_keys(WriteTransaction& tx, std::int64_t retired_before_unix_s);

// --- refresh tokens
Result<std::int64_t> create_refresh_family(WriteTransaction& tx, const NewRefreshFamily& family);
// decide_refresh on the rows read under the family lock, then plan_refresh_writes executed. A
// conditional write that matches nothing means the rows changed under us, which the family
// lock rules out: kStorageUnavailable (retry), never a guessed outcome.
Result<RedeemedRefresh> redeem_refresh_token(WriteTransaction& tx, const RefreshRedemption& r);
Result<void> revoke_refresh_family_of(WriteTransaction& tx, const tokens::TokenHash& token_hash,
                                      std::int64_t now_ms);

// --- access-token revocation
Result<void> revoke_access_token(WriteTransaction& tx, const RevokedAccessToken& token);

}  // namespace connect_auth::storage::mutations
