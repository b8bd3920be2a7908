// The single mapping from an Error to what goes on the wire: status, headers and body.
// Token endpoints use the RFC 6749 §5.2 JSON shape; protected resources add the RFC 6750 §3
// WWW-Authenticate challenge. Every error response carries Cache-Control: no-store.
#pragma once

#include "core/error.h"
#include "http/message.h"

namespace connect_auth::http {

int status_for(ErrorCode code) noexcept;

// Builds the full response for an error. `allow` is used for 405 (the Allow header value).
Response error_response(const Error& error, std::string_view allow = {});

}  // namespace connect_auth::http
