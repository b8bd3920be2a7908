// The v3 client credential: base64(API_ID ":" API_SECRET), sent in the `user` header or as
// `Authorization: Basic`. Decoding is strict so that no truncated or normalised id is ever looked
// up (bad-inputs.md §B).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace connect_auth::domain {

// Encoded credentials longer than this are malformed (ids are 25 chars, secrets 43).
constexpr std::size_t kMaxEncodedCredentialBytes = 1024;
constexpr std::size_t kApiIdLength = 25;

struct ClientCredential {
  std::string api_id;
  std::string secret;

  ClientCredential() = default;
  ClientCredential(std::string id, std::string secret_value)
      : api_id(std::move(id)), secret(std::move(secret_value)) {}
  ClientCredential(ClientCredential&&) noexcept = default;
  ClientCredential& operator=(ClientCredential&&) noexcept = default;
  ClientCredential(const ClientCredential&) = delete;
  ClientCredential& operator=(const ClientCredential&) = delete;
  ~ClientCredential();  // wipes the secret
};

// Result: the id and secret split at the FIRST colon (a secret may contain ':').
// Errors (all kInvalidRequest, "malformed client credential"): empty, too long, not base64
// (whitespace, other alphabets, bad padding), no colon, empty id, empty secret.
// Ids of the wrong shape are NOT rejected here: they simply match no key (401 invalid_client),
// so the answer does not reveal what a valid id looks like beyond the public documentation.
Result<ClientCredential> decode_client_credential(std::string_view encoded);

// True for 25 characters of [A-Z0-9].
bool is_well_formed_api_id(std::string_view api_id) noexcept;

}  // namespace connect_auth::domain
