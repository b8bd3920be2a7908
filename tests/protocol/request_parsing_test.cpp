#include "protocol/request_parsing.h"

#include <gtest/gtest.h>

namespace connect_auth::protocol {
namespace {

TEST(SingleQueryParam, FindsDecodesAndRefusesRepeats) {
  EXPECT_EQ(single_query_param("grant_type=client_credentials", "grant_type")->value(),
            "client_credentials");
  EXPECT_EQ(single_query_param("a=1&grant_type=client%5Fcredentials", "grant_type")->value(),
            "client_credentials");
  EXPECT_FALSE(single_query_param("a=1", "grant_type")->has_value());
  EXPECT_FALSE(single_query_param("", "grant_type")->has_value());
  EXPECT_EQ(single_query_param("grant_type", "grant_type")->value(), "");
  auto repeated = single_query_param("grant_type=a&grant_type=a", "grant_type");
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.error().code, ErrorCode::kInvalidRequest);
  EXPECT_FALSE(single_query_param("grant_type=%zz", "grant_type").ok());
}

TEST(SingleQueryParam, StaysInsideAViewThatIsNotNulTerminated) {
  // Boost.URL 1.81's parse_query read past the end here; the transport hands us such views.
  const std::string buffer = "grant_type=client_credentialsHost127.0.0.1";
  std::string_view query(buffer.data(), 29);
  EXPECT_EQ(single_query_param(query, "grant_type")->value(), "client_credentials");
  EXPECT_EQ(single_query_param("grant_type=a+b%20c", "grant_type")->value(), "a b c");
  EXPECT_FALSE(single_query_param("grant_type=%4", "grant_type").ok());
  EXPECT_FALSE(single_query_param("%G0=1", "grant_type").ok());  // keys are always decoded
  EXPECT_EQ(single_query_param("&&grant_type=x&", "grant_type")->value(), "x");
}

TEST(CredentialsForScheme, MatchesSchemeCaseInsensitively) {
  EXPECT_EQ(credentials_for_scheme("Bearer abc", "Bearer"), "abc");
  EXPECT_EQ(credentials_for_scheme("bearer   abc", "Bearer"), "abc");
  EXPECT_EQ(credentials_for_scheme("BASIC xyz", "Basic"), "xyz");
  EXPECT_FALSE(credentials_for_scheme("Bearerabc", "Bearer").has_value());
  EXPECT_FALSE(credentials_for_scheme("Basic abc", "Bearer").has_value());
  EXPECT_FALSE(credentials_for_scheme("Bearer", "Bearer").has_value());
}

TEST(SingleHeader, RefusesDuplicates) {
  std::vector<http::Header> headers = {{"User", "a"}, {"user", "b"}};
  http::Request request;
  request.headers = headers;
  EXPECT_FALSE(single_header(request, "user").ok());
  EXPECT_FALSE(single_header(request, "authorization")->has_value());
}

}  // namespace
}  // namespace connect_auth::protocol

namespace connect_auth::protocol {
namespace {

TEST(ParseForm, DecodesEveryParameterInOrder) {
  auto form = parse_form("grant_type=password&username=ops%40acme.test&password=a+b%2Bc&scope=");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->get("username"), "ops@acme.test");
  EXPECT_EQ(form->get("password"), "a b+c");
  // RFC 6749 §3.1: a parameter without a value is as if omitted.
  EXPECT_FALSE(form->get("scope").has_value());
  EXPECT_FALSE(form->has("client_id"));
  ASSERT_EQ(form->entries().size(), 4u);
  EXPECT_EQ(form->entries()[0].first, "grant_type");
  EXPECT_TRUE(parse_form("").ok());
  EXPECT_TRUE(parse_form("&&a=1&&").ok());
}

TEST(ParseForm, RefusesRepeatsBadEscapesAndNamelessValues) {
  for (const char* body : {"a=1&a=2", "a=1&b=2&a=", "a=%zz", "a=%4", "%=1", "=1"}) {
    auto form = parse_form(body);
    ASSERT_FALSE(form.ok()) << body;
    EXPECT_EQ(form.error().code, ErrorCode::kInvalidRequest) << body;
  }
  EXPECT_EQ(parse_form("grant_type=x&grant_type=y").error().description,
            "parameter grant_type is repeated");
  // A hostile name is not echoed back.
  EXPECT_EQ(parse_form("%22%0A=1&%22%0A=2").error().description, "a parameter is repeated");
}

TEST(ParseForm, RefusesMoreParametersThanAnyRequestNeeds) {
  std::string body;
  for (std::size_t i = 0; i < kMaxFormParameters; ++i) body += "p" + std::to_string(i) + "=1&";
  body.pop_back();
  EXPECT_TRUE(parse_form(body).ok());
  auto refused = parse_form(body + "&one=more");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().description, "the form has too many parameters");
  EXPECT_FALSE(parse_form(std::string(100'000, '&')).ok());  // empty pairs count too
}

TEST(FormContentType, MatchesTheMediaTypeOnly) {
  EXPECT_TRUE(is_form_content_type("application/x-www-form-urlencoded"));
  EXPECT_TRUE(is_form_content_type("Application/X-WWW-Form-Urlencoded ; charset=UTF-8"));
  EXPECT_FALSE(is_form_content_type("application/json"));
  EXPECT_FALSE(is_form_content_type("application/x-www-form-urlencodedx"));
  EXPECT_FALSE(is_form_content_type(""));
}

}  // namespace
}  // namespace connect_auth::protocol
