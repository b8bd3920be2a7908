#include "domain/client_credential.h"

#include <sodium.h>

#include "core/base64.h"

namespace connect_auth::domain {

ClientCredential::~ClientCredential() { sodium_memzero(secret.data(), secret.size()); }

Result<ClientCredential> decode_client_credential(std::string_view encoded) {
  const Error malformed = make_error(ErrorCode::kInvalidRequest, "malformed client credential");
  if (encoded.empty() || encoded.size() > kMaxEncodedCredentialBytes) return malformed;
  auto decoded = decode_base64(encoded);
  if (!decoded) return malformed;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == decoded->size()) {
    sodium_memzero(decoded->data(), decoded->size());
    return malformed;
  }
  ClientCredential credential;
  credential.api_id = decoded->substr(0, colon);
  credential.secret = decoded->substr(colon + 1);
  sodium_memzero(decoded->data(), decoded->size());
  return credential;
}

bool is_well_formed_api_id(std::string_view api_id) noexcept {
  if (api_id.size() != kApiIdLength) return false;
  for (char c : api_id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace connect_auth::domain
