// The one closed vocabulary of failures in connect-auth. Every layer returns these values;
// http/error_response.cpp is the single place that turns them into status, headers and body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace connect_auth {

enum class ErrorCode : std::uint8_t {
  // RFC 6749 §5.2 (token endpoint errors).
  kInvalidRequest,
  kInvalidClient,
  kInvalidGrant,
  kUnauthorizedClient,
  kUnsupportedGrantType,
  kInvalidScope,
  // RFC 6750 §3.1 (protected resource errors).
  kInvalidToken,
  kInsufficientScope,
  // HTTP-level refusals that carry no OAuth code on the wire.
  kNotFound,
  kMethodNotAllowed,
  kPayloadTooLarge,
  kHeaderFieldsTooLarge,
  kUnsupportedMediaType,
  kTooManyRequests,
  kRequestTimeout,
  // Storage outcomes. Unavailable is a 503 on the wire, never invalid_grant.
  kStorageNotFound,
  kStorageConflict,
  kStorageUnavailable,
  // A bounded worker pool is full: 503 with Retry-After, answered at once (never queued).
  kServiceBusy,
  // A bug or an unexpected library failure; the wire never sees its description.
  kInternal,
};

// Stable lowercase name, e.g. "invalid_request"; used on the wire and in logs.
std::string_view error_code_name(ErrorCode code) noexcept;

struct Error {
  ErrorCode code;
  // Safe to show to a client: never a secret, SQL, a path or a library message.
  std::string description;
  // For kTooManyRequests and kServiceBusy: the Retry-After the client is given (0 = default 1).
  std::int32_t retry_after_seconds = 0;
};

inline Error make_error(ErrorCode code, std::string description) {
  return Error{code, std::move(description)};
}

}  // namespace connect_auth
