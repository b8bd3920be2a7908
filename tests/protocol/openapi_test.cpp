// The embedded OpenAPI document, its endpoint, and the check that compares a document with a
// router, on small synthetic routers and documents. (The server's own router against the
// embedded document is checked beside build_router's tests.)
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "http/http_test_util.h"
#include "protocol/openapi_endpoint.h"

namespace connect_auth::protocol {
namespace {

using http::Method;

http::Response ok(const http::Request&) { return {}; }

http::Router router_of(std::initializer_list<std::pair<Method, std::string>> routes) {
  http::Router router;
  for (const auto& [method, path] : routes) router.add(method, path, ok);
  return router;
}

using Lines = std::vector<std::string>;

TEST(OpenApiDocumentTest, EmbeddedDocumentIsOpenApi31) {
  boost::system::error_code ec;
  const boost::json::value document = boost::json::parse(openapi_document(), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(document.is_object());
  const boost::json::object& root = document.as_object();
  ASSERT_TRUE(root.contains("openapi"));
  EXPECT_TRUE(root.at("openapi").as_string().starts_with("3.1."));
  EXPECT_EQ(root.at("info").at("title").as_string(), "connect-auth");
  ASSERT_TRUE(root.contains("paths"));
  EXPECT_FALSE(root.at("paths").as_object().empty());
  for (const auto& [path, item] : root.at("paths").as_object()) {
    EXPECT_TRUE(path.starts_with("/")) << path;
  }
  // The document describes itself.
  EXPECT_TRUE(root.at("paths").as_object().contains("/openapi.json"));
}

TEST(OpenApiDocumentTest, ServedAsCacheableJson) {
  http::test_util::RequestBuilder builder(Method::kGet, "/openapi.json");
  const http::Response response = handle_openapi(builder.build());
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(http::test_util::single_header(response, "Cache-Control"), "public, max-age=300");
  EXPECT_EQ(response.body, openapi_document());
}

constexpr std::string_view kTwoPaths = R"({
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/token": {
      "summary": "not an operation", "description": "neither",
      "parameters": [], "servers": [], "x-note": {"get": {}},
      "post": {"responses": {}}, "get": {"responses": {}}
    },
    "/keys": {"get": {"responses": {}}, "head": {"responses": {}}}
  }
})";

TEST(OpenApiRouteMismatchesTest, AgreeingRouterAndDocumentHaveNoMismatch) {
  const http::Router router = router_of({{Method::kPost, "/token"},
                                         {Method::kGet, "/token"},
                                         {Method::kGet, "/keys"},
                                         {Method::kHead, "/keys"}});
  EXPECT_EQ(openapi_route_mismatches(router, kTwoPaths), Lines{});
}

TEST(OpenApiRouteMismatchesTest, RouteMissingFromTheDocument) {
  const http::Router router = router_of({{Method::kPost, "/token"},
                                         {Method::kGet, "/token"},
                                         {Method::kGet, "/keys"},
                                         {Method::kHead, "/keys"},
                                         {Method::kGet, "/health"},
                                         {Method::kDelete, "/token"}});
  EXPECT_EQ(openapi_route_mismatches(router, kTwoPaths),
            (Lines{"GET /health is served but not in the OpenAPI document",
                   "DELETE /token is served but not in the OpenAPI document"}));
}

TEST(OpenApiRouteMismatchesTest, DocumentedOperationTheRouterLacks) {
  // HEAD is its own operation: a documented HEAD the router does not register is a mismatch.
  const http::Router router = router_of({{Method::kPost, "/token"}, {Method::kGet, "/keys"}});
  EXPECT_EQ(openapi_route_mismatches(router, kTwoPaths),
            (Lines{"HEAD /keys is in the OpenAPI document but not served",
                   "GET /token is in the OpenAPI document but not served"}));
}

TEST(OpenApiRouteMismatchesTest, BothDirectionsAtOnceServedFirst) {
  const http::Router router = router_of({{Method::kPost, "/revoke"}});
  const std::string document = R"({"paths": {"/introspect": {"post": {}}}})";
  EXPECT_EQ(openapi_route_mismatches(router, document),
            (Lines{"POST /revoke is served but not in the OpenAPI document",
                   "POST /introspect is in the OpenAPI document but not served"}));
}

TEST(OpenApiRouteMismatchesTest, PathsCompareExactly) {
  // The router matches exactly, so the document must spell each path as routed.
  const http::Router router = router_of({{Method::kGet, "/keys"}});
  EXPECT_EQ(openapi_route_mismatches(router, R"({"paths": {"/keys/": {"get": {}}}})"),
            (Lines{"GET /keys is served but not in the OpenAPI document",
                   "GET /keys/ is in the OpenAPI document but not served"}));
  // Method names are the Path Item's lower-case fields; "GET" is not one of them.
  EXPECT_EQ(openapi_route_mismatches(router, R"({"paths": {"/keys": {"GET": {}}}})"),
            Lines{"GET /keys is served but not in the OpenAPI document"});
}

TEST(OpenApiRouteMismatchesTest, EmptyRouterAndEmptyPathsAgree) {
  EXPECT_EQ(openapi_route_mismatches(http::Router{}, R"({"paths": {}})"), Lines{});
}

TEST(OpenApiRouteMismatchesTest, UnreadableDocumentsSaySo) {
  const http::Router router = router_of({{Method::kGet, "/keys"}});
  for (std::string_view document : {"", "{", "not json", "[]", "{}", R"({"paths": []})"}) {
    const Lines lines = openapi_route_mismatches(router, document);
    ASSERT_EQ(lines.size(), 1u) << document;
    EXPECT_TRUE(lines[0].starts_with("the OpenAPI document ")) << lines[0];
  }
}

TEST(OpenApiRouteMismatchesTest, MalformedPathItemsAreReported) {
  const http::Router router = router_of({{Method::kGet, "/keys"}});
  EXPECT_EQ(openapi_route_mismatches(router, R"({"paths": {"/keys": {"get": {}}, "/other": "x"}})"),
            Lines{"path /other in the OpenAPI document is not an object"});
  EXPECT_EQ(openapi_route_mismatches(
                router, R"({"paths": {"/keys": {"$ref": "#/components/pathItems/k"}}})"),
            (Lines{"path /keys in the OpenAPI document uses $ref: describe its operations inline",
                   "GET /keys is served but not in the OpenAPI document"}));
}

}  // namespace
}  // namespace connect_auth::protocol
