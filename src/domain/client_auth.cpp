#include "domain/client_auth.h"

#include <sodium.h>

namespace connect_auth::domain {

PresentedClient::~PresentedClient() {
  if (client_secret) sodium_memzero(client_secret->data(), client_secret->size());
}

Result<const KeyEntry*> authenticate_api_key(const ClientCredential& credential,
                                             const AuthView& view,
                                             const tokens::SecretHasher& hasher) {
  static const tokens::SecretHash kNoSuchKeyHash{};  // compared against when the id is unknown
  const KeyEntry* key = view.find_key(credential.api_id);
  const bool secret_ok = hasher.matches(credential.secret, key ? key->secret_hash : kNoSuchKeyHash);
  const UserEntry* owner = key ? view.find_user(key->user_id) : nullptr;
  if (key == nullptr || !secret_ok || owner == nullptr || owner->disabled) {
    return make_error(ErrorCode::kInvalidClient, "client authentication failed");
  }
  return key;
}

Result<AuthenticatedClient> authenticate_client(const PresentedClient& presented,
                                                const AuthView& view,
                                                const tokens::SecretHasher& hasher,
                                                std::string_view first_party_client_id) {
  const Error failed = make_error(ErrorCode::kInvalidClient, "client authentication failed");
  AuthenticatedClient client;
  if (!presented.client_id || *presented.client_id == first_party_client_id) {
    // A public client has no secret: one sent along is a confused or forged client.
    if (presented.client_secret) return failed;
    client.kind = AuthenticatedClient::Kind::kFirstParty;
    client.anonymous = !presented.client_id.has_value();
    client.client_id = std::string(first_party_client_id);
    return client;
  }
  if (!presented.client_secret || presented.client_secret->empty()) return failed;
  const ClientCredential credential(*presented.client_id, *presented.client_secret);
  auto key = authenticate_api_key(credential, view, hasher);
  if (!key) return std::move(key).error();
  client.kind = AuthenticatedClient::Kind::kApiKey;
  client.client_id = *presented.client_id;
  client.key = *key;
  return client;
}

}  // namespace connect_auth::domain
