// The v4 token endpoint, JWKS and v4 bearer tokens on the data endpoints, driven with hand-built
// requests over a real store: status, headers and exact body bytes.
#include "protocol/endpoint_fixture.h"

namespace connect_auth::protocol {
namespace {

using namespace test;  // NOLINT: the fixture's helpers

TEST_F(V4EndpointsTest, PasswordGrantAnswersExactlyTheSeedShape) {
  auto response = send({.body = password_body()});
  ASSERT_EQ(response.status, 200) << response.body;
  expect_token_headers(response);
  const std::string access = member(response, "accessToken");
  const std::string refresh = member(response, "refreshToken");
  EXPECT_EQ(refresh.size(), 43u);
  EXPECT_EQ(response.body, R"({"tokenType":"Bearer","expiresIn":"3600","accessToken":")" + access +
                               R"(","scope":"offline_access","refreshToken":")" + refresh + "\"}");
}

TEST_F(V4EndpointsTest, WithoutOfflineAccessThereIsNoScopeOrRefreshToken) {
  auto response = send({.body = password_body(kPassword, "")});
  ASSERT_EQ(response.status, 200) << response.body;
  expect_token_headers(response);
  EXPECT_EQ(response.body, R"({"tokenType":"Bearer","expiresIn":"3600","accessToken":")" +
                               member(response, "accessToken") + "\"}");
}

TEST_F(V4EndpointsTest, RefreshWithTheSeedSampleRotates) {
  const std::string first = member(send({.body = password_body()}), "refreshToken");
  auto response = send({.body = refresh_body(first)});
  ASSERT_EQ(response.status, 200) << response.body;
  expect_token_headers(response);
  const std::string second = member(response, "refreshToken");
  EXPECT_NE(second, first);
  EXPECT_EQ(response.body, R"({"tokenType":"Bearer","expiresIn":"3600","accessToken":")" +
                               member(response, "accessToken") +
                               R"(","scope":"offline_access","refreshToken":")" + second + "\"}");
  clock_.advance(31);  // past the grace period: presenting the retired token again is theft
  auto reused = send({.body = refresh_body(first)});
  EXPECT_EQ(reused.status, 400);
  EXPECT_EQ(
      reused.body,
      R"({"error":"invalid_grant","error_description":"the refresh token is invalid or expired"})");
  EXPECT_EQ(send({.body = refresh_body(second)}).status, 400);  // the family is revoked
}

TEST_F(V4EndpointsTest, PasswordFailuresAreByteForByteIdentical) {
  auto wrong = send({.body = password_body("not the password")});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(
      wrong.body,
      R"({"error":"invalid_grant","error_description":"the user name or password is incorrect"})");
  expect_token_headers(wrong);
  auto unknown = send({.body = R"({"grantType":"PASSWORD","userName":"nobody@acme.test",)"
                               R"("password":"a long enough password"})"});
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_EQ(unknown.body, wrong.body);
  EXPECT_EQ(unknown.headers, wrong.headers);
}

TEST_F(V4EndpointsTest, MalformedRequestsAreRefusedBeforeAnyGrant) {
  auto no_type = send({.content_type = "", .body = password_body()});
  EXPECT_EQ(no_type.status, 400);
  EXPECT_EQ(member(no_type, "error"), "invalid_request");
  auto form = send({.content_type = "application/x-www-form-urlencoded", .body = "a=b"});
  EXPECT_EQ(member(form, "error"), "invalid_request");
  auto twice = send({.body = password_body(), .headers = {{"content-type", "application/json"}}});
  EXPECT_EQ(member(twice, "error"), "invalid_request");
  auto grant = send({.body = R"({"grantType":"CLIENT_CREDENTIALS"})"});
  EXPECT_EQ(member(grant, "error"), "unsupported_grant_type");
  // Nothing was counted against the user.
  auto counts = store_->read_failures(domain::ThrottleKeys::of(kUser, "192.0.2.10").keys).value();
  EXPECT_EQ(counts[domain::ThrottleKeys::kUser].count, 0);
}

TEST_F(V4EndpointsTest, OnlyPostIsRouted) {
  for (http::Method method : {http::Method::kGet, http::Method::kHead, http::Method::kPut}) {
    auto response = send({.method = method, .body = password_body()});
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(header(response, "Allow"), "POST");
  }
}

