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

}  // namespace connect_auth::domain
