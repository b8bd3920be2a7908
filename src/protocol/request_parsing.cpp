#include "protocol/request_parsing.h"

#include <sodium.h>

#include <algorithm>

namespace connect_auth::protocol {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

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

namespace {

// Splits form-encoded text (a query string or a form body) at '&' and '=' and decodes each
// name and value; empty pairs are skipped. visit(name, value) returns false to stop early (its
// result is then returned as is). kInvalidRequest `malformed` if a component does not decode.
template <class Visit>
Result<void> visit_pairs(std::string_view text, const Error& malformed, Visit&& visit) {
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name) return malformed;
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : form_decode(pair.substr(eq + 1));
    if (!value) return malformed;
    auto visited = visit(std::move(*name), std::move(*value));
    if (!visited) return visited;
  }
  return Ok{};
}

// The client's own text in an error description: only if it is short and printable.
std::string quoted_name(const std::string& name) {
  const bool printable = name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                           return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
                         });
  return printable ? "parameter " + name : std::string("a parameter");
}

}  // namespace

// Hand-written rather than Boost.URL's parse_query: in Boost 1.81 the last value of a query
// given as a string_view that is not NUL-terminated is read past the view's end (seen with the
// transport's views into its request buffer; regression test in request_parsing_test.cpp).
Result<std::optional<std::string>> single_query_param(std::string_view query,
                                                      std::string_view name) {
  const Error malformed = make_error(ErrorCode::kInvalidRequest, "the query string is malformed");
  std::optional<std::string> found;
  auto visited = visit_pairs(query, malformed,
                             [&](std::string key, std::string value) -> Result<void> {
                               if (key != name) return Ok{};
                               if (found) {
                                 return make_error(ErrorCode::kInvalidRequest,
                                                   "parameter " + std::string(name) +
                                                       " is repeated");
                               }
                               found = std::move(value);
                               return Ok{};
                             });
  if (!visited) return std::move(visited).error();
  return found;
}

FormParams::~FormParams() {
  for (auto& [name, value] : params_) sodium_memzero(value.data(), value.size());
}

std::optional<std::string_view> FormParams::get(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) {
      if (value.empty()) return std::nullopt;
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

Result<FormParams> parse_form(std::string_view body) {
  const Error malformed = make_error(ErrorCode::kInvalidRequest, "the form body is malformed");
  const std::size_t pairs = static_cast<std::size_t>(std::count(body.begin(), body.end(), '&')) + 1;
  if (pairs > kMaxFormParameters) {
    return make_error(ErrorCode::kInvalidRequest, "the form has too many parameters");
  }
  FormParams form;
  form.reserve(pairs);
  auto visited = visit_pairs(body, malformed,
                             [&](std::string name, std::string value) -> Result<void> {
                               if (name.empty()) {
                                 sodium_memzero(value.data(), value.size());
                                 return malformed;
                               }
                               for (const auto& [earlier, unused] : form.entries()) {
                                 if (earlier != name) continue;
                                 sodium_memzero(value.data(), value.size());
                                 return make_error(ErrorCode::kInvalidRequest,
                                                   quoted_name(name) + " is repeated");
                               }
                               form.add(std::move(name), std::move(value));
                               return Ok{};
                             });
  if (!visited) return std::move(visited).error();
  return form;
}

bool is_form_content_type(std::string_view content_type) {
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  const std::size_t semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  return http::iequals(media, kForm);
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
