#include "protocol/openapi_endpoint.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>
#include <utility>

namespace connect_auth::protocol {
namespace {

// The operation fields of an OpenAPI 3.1 Path Item (§4.8.9.1); every other member (summary,
// parameters, servers, x-…) describes the path, not a method.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kOperationFields = {{
    {"get", "GET"},
    {"put", "PUT"},
    {"post", "POST"},
    {"delete", "DELETE"},
    {"options", "OPTIONS"},
    {"head", "HEAD"},
    {"patch", "PATCH"},
    {"trace", "TRACE"},
}};

// (path, method): ordered by path first, so the report reads path by path.
using Operations = std::set<std::pair<std::string, std::string>>;

// "<head> <path><tail>", e.g. "GET /keys is served but not in the OpenAPI document".
std::string mismatch_line(std::string_view head, std::string_view path, std::string_view tail) {
  std::string text;
  text.reserve(head.size() + 1 + path.size() + tail.size());
  text.append(head).append(" ").append(path).append(tail);
  return text;
}

}  // namespace

http::Response handle_openapi(const http::Request&) {
  http::Response response;
  response.content_type = "application/json";
  response.add_header("Cache-Control", "public, max-age=300");
  response.body = std::string(openapi_document());
  return response;
}

std::vector<std::string> openapi_route_mismatches(const http::Router& router,
                                                  std::string_view openapi_json) {
  boost::system::error_code ec;
  const boost::json::value document = boost::json::parse(openapi_json, ec);
  if (ec) return {"the OpenAPI document is not valid JSON: " + ec.message()};
  const boost::json::value* paths =
      document.is_object() ? document.as_object().if_contains("paths") : nullptr;
  if (paths == nullptr || !paths->is_object()) {
    return {"the OpenAPI document has no \"paths\" object"};
  }

  std::vector<std::string> mismatches;
  Operations documented;
  for (const auto& [path, item] : paths->as_object()) {
    if (!item.is_object()) {
      mismatches.push_back(
          mismatch_line("path", path, " in the OpenAPI document is not an object"));
      continue;
    }
    // A referenced Path Item would hide its operations from this comparison.
    if (item.as_object().contains("$ref")) {
      mismatches.push_back(mismatch_line(
          "path", path, " in the OpenAPI document uses $ref: describe its operations inline"));
    }
    for (const auto& [field, method] : kOperationFields) {
      if (item.as_object().contains(field)) documented.emplace(path, method);
    }
  }

  Operations routed;
  for (const http::RouteEntry& entry : router.routes()) {
    routed.emplace(entry.path, http::method_name(entry.method));
  }

  for (const auto& [path, method] : routed) {
    if (!documented.contains({path, method})) {
      mismatches.push_back(
          mismatch_line(method, path, " is served but not in the OpenAPI document"));
    }
  }
  for (const auto& [path, method] : documented) {
    if (!routed.contains({path, method})) {
      mismatches.push_back(
          mismatch_line(method, path, " is in the OpenAPI document but not served"));
    }
  }
  return mismatches;
}

}  // namespace connect_auth::protocol
