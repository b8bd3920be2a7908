// Access tokens revoked by their jti (RFC 7009) before they expire on their own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace connect_auth::storage {

struct RevokedAccessToken {
  std::string jti;
  // Unix seconds after which the token fails on its own: its exp plus the verification leeway.
  std::int64_t expires_at = 0;
};

class AccessTokenRevocationStore {
 public:
  virtual ~AccessTokenRevocationStore() = default;

  // The jti is refused until expires_at; a kAccessToken change (ref = jti) carries the
  // revocation to every node's cache. Revoking twice succeeds and appends no second change.
  virtual Result<void> revoke_access_token(const RevokedAccessToken& token) = 0;
  // kStorageNotFound if the jti is not (or no longer) on the list.
  virtual Result<RevokedAccessToken> find_revoked_access_token(std::string_view jti) = 0;
  // Forgets revocations of tokens that expired before the given second. No change.
  virtual Result<void> prune_revoked_access_tokens(std::int64_t expired_before_unix_s) = 0;
};

}  // namespace connect_auth::storage
