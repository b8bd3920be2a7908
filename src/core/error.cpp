#include "core/error.h"

namespace connect_auth {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kInvalidClient: return "invalid_client";
    case ErrorCode::kInvalidGrant: return "invalid_grant";
    case ErrorCode::kUnauthorizedClient: return "unauthorized_client";
    case ErrorCode::kUnsupportedGrantType: return "unsupported_grant_type";
    case ErrorCode::kInvalidScope: return "invalid_scope";
    case ErrorCode::kInvalidToken: return "invalid_token";
    case ErrorCode::kInsufficientScope: return "insufficient_scope";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kHeaderFieldsTooLarge: return "request_header_fields_too_large";
    case ErrorCode::kUnsupportedMediaType: return "unsupported_media_type";
    case ErrorCode::kTooManyRequests: return "too_many_requests";
    case ErrorCode::kRequestTimeout: return "request_timeout";
    case ErrorCode::kStorageNotFound: return "not_found";
    case ErrorCode::kStorageConflict: return "conflict";
    case ErrorCode::kStorageUnavailable: return "temporarily_unavailable";
    case ErrorCode::kServiceBusy: return "temporarily_unavailable";
    case ErrorCode::kInternal: return "server_error";
  }
  return "server_error";
}

}  // namespace connect_auth