TEST_F(V4EndpointsTest, AV4TokenOpensTheAccountsEndpoint) {
  const std::string access = member(send({.body = password_body(kPassword, "")}), "accessToken");
  auto response = accounts(access);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, R"([{"accountGuid":")" + active_ +
                               R"(","companyName":"Acme Diner","countryCode":"US"}])");
  auto tampered = accounts(access.substr(0, access.size() - 2) + "AA");
  EXPECT_EQ(tampered.status, 401);
  EXPECT_EQ(header(tampered, "WWW-Authenticate").rfind("Bearer error=\"invalid_token\"", 0), 0u);
  // A refresh token is not an access token.
  const std::string refresh = member(send({.body = password_body()}), "refreshToken");
  EXPECT_EQ(accounts(refresh).status, 401);
}

TEST_F(V4EndpointsTest, JwksPublishesTheRsaKeyOnly) {
  for (http::Method method : {http::Method::kGet, http::Method::kHead}) {
    auto response = send({.method = method, .path = "/oauth2/keys", .content_type = ""});
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(header(response, "Cache-Control"), "public, max-age=60");
    auto keys = boost::json::parse(response.body).as_object().at("keys").as_array();
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys[0].as_object().at("kid").as_string(), domain::test::rsa_key()->kid());
    EXPECT_EQ(keys[0].as_object().at("kty"), "RSA");
    EXPECT_FALSE(keys[0].as_object().contains("d"));
    EXPECT_FALSE(keys[0].as_object().contains("k"));
  }
}

TEST_F(V4EndpointsTest, ThrottlingAnswers429WithRetryAfter) {
  for (int i = 0; i < 6; ++i) EXPECT_EQ(send({.body = password_body("wrong")}).status, 400);
  auto blocked = send({.body = password_body()});
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(header(blocked, "Retry-After"), "1");
  EXPECT_EQ(header(blocked, "Cache-Control"), "no-store");
  clock_.advance(1);
  EXPECT_EQ(send({.body = password_body()}).status, 200);
}

TEST_F(V4EndpointsTest, AStoreOutageIs503NeverInvalidGrant) {
  const std::string refresh = member(send({.body = password_body()}), "refreshToken");
  outage_->down = true;
  for (const std::string& body : {password_body(), refresh_body(refresh)}) {
    auto response = send({.body = body});
    EXPECT_EQ(response.status, 503) << response.body;
    EXPECT_EQ(member(response, "error"), "temporarily_unavailable");
    EXPECT_EQ(header(response, "Retry-After"), "1");
  }
  outage_->down = false;
  EXPECT_EQ(send({.body = refresh_body(refresh)}).status, 200);
}

TEST_F(V4EndpointsTest, DeferredGrantsOwnEverythingTheyNeed) {
  Gate gate;
  gate.hold(*password_pool_);
  CapturingDeferral deferral;
  {
    // The request's buffers die with this scope, before the grant runs.
    Sent sent{.body = password_body("not the password"), .remote = "198.51.100.77"};
    auto response = send(sent, &deferral);
    EXPECT_TRUE(response.deferred);
    EXPECT_TRUE(deferral.deferred());
    std::fill(sent.body.begin(), sent.body.end(), 'x');
    std::fill(sent.remote.begin(), sent.remote.end(), 'x');
  }
  gate.release();
  auto answer = deferral.wait();
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(member(answer, "error_description"), "the user name or password is incorrect");
  // The failure was counted under the address the request came from.
  auto counts =
      store_->read_failures(domain::ThrottleKeys::of(kUser, "198.51.100.77").keys).value();
  EXPECT_EQ(counts[domain::ThrottleKeys::kUserAndSource].count, 1);

  CapturingDeferral refresh_deferral;
  const std::string first = member(send({.body = password_body()}), "refreshToken");
  EXPECT_TRUE(send({.body = refresh_body(first)}, &refresh_deferral).deferred);
  auto refreshed = refresh_deferral.wait();
  EXPECT_EQ(refreshed.status, 200) << refreshed.body;
  expect_token_headers(refreshed);
}

TEST_F(V4EndpointsTest, AFullPoolAnswers503AtOnce) {
  Gate gate;
  gate.hold(*password_pool_);                      // occupies the worker
  ASSERT_TRUE(password_pool_->try_submit([] {}));  // fills the queue of one
  CapturingDeferral deferral;
  auto response = send({.body = password_body()}, &deferral);
  EXPECT_FALSE(response.deferred);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(header(response, "Retry-After"), "1");
  EXPECT_EQ(
      response.body,
      R"({"error":"temporarily_unavailable","error_description":"the server is busy, retry shortly"})");
  // Refreshes run on their own pool and are not held up by password work.
  const std::string first = member(send({.body = password_body()}), "refreshToken");
  CapturingDeferral refresh_deferral;
  EXPECT_TRUE(send({.body = refresh_body(first)}, &refresh_deferral).deferred);
  EXPECT_EQ(refresh_deferral.wait().status, 200);
  gate.release();
}

}  // namespace
}  // namespace connect_auth::protocol
