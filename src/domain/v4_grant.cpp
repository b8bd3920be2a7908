#include "domain/v4_grant.h"

#include <algorithm>
#include <array>

#include "core/log.h"
#include "domain/refresh_token.h"

namespace connect_auth::domain {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;

Error bad_password() {
  return make_error(ErrorCode::kInvalidGrant, "the user name or password is incorrect");
}

Error bad_refresh_token() {
  return make_error(ErrorCode::kInvalidGrant, "the refresh token is invalid or expired");
}

Error no_signing_key() {
  return make_error(ErrorCode::kInternal, "no RS256 signing key is available");
}

const tokens::JwsKey* rs256_signing_key(const AuthView& view) {
  return view.signing_keys ? view.signing_keys->signing_key(tokens::JwsAlgorithm::kRs256) : nullptr;
}

// A token minted in the second the user's sessions were cut (sessions_not_before = that second
// + 1) would be refused at once; dating it to the cut keeps it valid and still after it.
std::int64_t issue_time(std::int64_t now, std::int64_t sessions_not_before) {
  return std::max(now, sessions_not_before);
}

// The second a millisecond falls in, so iat agrees with the refresh timestamps.
std::int64_t floor_seconds(std::int64_t ms) {
  return ms >= 0 ? ms / kMsPerSecond : -((-ms + kMsPerSecond - 1) / kMsPerSecond);
}

std::string_view outcome_name(storage::RefreshOutcome outcome) {
  switch (outcome) {
    case storage::RefreshOutcome::kRotated: return "rotated";
    case storage::RefreshOutcome::kReplayedInGrace: return "replayed_in_grace";
    case storage::RefreshOutcome::kUnknown: return "unknown";
    case storage::RefreshOutcome::kExpired: return "expired";
    case storage::RefreshOutcome::kRevoked: return "revoked";
    case storage::RefreshOutcome::kReuseDetected: return "reuse_detected";
    case storage::RefreshOutcome::kUserDisabled: return "user_disabled";
  }
  return "unknown";
}

}  // namespace

V4GrantService::V4GrantService(storage::Store& store, const V4TokenCodec& codec,
                               const PasswordHasher& passwords,
                               const tokens::SecretHasher& token_hasher, LoginThrottle& throttle,
                               const Clock& clock, Random& random, V4GrantSettings settings)
    : store_(store),
      codec_(codec),
      passwords_(passwords),
      token_hasher_(token_hasher),
      throttle_(throttle),
      clock_(clock),
      random_(random),
      settings_(settings) {}

std::string V4GrantService::mint(const tokens::JwsKey& key, std::int64_t user_id,
                                 std::string_view user_name, bool offline_access,
                                 std::int64_t issued_at) {
  const std::array<std::string_view, 1> offline{kOfflineAccess};
  const std::span<const std::string_view> scopes = offline_access
                                                       ? std::span<const std::string_view>(offline)
                                                       : std::span<const std::string_view>();
  return codec_.mint(key, user_id, user_name, scopes, issued_at, random_);
}

Result<IssuedV4Tokens> V4GrantService::password_grant(const PasswordGrantInput& input,
                                                      const AuthView& view) {
  const std::int64_t now_ms = clock_.now_millis();
  const std::int64_t now = floor_seconds(now_ms);
  const ThrottleKeys keys = ThrottleKeys::of(input.user_name, input.source_address);

  // A blocked attempt is refused before any password work and is not counted.
  auto checked = throttle_.check(keys, now_ms);
  if (!checked) {
    if (checked.error().code == ErrorCode::kTooManyRequests) {
      log::info("v4_password_throttled", {{"source", input.source_address},
                                          {"retry_after", checked.error().retry_after_seconds}});
    }
    return std::move(checked).error();
  }

  auto user = store_.find_user_by_name(input.user_name);
  if (!user && user.error().code != ErrorCode::kStorageNotFound) return std::move(user).error();
  bool verified = false;
  if (user) {
    verified = passwords_.verify(user->password_hash, input.password);
  } else {
    passwords_.verify_dummy(input.password);  // the same work as for a real user (§F)
  }

  if (!verified || user->disabled) {
    // Not recording the failure would let an attacker guess freely while the counters are down.
    if (auto recorded = throttle_.record_failure(keys, now_ms); !recorded) {
      return std::move(recorded).error();
    }
    const std::string_view reason =
        !user ? "unknown_user" : (!verified ? "wrong_password" : "user_disabled");
    log::info("v4_password_grant_failed", {{"reason", reason},
                                           {"user_id", user ? user->id : std::int64_t{0}},
                                           {"source", input.source_address}});
    return bad_password();
  }

  if (auto cleared = throttle_.record_success(keys, *checked); !cleared) {
    return std::move(cleared).error();
  }
  const tokens::JwsKey* key = rs256_signing_key(view);
  if (key == nullptr) return no_signing_key();

  IssuedV4Tokens issued;
  std::int64_t family_id = 0;
  if (input.offline_access) {
    std::string refresh_token = new_refresh_token(random_);
    storage::NewRefreshFamily family;
    family.token_hash = hash_refresh_token(token_hasher_, refresh_token);
    family.user_id = user->id;
    family.scope = std::string(kOfflineAccess);
    family.now_ms = now_ms;
    family.absolute_expires_at_ms = now_ms + settings_.absolute_lifetime_seconds * kMsPerSecond;
    // Committed durably before we answer: a 200 never carries a token the store could lose.
    auto created = store_.create_refresh_family(family);
    if (!created) {
      // The user existed a moment ago; whatever happened since, this login found no account.
      if (created.error().code == ErrorCode::kStorageNotFound) return bad_password();
      return std::move(created).error();
    }
    family_id = *created;
    issued.refresh_token = std::move(refresh_token);
    issued.scope = std::string(kOfflineAccess);
  }
  issued.access_token = mint(*key, user->id, user->user_name, input.offline_access,
                             issue_time(now, user->sessions_not_before));
  issued.expires_in = codec_.settings().lifetime_seconds;
  log::info(
      "v4_password_grant_succeeded",
      {{"user_id", user->id}, {"offline_access", input.offline_access}, {"family_id", family_id}});
  return issued;
}

