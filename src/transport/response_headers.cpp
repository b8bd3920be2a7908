#include "transport/response_headers.h"

#include <ostream>  // before Beast: boost/core string_view needs it complete

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>

#include "http/message.h"

namespace connect_auth::transport {

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::strchr("\"(),/:;<=>?@[\\]{}", c) != nullptr) return false;
  }
  return true;
}

bool is_field_value(std::string_view s) noexcept {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

bool is_transport_header(std::string_view name) noexcept {
  for (std::string_view owned :
       {"Content-Length", "Transfer-Encoding", "Connection", "X-Request-Id", "Date",
        "Strict-Transport-Security", "X-Content-Type-Options"}) {
    if (http::iequals(name, owned)) return true;
  }
  return false;
}

void append_security_headers(std::string& out, bool tls) {
  if (tls) out.append("\r\nStrict-Transport-Security: max-age=31536000");
  out.append("\r\nX-Content-Type-Options: nosniff");
}

bool response_is_valid(const http::Response& response) noexcept {
  if (response.status < 200 || response.status > 599) return false;
  if (!is_field_value(response.content_type)) return false;
  for (const auto& [name, value] : response.headers) {
    if (!is_token(name) || !is_field_value(value)) return false;
  }
  return true;
}

bool has_no_content(int status) noexcept { return status == 204 || status == 304; }

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, end);
}

void write_response_head(std::string& out, const http::Response& response,
                         const ResponseHead& head) {
  namespace bhttp = boost::beast::http;
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(response.status));
  out.push_back(' ');
  const auto code = bhttp::int_to_status(static_cast<unsigned>(response.status));
  const boost::beast::string_view reason = code == bhttp::status::unknown
                                               ? boost::beast::string_view("Unknown")
                                               : bhttp::obsolete_reason(code);
  out.append(reason.data(), reason.size());
  out.append("\r\nDate: ");
  out.append(head.date);
  append_security_headers(out, head.tls);
  if (!response.content_type.empty()) {
    out.append("\r\nContent-Type: ");
    out.append(response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    if (is_transport_header(name)) continue;
    out.append("\r\n");
    out.append(name);
    out.append(": ");
    out.append(value);
  }
  out.append("\r\nX-Request-Id: ");
  out.append(head.request_id);
  if (!has_no_content(response.status)) {
    out.append("\r\nContent-Length: ");
    append_number(out, response.body.size());
  }
  if (!head.keep_alive) {
    out.append("\r\nConnection: close");
  } else if (head.request_version == 10) {
    out.append("\r\nConnection: keep-alive");
  }
  out.append("\r\n\r\n");
}

}  // namespace connect_auth::transport
