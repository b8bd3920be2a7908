#include "http/error_response.h"

#include <algorithm>
#include <string>

#include "core/json_text.h"

namespace connect_auth::http {

int status_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidRequest: return 400;
    case ErrorCode::kInvalidClient: return 401;  // RFC 6749 §5.2
    case ErrorCode::kInvalidGrant: return 400;
    case ErrorCode::kUnauthorizedClient: return 400;
    case ErrorCode::kUnsupportedGrantType: return 400;
    case ErrorCode::kInvalidScope: return 400;
    case ErrorCode::kInvalidToken: return 401;  // RFC 6750 §3.1
    case ErrorCode::kInsufficientScope: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kHeaderFieldsTooLarge: return 431;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kTooManyRequests: return 429;
    case ErrorCode::kRequestTimeout: return 408;
    case ErrorCode::kStorageNotFound: return 404;
    case ErrorCode::kStorageConflict: return 409;
    case ErrorCode::kStorageUnavailable: return 503;
    case ErrorCode::kServiceBusy: return 503;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

namespace {

constexpr std::string_view kRealm = "connect-auth";

// The one place a WWW-Authenticate challenge is chosen. `credentials_sent`: false when a request
// for a protected resource carried none at all.
std::string challenge_for(ErrorCode code, std::string_view description, bool credentials_sent) {
  if (code == ErrorCode::kInvalidToken && !credentials_sent) {
    // RFC 6750 §3.1: "If the request lacks any authentication information …, the resource
    // server SHOULD NOT include an error code or other error information in it."
    return "Bearer realm=\"" + std::string(kRealm) + "\"";
  }
  if (code == ErrorCode::kInvalidToken || code == ErrorCode::kInsufficientScope) {
    // RFC 6750 §3: the challenge names the error code.
    std::string challenge = "Bearer error=\"";
    challenge.append(error_code_name(code));
    challenge.append("\"");
    if (!description.empty()) {
      challenge.append(", error_description=\"");
      for (char c : description) {
        // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
        const auto byte = static_cast<unsigned char>(c);
        if (c != '"' && c != '\\' && byte >= 0x20 && byte < 0x7f) {
          challenge.push_back(c);
        }
      }
      challenge.append("\"");
    }
    return challenge;
  }
  if (code == ErrorCode::kInvalidClient) {
    // RFC 6749 §5.2: a 401 for invalid_client carries a challenge for the scheme the client may
    // use. We advertise Basic, the standard form of the same credential.
    return "Basic realm=\"" + std::string(kRealm) + "\"";
  }
  return {};
}

Response build_error_response(const Error& error, std::string_view allow, bool credentials_sent) {
  Response response;
  response.status = status_for(error.code);
  response.content_type = "application/json";
  add_no_store_headers(response);

  // Internal failures never show their description: it may hold library or storage detail.
  std::string_view description = error.description;
  if (error.code == ErrorCode::kInternal) description = "internal server error";
  if (error.code == ErrorCode::kStorageUnavailable) {
    description = "the service is temporarily unavailable, retry later";
    response.add_header("Retry-After", "1");
  }

  std::string_view code_name = error_code_name(error.code);
  if (std::string challenge = challenge_for(error.code, description, credentials_sent);
      !challenge.empty()) {
    response.add_header("WWW-Authenticate", std::move(challenge));
  }
  if (error.code == ErrorCode::kMethodNotAllowed && !allow.empty()) {
    response.add_header("Allow", std::string(allow));
  }
  if (error.code == ErrorCode::kTooManyRequests || error.code == ErrorCode::kServiceBusy) {
    response.add_header("Retry-After", std::to_string(std::max(1, error.retry_after_seconds)));
  }

  response.body.reserve(48 + description.size());
  response.body.append("{\"error\":");
  append_json_string(response.body, code_name);
  if (!description.empty()) {
    response.body.append(",\"error_description\":");
    append_json_string(response.body, description);
  }
  response.body.push_back('}');
  return response;
}

}  // namespace

Response error_response(const Error& error, std::string_view allow) {
  return build_error_response(error, allow, /*credentials_sent=*/true);
}

Response bearer_required_response() {
  return build_error_response(make_error(ErrorCode::kInvalidToken, "a bearer token is required"),
                              {},
                              /*credentials_sent=*/false);
}

}  // namespace connect_auth::http
