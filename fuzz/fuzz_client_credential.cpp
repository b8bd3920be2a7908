// Fuzzes the decoder of the v3 `user` header (bad-inputs.md §B): base64(API_ID ":" API_SECRET).
// Invariants: never a crash; every refusal is the one documented invalid_request; an accepted
// credential is exactly the decoded bytes split at the first colon, with nothing truncated,
// normalised or invented.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "domain/client_credential.h"
#include "fuzz_check.h"

using connect_auth::decode_base64;
using connect_auth::encode_base64;
using connect_auth::ErrorCode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto credential = connect_auth::domain::decode_client_credential(input);
  const auto decoded = decode_base64(input);

  if (!credential.ok()) {
    // One consistent answer for every malformed credential, whatever was wrong with it.
    FUZZ_CHECK(credential.error().code == ErrorCode::kInvalidRequest);
    FUZZ_CHECK(credential.error().description == "malformed client credential");
    // It was refused for a documented reason: too long/empty, not base64, or no usable colon.
    if (!input.empty() && size <= connect_auth::domain::kMaxEncodedCredentialBytes && decoded) {
      const std::size_t colon = decoded->find(':');
      FUZZ_CHECK(colon == std::string::npos || colon == 0 || colon + 1 == decoded->size());
    }
    return 0;
  }

  const std::string& api_id = credential->api_id;
  const std::string& secret = credential->secret;
  FUZZ_CHECK(!input.empty());
  FUZZ_CHECK(size <= connect_auth::domain::kMaxEncodedCredentialBytes);
  FUZZ_CHECK(!api_id.empty());
  FUZZ_CHECK(!secret.empty());
  // Split at the FIRST colon: the id never holds one, the secret may.
  FUZZ_CHECK(api_id.find(':') == std::string::npos);

  // The parts rejoin to exactly the decoded bytes, and re-encoding them round-trips.
  FUZZ_CHECK(decoded.has_value());
  const std::string joined = api_id + ":" + secret;
  FUZZ_CHECK(joined == *decoded);
  const auto round_trip = decode_base64(encode_base64(joined));
  FUZZ_CHECK(round_trip.has_value() && *round_trip == *decoded);
  // The accepted text is the canonical encoding, give or take optional padding.
  std::string canonical = encode_base64(joined);
  if (input.back() != '=') {
    while (!canonical.empty() && canonical.back() == '=') canonical.pop_back();
  }
  FUZZ_CHECK(canonical == input);
  return 0;
}
