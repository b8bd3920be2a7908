#include "protocol/request_parsing.h"

namespace connect_auth::protocol {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding (RFC 6749 §3.2 / URL Standard): %XX and '+'.
std::optional<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

// Hand-written rather than Boost.URL's parse_query: in Boost 1.81 the last value of a query
// given as a string_view that is not NUL-terminated is read past the view's end (seen with the
// transport's views into its request buffer; regression test in request_parsing_test.cpp).
Result<std::optional<std::string>> single_query_param(std::string_view query,
                                                      std::string_view name) {
  const Error malformed = make_error(ErrorCode::kInvalidRequest, "the query string is malformed");
  std::optional<std::string> found;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    if (!key) return malformed;
    if (*key != name) continue;
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : form_decode(pair.substr(eq + 1));
    if (!value) return malformed;
    if (found) {
      return make_error(ErrorCode::kInvalidRequest,
                        "parameter " + std::string(name) + " is repeated");
    }
    found = std::move(*value);
  }
  return found;
}

Result<std::optional<std::string_view>> single_header(const http::Request& request,
                                                      std::string_view name) {
  std::optional<std::string_view> found;
  for (const http::Header& header : request.headers) {
    if (!http::iequals(header.name, name)) continue;
    if (found) {
      return make_error(ErrorCode::kInvalidRequest, "header " + std::string(name) + " is repeated");
    }
    found = header.value;
  }
  return found;
}

std::optional<std::string_view> credentials_for_scheme(std::string_view authorization,
                                                       std::string_view scheme) {
  if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ') {
    return std::nullopt;
  }
  if (!http::iequals(authorization.substr(0, scheme.size()), scheme)) return std::nullopt;
  std::string_view rest = authorization.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

}  // namespace connect_auth::protocol