Result<IssuedV4Tokens> V4GrantService::refresh_grant(const RefreshGrantInput& input,
                                                     const AuthView& view) {
  // offline_access is the only scope there is, and every refresh token was granted it: a
  // request may repeat it or leave scope out (RFC 6749 §6: then the granted scope applies).
  if (input.scope_present && !input.offline_access) {
    return make_error(ErrorCode::kInvalidScope,
                      "a refresh request may only ask for offline_access");
  }
  if (!is_refresh_token_shape(input.refresh_token)) return bad_refresh_token();
  // Checked before the rotation commits: a rotated token whose answer we cannot sign is lost.
  const tokens::JwsKey* key = rs256_signing_key(view);
  if (key == nullptr) return no_signing_key();

  const std::int64_t now_ms = clock_.now_millis();
  const std::int64_t now = floor_seconds(now_ms);
  std::string successor = new_refresh_token(random_);
  storage::RefreshRedemption redemption;
  redemption.presented = hash_refresh_token(token_hasher_, input.refresh_token);
  redemption.successor = hash_refresh_token(token_hasher_, successor);
  redemption.now_ms = now_ms;
  redemption.policy.grace_ms = settings_.grace_period_seconds * kMsPerSecond;
  redemption.policy.idle_ms = settings_.idle_lifetime_seconds * kMsPerSecond;

  auto redeemed = store_.redeem_refresh_token(redemption);
  if (!redeemed) {
    // Only a store fault gets here; it must not read as "this token is bad" (bad-inputs §E).
    if (redeemed.error().code == ErrorCode::kStorageNotFound) return bad_refresh_token();
    log::warn("v4_refresh_storage_failed", {{"code", error_code_name(redeemed.error().code)}});
    return std::move(redeemed).error();
  }

  switch (redeemed->outcome) {
    case storage::RefreshOutcome::kRotated:
    case storage::RefreshOutcome::kReplayedInGrace: break;
    case storage::RefreshOutcome::kReuseDetected:
      log::warn("v4_refresh_reuse_detected",
                {{"family_id", redeemed->family_id}, {"user_id", redeemed->user_id}});
      return bad_refresh_token();
    default:
      log::info("v4_refresh_refused", {{"outcome", outcome_name(redeemed->outcome)},
                                       {"family_id", redeemed->family_id},
                                       {"user_id", redeemed->user_id}});
      return bad_refresh_token();
  }

  const UserEntry* user = view.find_user(redeemed->user_id);
  const std::int64_t issued_at = issue_time(now, user ? user->sessions_not_before : 0);
  const bool offline_access = redeemed->scope == kOfflineAccess;
  IssuedV4Tokens issued;
  issued.access_token =
      mint(*key, redeemed->user_id, redeemed->user_name, offline_access, issued_at);
  issued.expires_in = codec_.settings().lifetime_seconds;
  issued.refresh_token = std::move(successor);
  issued.scope = redeemed->scope;
  log::info("v4_refresh_grant_succeeded", {{"outcome", outcome_name(redeemed->outcome)},
                                           {"family_id", redeemed->family_id},
                                           {"user_id", redeemed->user_id},
                                           {"generation", redeemed->generation}});
  return issued;
}

}  // namespace connect_auth::domain
