#include "transport/response_headers.h"

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

}  // namespace connect_auth::transport
