#include "domain/v3_grant.h"

namespace connect_auth::domain {

Result<IssuedV3Token> grant_v3_token(const ClientCredential& credential, const AuthView& view,
                                     const V3TokenCodec& codec, const tokens::SecretHasher& hasher,
                                     const Clock& clock, Random& random) {
  static const storage::SecretHash kNoSuchKeyHash{};  // compared against when the id is unknown
  const KeyEntry* key = view.find_key(credential.api_id);
  const bool secret_ok = hasher.matches(credential.secret, key ? key->secret_hash : kNoSuchKeyHash);
  const UserEntry* owner = key ? view.find_user(key->user_id) : nullptr;
  if (key == nullptr || !secret_ok || owner == nullptr || owner->disabled) {
    return make_error(ErrorCode::kInvalidClient, "client authentication failed");
  }
  const tokens::JwsKey* signing_key =
      view.signing_keys ? view.signing_keys->signing_key(tokens::JwsAlgorithm::kHs256) : nullptr;
  if (signing_key == nullptr) {
    return make_error(ErrorCode::kStorageUnavailable, "no signing key is available");
  }
  IssuedV3Token issued;
  issued.access_token =
      codec.mint(*signing_key, credential.api_id, key->generation, clock.now_seconds(), random);
  issued.expires_in = codec.settings().lifetime_seconds;
  return issued;
}

}  // namespace connect_auth::domain
