// The transport's part of every response head: the checks on what a handler hands it, the
// headers only the transport may set, the security headers every answer carries, and the head
// itself, written into a reused buffer. No sockets, so it is testable on its own
// (tests/transport).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

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

// A handler's response the transport may send as it is: a final status (1xx are the
// transport's business), header names that are tokens, values without control characters.
bool response_is_valid(const http::Response& response) noexcept;

// RFC 9110 §8.6, §15.3.5, §15.4.5: a 204 has neither content nor Content-Length; a 304 carries
// no content either.
bool has_no_content(int status) noexcept;

void append_number(std::string& out, std::uint64_t value);

// What the head says beyond the response itself.
struct ResponseHead {
  std::string_view date;        // IMF-fixdate, cached per worker
  bool tls = false;             // Strict-Transport-Security only over TLS
  std::string_view request_id;  // X-Request-Id
  bool keep_alive = true;       // false: Connection: close
  int request_version = 11;     // 10: an HTTP/1.0 keep-alive is said explicitly
};

// Writes the status line and every header of `response` into `out` (cleared first), through the
// blank line that ends the head. Content-Length is the body's
// size, also for HEAD (RFC 9110 §9.3.2), and absent for has_no_content(); headers the transport
// owns are never taken from the handler.
void write_response_head(std::string& out, const http::Response& response,
                         const ResponseHead& head);

}  // namespace connect_auth::transport
