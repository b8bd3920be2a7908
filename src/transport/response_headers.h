// The transport's part of every response head: the headers only it may set, the checks on the
// ones a handler hands it, and the security headers every answer carries. Without Beast, so it
// is testable on its own (tests/transport).
#pragma once

#include <string>
#include <string_view>

namespace connect_auth::transport {

// Header names and values the application hands us must not be able to split the response.
bool is_token(std::string_view s) noexcept;
bool is_field_value(std::string_view s) noexcept;

// Headers the transport writes itself: framing (one set by a handler would contradict ours) and
// the security headers below (one answer must not carry two different policies).
bool is_transport_header(std::string_view name) noexcept;

// Appends, as "\r\nName: value" lines, the headers of every answer, handler's or transport's:
// X-Content-Type-Options: nosniff, so no browser sniffs a JSON error into something it runs; and
// on HTTPS only Strict-Transport-Security, a year, which browsers ignore over plain HTTP anyway
// (RFC 6797 §7.2) and which behind a TLS-terminating proxy (--insecure-http) is the proxy's call.
void append_security_headers(std::string& out, bool tls);

}  // namespace connect_auth::transport
