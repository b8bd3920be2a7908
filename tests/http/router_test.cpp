#include "http/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "http_test_util.h"

namespace connect_auth::http {

// Readable failures for vectors of routes (found by argument-dependent lookup).
void PrintTo(const RouteEntry& entry, std::ostream* out) {
  *out << method_name(entry.method) << ' ' << entry.path;
}

namespace {

using namespace std::string_view_literals;
using test_util::RequestBuilder;
using test_util::single_header;

std::string error_of(const Response& response) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response.body, ec);
  if (ec || !body.is_object() || !body.as_object().contains("error")) return "<no error member>";
  return std::string(body.at("error").as_string());
}

// Registers handlers that answer with a recognisable status and record what they saw.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add(Method::kPost, "/rest/v3/oauth/token", answer(201, "token-post"));
    router_.add(Method::kGet, "/rest/v3/oauth/token", answer(202, "token-get"));
    router_.add(Method::kGet, "/rest/v3/accounts", answer(203, "accounts"));
    router_.add(Method::kHead, "/rest/v3/accounts", answer(203, "accounts"));
    router_.add(Method::kPost, "/oauth/revoke", answer(204, "revoke"));
    router_.add(Method::kDelete, "/admin/keys", answer(205, "keys-delete"));
    router_.add(Method::kPut, "/admin/keys", answer(206, "keys-put"));
  }

  Handler answer(int status, std::string name) {
    return [this, status, name](const Request& request) {
      calls_.push_back(name);
      methods_seen_.push_back(request.method);
      Response response;
      response.status = status;
      response.body = name;
      return response;
    };
  }

  Response route(Method method, std::string_view path) {
    RequestBuilder builder(method, path);
    builder.header("Host", "auth.example.test");
    return router_.route(builder.build());
  }

  Router router_;
  std::vector<std::string> calls_;
  std::vector<Method> methods_seen_;
};

TEST_F(RouterTest, RoutesByExactPathAndMethod) {
  EXPECT_EQ(route(Method::kPost, "/rest/v3/oauth/token").status, 201);
  EXPECT_EQ(route(Method::kGet, "/rest/v3/oauth/token").status, 202);
  EXPECT_EQ(route(Method::kGet, "/rest/v3/accounts").status, 203);
  EXPECT_EQ(route(Method::kPost, "/oauth/revoke").body, "revoke");
  EXPECT_EQ(calls_, (std::vector<std::string>{"token-post", "token-get", "accounts", "revoke"}));
}

TEST_F(RouterTest, UnknownPathIs404) {
  // Exact match only: no prefix, suffix, case or trailing-slash variants, and no decoding.
  const std::string_view unknown[] = {
      "/",
      "",
      "/rest/v3/accounts/",
      "/rest/v3/accounts/x",
      "/rest/v3/account",
      "/REST/v3/accounts",
      "//rest/v3/accounts",
      "/rest/v3/./accounts",
      "/rest/v3/%61ccounts",
      "/rest/v3/accounts?x=1",  // path never holds the query; a transport bug must not route it
      "/rest/v3/accounts\0"sv,
  };
  for (std::string_view path : unknown) {
    Response response = route(Method::kGet, path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(error_of(response), "not_found") << path;
    EXPECT_EQ(single_header(response, "Cache-Control"), "no-store");
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, QueryDoesNotAffectRouting) {
  RequestBuilder builder(Method::kPost, "/rest/v3/oauth/token");
  builder.request.target = "/rest/v3/oauth/token?grant_type=client_credentials";
  builder.request.query = "grant_type=client_credentials";
  EXPECT_EQ(router_.route(builder.build()).status, 201);
}

TEST_F(RouterTest, OtherMethodIs405WithAllow) {
  // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
  Response response = route(Method::kPut, "/rest/v3/oauth/token");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(error_of(response), "method_not_allowed");
  EXPECT_EQ(single_header(response, "Allow"), "POST, GET");

  response = route(Method::kPost, "/rest/v3/accounts");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(single_header(response, "Allow"), "GET, HEAD");

  response = route(Method::kGet, "/oauth/revoke");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(single_header(response, "Allow"), "POST");

  response = route(Method::kGet, "/admin/keys");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(single_header(response, "Allow"), "DELETE, PUT");

  for (Method method : {Method::kDelete, Method::kPatch, Method::kOptions, Method::kOther}) {
    response = route(method, "/rest/v3/oauth/token");
    EXPECT_EQ(response.status, 405) << method_name(method);
    EXPECT_EQ(single_header(response, "Allow"), "POST, GET");
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, HeadIsServedWhereRegistered) {
  // RFC 9110 §9.3.2: HEAD is GET without a body; the transport drops the body.
  Response response = route(Method::kHead, "/rest/v3/accounts");
  EXPECT_EQ(response.status, 203);
  ASSERT_EQ(methods_seen_.size(), 1u);
  EXPECT_EQ(methods_seen_[0], Method::kHead);  // the handler can still tell
}

TEST_F(RouterTest, HeadIsNotImpliedByGet) {
  // A HEAD on the token endpoint would mint and sign a token only to drop it.
  Response response = route(Method::kHead, "/rest/v3/oauth/token");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(single_header(response, "Allow"), "POST, GET");
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, HeadWithoutGetIs405) {
  Response response = route(Method::kHead, "/oauth/revoke");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(single_header(response, "Allow"), "POST");
  EXPECT_TRUE(calls_.empty());
}

TEST_F(RouterTest, SingleOrMissingHostIsRouted) {
  RequestBuilder without_host(Method::kGet, "/rest/v3/accounts");
  EXPECT_EQ(router_.route(without_host.build()).status, 203);
  RequestBuilder lower_case(Method::kGet, "/rest/v3/accounts");
  lower_case.header("host", "auth.example.test").header("X-Host", "x");
  EXPECT_EQ(router_.route(lower_case.build()).status, 203);
}

TEST_F(RouterTest, ListsEveryRouteSortedByPathThenRegistration) {
  // Registration order within a path is the order of the Allow header, so it is kept.
  const std::vector<RouteEntry> expected = {
      {Method::kDelete, "/admin/keys"},       {Method::kPut, "/admin/keys"},
      {Method::kPost, "/oauth/revoke"},       {Method::kGet, "/rest/v3/accounts"},
      {Method::kHead, "/rest/v3/accounts"},   {Method::kPost, "/rest/v3/oauth/token"},
      {Method::kGet, "/rest/v3/oauth/token"},
  };
  EXPECT_EQ(router_.routes(), expected);
  EXPECT_TRUE(calls_.empty());  // listing calls no handler
}

TEST(RouterEmptyTest, EverythingIs404) {
  Router router;
  RequestBuilder builder(Method::kGet, "/");
  EXPECT_EQ(router.route(builder.build()).status, 404);
  EXPECT_TRUE(router.routes().empty());
}

}  // namespace
}  // namespace connect_auth::http
