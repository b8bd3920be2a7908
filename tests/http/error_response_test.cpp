#include "http/error_response.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "http_test_util.h"

namespace connect_auth::http {
namespace {

using test_util::header_values;
using test_util::single_header;

struct Expected {
  ErrorCode code;
  int status;
};

constexpr Expected kStatuses[] = {
    {ErrorCode::kInvalidRequest, 400},  // RFC 6749 §5.2
    {ErrorCode::kInvalidClient, 401},   // RFC 6749 §5.2 (client authentication failed)
    {ErrorCode::kInvalidGrant, 400},
    {ErrorCode::kUnauthorizedClient, 400},
    {ErrorCode::kUnsupportedGrantType, 400},
    {ErrorCode::kInvalidScope, 400},
    {ErrorCode::kInvalidToken, 401},       // RFC 6750 §3.1
    {ErrorCode::kInsufficientScope, 403},  // RFC 6750 §3.1
    {ErrorCode::kNotFound, 404},
    {ErrorCode::kMethodNotAllowed, 405},
    {ErrorCode::kPayloadTooLarge, 413},
    {ErrorCode::kHeaderFieldsTooLarge, 431},
    {ErrorCode::kUnsupportedMediaType, 415},
    {ErrorCode::kTooManyRequests, 429},
    {ErrorCode::kRequestTimeout, 408},
    {ErrorCode::kStorageNotFound, 404},
    {ErrorCode::kStorageConflict, 409},
    {ErrorCode::kStorageUnavailable, 503},  // STYLE.md: a database fault is never invalid_grant
    {ErrorCode::kServiceBusy, 503},
    {ErrorCode::kInternal, 500},
};

boost::json::object parse_body(const Response& response) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(response.body, ec);
  EXPECT_FALSE(ec) << response.body;
  if (ec || !value.is_object()) {
    ADD_FAILURE() << "body is not a JSON object: " << response.body;
    return {};
  }
  return value.as_object();
}

TEST(ErrorResponseTest, StatusForEveryCode) {
  ASSERT_EQ(std::size(kStatuses), static_cast<std::size_t>(ErrorCode::kInternal) + 1);
  for (const Expected& e : kStatuses) {
    EXPECT_EQ(status_for(e.code), e.status) << error_code_name(e.code);
    EXPECT_EQ(error_response(make_error(e.code, "x")).status, e.status) << error_code_name(e.code);
  }
}

TEST(ErrorResponseTest, EveryErrorIsUncacheableJson) {
  // RFC 6749 §5.1/§5.2 and bad-inputs.md §G: no-store and no-cache on every error.
  for (const Expected& e : kStatuses) {
    SCOPED_TRACE(std::string(error_code_name(e.code)));
    Response response = error_response(make_error(e.code, "some description"));
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(single_header(response, "Cache-Control"), "no-store");
    EXPECT_EQ(single_header(response, "Pragma"), "no-cache");
    EXPECT_FALSE(response.close_connection);
    boost::json::object body = parse_body(response);
    ASSERT_TRUE(body.contains("error"));
    EXPECT_EQ(body.at("error").as_string(), error_code_name(e.code));
    ASSERT_TRUE(body.contains("error_description"));
    // Exactly the two RFC 6749 §5.2 members, in that order.
    EXPECT_EQ(body.size(), 2u);
    EXPECT_EQ(body.begin()->key(), "error");
  }
}

TEST(ErrorResponseTest, BodyShapeIsExact) {
  Response response =
      error_response(make_error(ErrorCode::kInvalidRequest, "grant_type is missing"));
  EXPECT_EQ(response.body,
            R"({"error":"invalid_request","error_description":"grant_type is missing"})");
}

TEST(ErrorResponseTest, EmptyDescriptionIsOmitted) {
  Response response = error_response(make_error(ErrorCode::kInvalidGrant, ""));
  EXPECT_EQ(response.body, R"({"error":"invalid_grant"})");
}

TEST(ErrorResponseTest, InvalidTokenCarriesBearerChallenge) {
  // RFC 6750 §3: WWW-Authenticate: Bearer error="invalid_token", error_description="…".
  Response response = error_response(make_error(ErrorCode::kInvalidToken, "token has expired"));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(single_header(response, "WWW-Authenticate"),
            R"(Bearer error="invalid_token", error_description="token has expired")");
  EXPECT_EQ(response.body, R"({"error":"invalid_token","error_description":"token has expired"})");
}

TEST(ErrorResponseTest, InvalidTokenWithoutDescription) {
  Response response = error_response(make_error(ErrorCode::kInvalidToken, ""));
  EXPECT_EQ(single_header(response, "WWW-Authenticate"), R"(Bearer error="invalid_token")");
}

TEST(ErrorResponseTest, NoCredentialsGetTheBareBearerChallenge) {
  // RFC 6750 §3.1: a request that lacks any authentication information gets no error code.
  Response response = bearer_required_response();
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(single_header(response, "WWW-Authenticate"), R"(Bearer realm="connect-auth")");
  EXPECT_EQ(single_header(response, "Cache-Control"), "no-store");
  EXPECT_EQ(response.content_type, "application/json");
  // The body keeps the shape of every error answer.
  EXPECT_EQ(parse_body(response).at("error").as_string(), "invalid_token");
}

TEST(ErrorResponseTest, ChallengeDescriptionDropsCharactersRfc6750Forbids) {
  // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E; a quote, backslash or line
  // break would end the quoted string or split the header.
  Response response = error_response(
      make_error(ErrorCode::kInvalidToken, "bad \"token\" \\ here\r\nX-Injected: 1\x7f\t!"));
  auto challenge = single_header(response, "WWW-Authenticate");
  ASSERT_TRUE(challenge.has_value());
  EXPECT_EQ(*challenge,
            R"(Bearer error="invalid_token", error_description="bad token  hereX-Injected: 1!")");
  // The JSON body keeps the description, escaped.
  EXPECT_EQ(parse_body(response).at("error_description").as_string(),
            "bad \"token\" \\ here\r\nX-Injected: 1\x7f\t!");
}

TEST(ErrorResponseTest, InsufficientScopeIs403WithBearerChallenge) {
  Response response = error_response(make_error(ErrorCode::kInsufficientScope, "admin only"));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(single_header(response, "WWW-Authenticate"),
            R"(Bearer error="insufficient_scope", error_description="admin only")");
}

TEST(ErrorResponseTest, InvalidClientIs401WithBasicChallenge) {
  // RFC 6749 §5.2: 401 invalid_client includes WWW-Authenticate for the scheme the client may use.
  Response response =
      error_response(make_error(ErrorCode::kInvalidClient, "client authentication failed"));
  EXPECT_EQ(response.status, 401);
  auto challenge = single_header(response, "WWW-Authenticate");
  ASSERT_TRUE(challenge.has_value());
  EXPECT_EQ(challenge->rfind("Basic ", 0), 0u) << *challenge;
  EXPECT_EQ(*challenge, R"(Basic realm="connect-auth")");
  EXPECT_EQ(response.body,
            R"({"error":"invalid_client","error_description":"client authentication failed"})");
}

TEST(ErrorResponseTest, OnlyAuthErrorsCarryAChallenge) {
  for (const Expected& e : kStatuses) {
    const bool challenged = e.code == ErrorCode::kInvalidToken ||
                            e.code == ErrorCode::kInsufficientScope ||
                            e.code == ErrorCode::kInvalidClient;
    Response response = error_response(make_error(e.code, "x"));
    EXPECT_EQ(header_values(response, "WWW-Authenticate").size(), challenged ? 1u : 0u)
        << error_code_name(e.code);
  }
}

TEST(ErrorResponseTest, InternalErrorsNeverShowTheirDescription) {
  // STYLE.md: error bodies never echo internal messages (SQL, paths, library text).
  const std::string leak = "SQLITE_CORRUPT in /var/lib/connect-auth/db: SELECT secret FROM keys";
  Response response = error_response(make_error(ErrorCode::kInternal, leak));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("SQLITE"), std::string::npos);
  EXPECT_EQ(response.body.find("/var/lib"), std::string::npos);
  EXPECT_EQ(response.body,
            R"({"error":"server_error","error_description":"internal server error"})");
  for (const auto& [name, value] : response.headers) {
    EXPECT_EQ(value.find("SQLITE"), std::string::npos) << name;
  }
}

