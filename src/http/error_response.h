// The single mapping from an Error to what goes on the wire: status, headers and body.
// Token endpoints use the RFC 6749 §5.2 JSON shape; protected resources add the RFC 6750 §3
// WWW-Authenticate challenge, built here and nowhere else. Every error response carries
// Cache-Control: no-store.
#pragma once

#include "core/error.h"
#include "http/message.h"

namespace connect_auth::http {

int status_for(ErrorCode code) noexcept;

// Builds the full response for an error. `allow` is used for 405 (the Allow header value).
Response error_response(const Error& error, std::string_view allow = {});

// RFC 6750 §3.1: a protected resource asked without any credentials answers 401 with the bare
// challenge `Bearer realm="connect-auth"`, without an error code: the client made no mistake a
// code could name, it only has to learn that a bearer token is needed. (A bad token is an
// error_response(kInvalidToken): its challenge says error="invalid_token".)
Response bearer_required_response();

}  // namespace connect_auth::http
