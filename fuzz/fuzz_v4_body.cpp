// Fuzzes the v4 token request body parser (bad-inputs.md §C). Input: the body, or
// "#<content type>\n<body>" to vary the Content-Type header. Invariants:
//   - an accepted body is one JSON object that Boost.JSON's own DOM parser (the independent
//     oracle) also accepts, and every value we return equals the DOM's member of that name;
//   - the grant's members are present, non-empty and within their caps; the other grant's are
//     empty; offline_access implies scope_present;
//   - a body the DOM parser refuses is refused by us as invalid_request;
//   - every refusal is one of the three codes, with a short printable description.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "protocol/v4_request.h"

namespace {

namespace json = boost::json;
using connect_auth::ErrorCode;
using connect_auth::protocol::V4TokenRequest;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view member_string(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  FUZZ_CHECK(value != nullptr);
  FUZZ_CHECK(value->is_string());
  return std::string_view(value->get_string().data(), value->get_string().size());
}

void check_accepted(std::string_view body, const V4TokenRequest& request) {
  json::error_code ec;
  json::parse_options options;  // standard JSON only
  const json::value dom = json::parse(json::string_view(body.data(), body.size()), ec, {}, options);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(dom.is_object());
  const json::object& object = dom.get_object();

  const std::string_view grant_type = member_string(object, "grantType");
  if (request.grant == V4TokenRequest::Grant::kPassword) {
    FUZZ_CHECK(iequals(grant_type, "PASSWORD"));
    FUZZ_CHECK(request.user_name == member_string(object, "userName"));
    FUZZ_CHECK(request.password == member_string(object, "password"));
    FUZZ_CHECK(!request.user_name.empty() &&
               request.user_name.size() <= connect_auth::protocol::kMaxUserNameBytes);
    FUZZ_CHECK(!request.password.empty() &&
               request.password.size() <= connect_auth::protocol::kMaxPasswordBytes);
    FUZZ_CHECK(request.refresh_token.empty());
  } else {
    FUZZ_CHECK(iequals(grant_type, "REFRESH_TOKEN"));
    FUZZ_CHECK(request.refresh_token == member_string(object, "refreshToken"));
    FUZZ_CHECK(!request.refresh_token.empty() &&
               request.refresh_token.size() <= connect_auth::protocol::kMaxRefreshTokenBytes);
    FUZZ_CHECK(request.user_name.empty() && request.password.empty());
  }

  FUZZ_CHECK(request.scope_present == object.contains("scope"));
  FUZZ_CHECK(!request.offline_access || request.scope_present);
  if (request.scope_present) {
    // Every space-separated entry is OFFLINE_ACCESS; there is one iff offline_access.
    const std::string_view scope = member_string(object, "scope");
    bool any = false;
    std::size_t start = 0;
    while (start <= scope.size()) {
      std::size_t end = scope.find(' ', start);
      if (end == std::string_view::npos) end = scope.size();
      const std::string_view entry = scope.substr(start, end - start);
      if (!entry.empty()) {
        FUZZ_CHECK(iequals(entry, "offline_access"));
        any = true;
      }
      start = end + 1;
    }
    FUZZ_CHECK(any == request.offline_access);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view content_type = "application/json";
  if (!input.empty() && input.front() == '#') {
    const std::size_t newline = input.find('\n');
    content_type = input.substr(1, newline == std::string_view::npos ? input.npos : newline - 1);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  }

  auto parsed = connect_auth::protocol::parse_v4_token_request(content_type, input);
  if (parsed.ok()) {
    check_accepted(input, *parsed);
    return 0;
  }

  const ErrorCode code = parsed.error().code;
  if (code == ErrorCode::kInvalidGrant) {
    // Only for a refresh token we can never have issued (bad-inputs §E): a REFRESH_TOKEN grant
    // whose refreshToken is a string, empty or longer than the cap.
    json::error_code parse_error;
    const json::value body = json::parse(json::string_view(input.data(), input.size()), parse_error);
    FUZZ_CHECK(!parse_error && body.is_object());
    const json::value* grant = body.as_object().if_contains("grantType");
    const json::value* token = body.as_object().if_contains("refreshToken");
    FUZZ_CHECK(grant != nullptr && grant->is_string() &&
               iequals(std::string_view(grant->get_string()), "REFRESH_TOKEN"));
    FUZZ_CHECK(token != nullptr && token->is_string() &&
               (token->get_string().empty() ||
                token->get_string().size() > connect_auth::protocol::kMaxRefreshTokenBytes));
    return 0;
  }
  FUZZ_CHECK(code == ErrorCode::kInvalidRequest || code == ErrorCode::kUnsupportedGrantType ||
             code == ErrorCode::kInvalidScope);
  const std::string& description = parsed.error().description;
  FUZZ_CHECK(!description.empty() && description.size() <= 80);
  for (char c : description) FUZZ_CHECK(c >= 0x20 && c < 0x7f);  // fixed text, never echoed input

  json::error_code ec;
  json::parse(json::string_view(input.data(), input.size()), ec);
  if (ec) FUZZ_CHECK(code == ErrorCode::kInvalidRequest);
  return 0;
}
