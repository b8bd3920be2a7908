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
