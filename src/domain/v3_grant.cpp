#include "domain/v3_grant.h"

#include "domain/client_auth.h"

namespace connect_auth::domain {

Result<IssuedV3Token> grant_v3_token(const ClientCredential& credential, const AuthView& view,
                                     const V3TokenCodec& codec, const tokens::SecretHasher& hasher,
                                     const Clock& clock, Random& random) {
  auto authenticated = authenticate_api_key(credential, view, hasher);
  if (!authenticated) return std::move(authenticated).error();
  return issue_v3_token(credential.api_id, **authenticated, view, codec, clock, random);
}

Result<IssuedV3Token> issue_v3_token(std::string_view api_id, const KeyEntry& key,
                                     const AuthView& view, const V3TokenCodec& codec,
                                     const Clock& clock, Random& random) {
  const tokens::JwsKey* signing_key =
      view.signing_keys ? view.signing_keys->signing_key(tokens::JwsAlgorithm::kHs256) : nullptr;
  if (signing_key == nullptr) {
    return make_error(ErrorCode::kStorageUnavailable, "no signing key is available");
  }
  IssuedV3Token issued;
  issued.access_token =
      codec.mint(*signing_key, api_id, key.generation, clock.now_seconds(), random);
  issued.expires_in = codec.settings().lifetime_seconds;
  return issued;
}

}  // namespace connect_auth::domain