TEST(ErrorResponseTest, UnavailableIs503WithRetryAfterAndGenericText) {
  Response response = error_response(
      make_error(ErrorCode::kStorageUnavailable, "connection refused to 10.0.0.5:5432"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(single_header(response, "Retry-After"), "1");
  EXPECT_EQ(response.body.find("10.0.0.5"), std::string::npos);
  boost::json::object body = parse_body(response);
  EXPECT_EQ(body.at("error").as_string(), "temporarily_unavailable");
  EXPECT_EQ(body.at("error_description").as_string(),
            "the service is temporarily unavailable, retry later");
}

TEST(ErrorResponseTest, TooManyRequestsHasRetryAfter) {
  Response response = error_response(make_error(ErrorCode::kTooManyRequests, "slow down"));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(single_header(response, "Retry-After"), "1");
}

TEST(ErrorResponseTest, RetryAfterOnlyWhereItMeansSomething) {
  for (const Expected& e : kStatuses) {
    const bool retry = e.code == ErrorCode::kStorageUnavailable ||
                       e.code == ErrorCode::kTooManyRequests || e.code == ErrorCode::kServiceBusy;
    EXPECT_EQ(header_values(error_response(make_error(e.code, "x")), "Retry-After").size(),
              retry ? 1u : 0u)
        << error_code_name(e.code);
  }
}

TEST(ErrorResponseTest, RetryAfterCarriesTheErrorsWait) {
  Error throttled = make_error(ErrorCode::kTooManyRequests, "slow down");
  throttled.retry_after_seconds = 17;
  EXPECT_EQ(single_header(error_response(throttled), "Retry-After"), "17");
  EXPECT_EQ(single_header(error_response(make_error(ErrorCode::kServiceBusy, "busy")),
                          "Retry-After"),
            "1");  // unset: the default
  Response busy = error_response(make_error(ErrorCode::kServiceBusy, "the server is busy"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_NE(busy.body.find("the server is busy"), std::string::npos);
}

TEST(ErrorResponseTest, AllowOnlyOn405) {
  Response response = error_response(make_error(ErrorCode::kMethodNotAllowed, "no"), "GET, HEAD");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(single_header(response, "Allow"), "GET, HEAD");
  EXPECT_TRUE(header_values(error_response(make_error(ErrorCode::kMethodNotAllowed, "no")), "Allow")
                  .empty());
  EXPECT_TRUE(header_values(error_response(make_error(ErrorCode::kNotFound, "no"), "GET"), "Allow")
                  .empty());
}

TEST(ErrorResponseTest, HostileDescriptionStillYieldsValidJson) {
  // Quotes that try to close the member, NUL, ANSI escape, invalid UTF-8 and a surrogate.
  constexpr char kHostile[] = "\"},{\"error\":\"none\0\x1b[2J\xff\xed\xa0\x80\\";
  const std::string hostile(kHostile, sizeof(kHostile) - 1);
  Response response = error_response(make_error(ErrorCode::kInvalidRequest, hostile));
  boost::json::object body = parse_body(response);
  EXPECT_EQ(body.at("error").as_string(), "invalid_request");
  EXPECT_EQ(body.size(), 2u);
  for (char c : response.body) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

}  // namespace
}  // namespace connect_auth::http
