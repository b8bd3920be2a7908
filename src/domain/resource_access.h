// Bearer-token authentication for data endpoints (wire-contract §4) and what the caller may see.
// Tokens of both kinds are accepted everywhere: a v3 token (HS256) stands for an API key, a v4
// token (RS256) for a user. The key found by the token's kid decides which, never the token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/auth_view.h"
#include "domain/v3_tokens.h"
#include "domain/v4_tokens.h"

namespace connect_auth::domain {

struct Principal {
  enum class Kind : std::uint8_t { kApiKey, kUser };
  Kind kind = Kind::kApiKey;
  std::string api_id;               // kApiKey
  const KeyEntry* key = nullptr;    // kApiKey; valid as long as the AuthView it came from
  std::int64_t user_id = 0;         // kUser: the user; kApiKey: the key's owner
  const UserEntry* user = nullptr;  // the user or the key's owner; same lifetime as `key`
};

struct BearerCodecs {
  const V3TokenCodec& v3;
  const V4TokenCodec* v4 = nullptr;  // null: v4 tokens are refused
};

// What a verified token says beyond who it stands for (introspection, revocation).
struct BearerFacts {
  tokens::JwsAlgorithm algorithm = tokens::JwsAlgorithm::kHs256;  // kRs256: a v4 token
  std::string jti;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
  std::vector<std::string> scopes;  // v4 only
};

struct VerifiedBearer {
  Principal principal;
  BearerFacts facts;
};

// Verifies the signature once, then the claims of the token's kind, then that it is still
// backed by the view: not revoked by its jti; a v3 token by a live key of the same generation
// whose owner is enabled; a v4 token by an enabled user whose sessions began no later than the
// token (iat ≥ sessions_not_before). Every failure is kInvalidToken.
Result<VerifiedBearer> verify_bearer(std::string_view token, const AuthView& view,
                                     const BearerCodecs& codecs, std::int64_t now);
// verify_bearer's principal, for the data endpoints.
Result<Principal> authenticate_bearer(std::string_view token, const AuthView& view,
                                      const BearerCodecs& codecs, std::int64_t now);
// v3 tokens only (v4 tokens are refused).
Result<Principal> authenticate_bearer(std::string_view token, const AuthView& view,
                                      const V3TokenCodec& codec, std::int64_t now);

struct VisibleAccount {
  std::string_view guid;
  const AccountEntry* account;
};

// The active accounts the principal may reach, in guid order: for a key, those granted to it on
// which its owner still holds a role; for a user, those where it holds a role.
std::vector<VisibleAccount> visible_accounts(const Principal& principal, const AuthView& view);

}  // namespace connect_auth::domain
