#include "http/message.h"

#include <gtest/gtest.h>

#include "http_test_util.h"

namespace connect_auth::http {
namespace {

using test_util::RequestBuilder;

TEST(IequalsTest, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(iequals("Authorization", "authorization"));
  EXPECT_TRUE(iequals("USER", "user"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_TRUE(iequals("x-request-id", "X-Request-ID"));
  EXPECT_FALSE(iequals("user", "users"));
  EXPECT_FALSE(iequals("user", "usr"));
  EXPECT_FALSE(iequals("host", "hosT "));
  // Only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by 0x20 but are not a case pair.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  // Non-ASCII bytes are compared exactly (no locale folding of look-alike names).
  EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
}

TEST(RequestTest, HeaderCountIgnoresCase) {
  // bad-inputs.md §A: duplicates of user/Authorization/Host are found whatever their spelling.
  RequestBuilder builder(Method::kPost, "/rest/v3/oauth/token");
  builder.header("user", "a").header("User", "b").header("USER", "c").header("Host", "x");
  const Request& request = builder.build();
  EXPECT_EQ(request.header_count("user"), 3);
  EXPECT_EQ(request.header_count("uSeR"), 3);
  EXPECT_EQ(request.header_count("host"), 1);
  EXPECT_EQ(request.header_count("authorization"), 0);
  EXPECT_EQ(request.header_count("use"), 0);
}

TEST(RequestTest, HeaderReturnsTheFirstValue) {
  RequestBuilder builder(Method::kGet, "/");
  builder.header("Authorization", "Bearer one").header("authorization", "Bearer two");
  const Request& request = builder.build();
  auto value = request.header("AUTHORIZATION");
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, "Bearer one");
  EXPECT_FALSE(request.header("user").has_value());
}

TEST(RequestTest, EmptyValueIsPresent) {
  RequestBuilder builder(Method::kGet, "/");
  builder.header("user", "");
  const Request& request = builder.build();
  auto value = request.header("user");
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, "");
  EXPECT_EQ(request.header_count("user"), 1);
}

TEST(RequestTest, NoHeaders) {
  Request request;
  EXPECT_EQ(request.header_count("host"), 0);
  EXPECT_FALSE(request.header("host").has_value());
}

TEST(MethodTest, NamesEveryMethod) {
  EXPECT_EQ(method_name(Method::kGet), "GET");
  EXPECT_EQ(method_name(Method::kHead), "HEAD");
  EXPECT_EQ(method_name(Method::kPost), "POST");
  EXPECT_EQ(method_name(Method::kPut), "PUT");
  EXPECT_EQ(method_name(Method::kDelete), "DELETE");
  EXPECT_EQ(method_name(Method::kPatch), "PATCH");
  EXPECT_EQ(method_name(Method::kOptions), "OPTIONS");
  EXPECT_EQ(method_name(Method::kOther), "OTHER");
}

TEST(ResponseTest, AddHeaderKeepsOrderAndDuplicates) {
  Response response;
  response.add_header("A", "1");
  response.add_header("B", "2");
  response.add_header("A", "3");
  ASSERT_EQ(response.headers.size(), 3u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ(response.headers[2], (std::pair<std::string, std::string>{"A", "3"}));
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.close_connection);
}

}  // namespace
}  // namespace connect_auth::http
