// The v3 client-credentials grant as a pure function: (credential, auth view, codec, hasher,
// clock, random) → a signed token or an OAuth error. No sockets, no store round-trip.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "domain/auth_view.h"
#include "domain/client_credential.h"
#include "domain/v3_tokens.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain {

struct IssuedV3Token {
  std::string access_token;
  std::int64_t expires_in = 0;
};

// Unknown id, wrong secret, deleted key and a disabled owner all yield the same kInvalidClient
// error, after the same work (one keyed hash and one constant-time compare), so neither the
// answer nor its timing tells them apart (wire-contract §2).
Result<IssuedV3Token> grant_v3_token(const ClientCredential& credential, const AuthView& view,
                                     const V3TokenCodec& codec, const tokens::SecretHasher& hasher,
                                     const Clock& clock, Random& random);

// The token for a key already authenticated (authenticate_api_key): what grant_v3_token does
// after the credential check. /oauth2/token's client_credentials grant uses it directly.
Result<IssuedV3Token> issue_v3_token(std::string_view api_id, const KeyEntry& key,
                                     const AuthView& view, const V3TokenCodec& codec,
                                     const Clock& clock, Random& random);

}  // namespace connect_auth::domain
