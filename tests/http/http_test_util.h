// Helpers shared by the http tests: a Request owns nothing, so tests keep its headers alive here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace connect_auth::http::test_util {

struct RequestBuilder {
  std::vector<Header> headers;
  Request request;

  RequestBuilder(Method method, std::string_view path) {
    request.method = method;
    request.target = path;
    request.path = path;
  }
  RequestBuilder& header(std::string_view name, std::string_view value) {
    headers.push_back(Header{name, value});
    return *this;
  }
  // The span is taken last, after every header is in place.
  const Request& build() {
    request.headers = headers;
    return request;
  }
};

// Values of every response header called `name`, compared case-insensitively like HTTP does.
inline std::vector<std::string> header_values(const Response& response, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : response.headers) {
    if (iequals(key, name)) values.push_back(value);
  }
  return values;
}

inline std::optional<std::string> single_header(const Response& response, std::string_view name) {
  auto values = header_values(response, name);
  if (values.size() != 1) return std::nullopt;
  return values.front();
}

}  // namespace connect_auth::http::test_util
