// The standard OAuth surface (wire-contract §6): /oauth2/token (RFC 6749), /oauth2/revoke
// (RFC 7009), /oauth2/introspect (RFC 7662) and the RFC 8414 metadata, driven through the real
// router over a real store: status, headers and exact bodies.
#include "core/base64.h"
#include "protocol/oauth2_endpoints.h"
#include "protocol/openapi_endpoint.h"
#include "protocol/endpoint_fixture.h"

namespace connect_auth::protocol {
namespace {

using namespace test;  // NOLINT: the fixture's helpers

class OAuth2EndpointsTest : public V4EndpointsTest {
 protected:
  void SetUp() override {
    V4EndpointsTest::SetUp();
    domain::AdminService admin(*store_, hasher_, passwords(), random_, clock_);
    auto plain = admin.create_api_key(kUser, {active_});
    auto resource_server = admin.create_api_key(kUser, {active_}, /*may_introspect=*/true);
    ASSERT_TRUE(plain.ok() && resource_server.ok());
    key_id_ = plain->api_id;
    key_secret_ = plain->api_secret;
    rs_id_ = resource_server->api_id;
    rs_secret_ = resource_server->api_secret;
    ASSERT_TRUE(cache_->refresh().ok());
  }

  static std::pair<std::string, std::string> basic(std::string_view id, std::string_view secret) {
    return {"Authorization", "Basic " + encode_base64(std::string(id) + ":" + std::string(secret))};
  }

  // A form POST, answered inline or through a capturing Deferral as the transport would.
  http::Response form(std::string path, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    CapturingDeferral deferral;
    http::Response response =
        send({.path = std::move(path),
              .content_type = "application/x-www-form-urlencoded",
              .body = std::move(body),
              .headers = std::move(headers)},
             &deferral);
    return deferral.deferred() ? deferral.wait() : response;
  }
  http::Response token(std::string body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
    return form("/oauth2/token", std::move(body), std::move(headers));
  }
  http::Response introspect(std::string_view token_text) {
    return form("/oauth2/introspect", "token=" + std::string(token_text), {basic(rs_id_, rs_secret_)});
  }
  static boost::json::object json(const http::Response& response) {
    return boost::json::parse(response.body).as_object();
  }
  static std::string error_of(const http::Response& response) {
    return member(response, "error");
  }
  http::Response password_login(std::string_view scope = "offline_access") {
    std::string body = std::string("grant_type=password&username=ops%40acme.test&password=") +
                       "a+long+enough+password&client_id=connect-auth";
    if (!scope.empty()) body += "&scope=" + std::string(scope);
    return token(std::move(body));
  }

  std::string key_id_, key_secret_, rs_id_, rs_secret_;
};

// ------------------------------------------------------------------ /oauth2/token

TEST_F(OAuth2EndpointsTest, ClientCredentialsWithBasicAnswersRfc6749) {
  auto response = token("grant_type=client_credentials", {basic(key_id_, key_secret_)});
  ASSERT_EQ(response.status, 200) << response.body;
  expect_token_headers(response);
  const auto body = json(response);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  ASSERT_TRUE(body.at("expires_in").is_int64());  // a number here, unlike the v3 dialect
  EXPECT_EQ(body.at("expires_in").as_int64(), 1200);
  EXPECT_EQ(body.size(), 3u);  // no refresh token, no scope
  EXPECT_EQ(accounts(std::string(body.at("access_token").as_string())).status, 200);
}

TEST_F(OAuth2EndpointsTest, ClientCredentialsWithFormFields) {
  auto response = token("grant_type=client_credentials&client_id=" + key_id_ +
                        "&client_secret=" + key_secret_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(accounts(member(response, "access_token")).status, 200);
}

TEST_F(OAuth2EndpointsTest, FailedClientAuthenticationIs401WithABasicChallenge) {
  for (const auto& headers : {std::vector{basic(key_id_, "wrong")},
                              std::vector{basic("AAAAAAAAAAAAAAAAAAAAAAAAA", key_secret_)},
                              std::vector{std::pair<std::string, std::string>{
                                  "Authorization", "Basic !!notbase64"}}}) {
    auto response = token("grant_type=client_credentials", headers);
    EXPECT_EQ(response.status, 401) << response.body;
    EXPECT_EQ(error_of(response), "invalid_client");
    EXPECT_EQ(header(response, "WWW-Authenticate"), "Basic realm=\"connect-auth\"");
  }
  auto posted = token("grant_type=client_credentials&client_id=" + key_id_ + "&client_secret=x");
  EXPECT_EQ(posted.status, 401);
  // An API key named without its secret is not authenticated either.
  EXPECT_EQ(token("grant_type=client_credentials&client_id=" + key_id_).status, 401);
  // The public first-party client has no secret: one sent along is refused.
  EXPECT_EQ(token("grant_type=password&username=u&password=p&client_id=connect-auth&"
                  "client_secret=guess")
                .status,
            401);
}

TEST_F(OAuth2EndpointsTest, GrantsAreTiedToTheirKindOfClient) {
  // client_credentials needs an API key; user grants need the first-party client.
  auto public_cc = token("grant_type=client_credentials&client_id=connect-auth");
  EXPECT_EQ(public_cc.status, 400);
  EXPECT_EQ(error_of(public_cc), "unauthorized_client");
  // No client authentication at all is invalid_client (RFC 6749 §5.2).
  auto no_client_cc = token("grant_type=client_credentials");
  EXPECT_EQ(no_client_cc.status, 401);
  EXPECT_EQ(error_of(no_client_cc), "invalid_client");
  auto key_password = token(
      "grant_type=password&username=ops%40acme.test&password=a+long+enough+password",
      {basic(key_id_, key_secret_)});
  EXPECT_EQ(key_password.status, 400);
  EXPECT_EQ(error_of(key_password), "unauthorized_client");
}

TEST_F(OAuth2EndpointsTest, MalformedRequestsAreInvalidRequest) {
  const auto expect_invalid = [](const http::Response& response, std::string_view why) {
    EXPECT_EQ(response.status, 400) << why << ": " << response.body;
    EXPECT_EQ(error_of(response), "invalid_request") << why;
  };
  expect_invalid(token("grant_type=client_credentials&grant_type=client_credentials",
                       {basic(key_id_, key_secret_)}),
                 "repeated grant_type");
  expect_invalid(token("grant_type=client_credentials&client_id=a&client_id=a"), "repeated id");
  expect_invalid(token("grant_type=client_credentials&client_secret=" + key_secret_,
                       {basic(key_id_, key_secret_)}),
                 "two authentication methods");
  expect_invalid(token("grant_type=client_credentials&client_id=OTHER",
                       {basic(key_id_, key_secret_)}),
                 "Basic and a different client_id");
  expect_invalid(token("client_id=connect-auth"), "no grant_type");
  expect_invalid(token("grant_type=password&password=x"), "no username");
  expect_invalid(token("grant_type=refresh_token"), "no refresh_token");
  expect_invalid(token("grant_type=password&username=u&password=%zz"), "bad escape");
  expect_invalid(token("grant_type=client_credentials",
                       {{"Authorization", "Bearer " + std::string(60, 'a')}}),
                 "wrong scheme");
  auto json_body = send({.path = "/oauth2/token", .body = R"({"grant_type":"password"})"});
  expect_invalid(json_body, "JSON instead of a form");

  auto unsupported = token("grant_type=authorization_code&code=x");
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_EQ(error_of(unsupported), "unsupported_grant_type");
  auto bad_scope = token("grant_type=client_credentials&scope=admin", {basic(key_id_, key_secret_)});
  EXPECT_EQ(error_of(bad_scope), "invalid_scope");
  auto get = send({.method = http::Method::kGet, .path = "/oauth2/token", .content_type = ""});
  EXPECT_EQ(get.status, 405);
}

TEST_F(OAuth2EndpointsTest, PasswordGrantWithAndWithoutOfflineAccess) {
  auto offline = password_login();
  ASSERT_EQ(offline.status, 200) << offline.body;
  expect_token_headers(offline);
  auto body = json(offline);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in").as_int64(), 3600);
  EXPECT_EQ(body.at("scope"), "offline_access");
  EXPECT_FALSE(body.at("refresh_token").as_string().empty());
  EXPECT_EQ(accounts(std::string(body.at("access_token").as_string())).status, 200);

  auto online = password_login("");
  ASSERT_EQ(online.status, 200) << online.body;
  EXPECT_FALSE(json(online).contains("refresh_token"));
  EXPECT_FALSE(json(online).contains("scope"));
  // requests-oauthlib's default for a public client: Basic with the id and an empty secret.
  auto empty_secret = token(
      "grant_type=password&username=ops%40acme.test&password=a+long+enough+password",
      {basic("connect-auth", "")});
  EXPECT_EQ(empty_secret.status, 200) << empty_secret.body;
  // No client named at all is the first-party client too.
  auto anonymous = token("grant_type=password&username=ops%40acme.test&password=a+long+enough+password");
  EXPECT_EQ(anonymous.status, 200) << anonymous.body;
}

TEST_F(OAuth2EndpointsTest, EveryPasswordFailureIsTheSameInvalidGrant) {
  auto wrong = token("grant_type=password&username=ops%40acme.test&password=wrong");
  auto unknown = token("grant_type=password&username=nobody%40acme.test&password=wrong");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(error_of(wrong), "invalid_grant");
  EXPECT_EQ(wrong.body, unknown.body);
  auto bad_scope = token("grant_type=password&username=u&password=p&scope=email");
  EXPECT_EQ(error_of(bad_scope), "invalid_scope");
}

TEST_F(OAuth2EndpointsTest, RefreshTokenGrantRotates) {
  const std::string first = member(password_login(), "refresh_token");
  auto refreshed = token("grant_type=refresh_token&refresh_token=" + first);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  const std::string second = member(refreshed, "refresh_token");
  EXPECT_NE(second, first);
  EXPECT_EQ(member(refreshed, "scope"), "offline_access");
  EXPECT_EQ(accounts(member(refreshed, "access_token")).status, 200);
  // The same family and rules as the v4 dialect: the new token works there too.
  auto v4 = send({.body = refresh_body(second)}, nullptr);
  EXPECT_EQ(v4.status, 200) << v4.body;
  auto unknown = token("grant_type=refresh_token&refresh_token=" + std::string(43, 'A'));
  EXPECT_EQ(error_of(unknown), "invalid_grant");
}

// ------------------------------------------------------------------ /oauth2/revoke

TEST_F(OAuth2EndpointsTest, RevokingARefreshTokenEndsItsFamily) {
  const std::string first = member(password_login(), "refresh_token");
  const std::string second =
      member(token("grant_type=refresh_token&refresh_token=" + first), "refresh_token");
  auto revoked = form("/oauth2/revoke", "token=" + first + "&client_id=connect-auth");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(revoked.body.empty());
  EXPECT_EQ(header(revoked, "Cache-Control"), "no-store");
  EXPECT_EQ(error_of(token("grant_type=refresh_token&refresh_token=" + second)), "invalid_grant");
  EXPECT_EQ(json(introspect(second)), (boost::json::object{{"active", false}}));
}

TEST_F(OAuth2EndpointsTest, RevokedAccessTokensFailTheVeryNextRequest) {
  const std::string v4 = member(password_login(""), "access_token");
  ASSERT_EQ(accounts(v4).status, 200);
  auto revoked = form("/oauth2/revoke", "token=" + v4 + "&token_type_hint=access_token");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(accounts(v4).status, 401);

  const std::string v3 =
      member(token("grant_type=client_credentials", {basic(key_id_, key_secret_)}), "access_token");
  // A token is revoked only by the client it was issued to.
  auto other = form("/oauth2/revoke", "token=" + v3, {basic(rs_id_, rs_secret_)});
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(error_of(other), "unauthorized_client");
  auto by_public = form("/oauth2/revoke", "token=" + v3 + "&client_id=connect-auth");
  EXPECT_EQ(error_of(by_public), "unauthorized_client");
  EXPECT_EQ(accounts(v3).status, 200);
  // The hint is only a hint.
  auto own = form("/oauth2/revoke", "token=" + v3 + "&token_type_hint=refresh_token",
                  {basic(key_id_, key_secret_)});
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(accounts(v3).status, 401);
  // A fresh token of the same key still works: only that one token was revoked.
  EXPECT_EQ(accounts(member(token("grant_type=client_credentials", {basic(key_id_, key_secret_)}),
                            "access_token"))
                .status,
            200);
  // Revoking again, or revoking garbage, is a quiet success (RFC 7009 §2.2).
  EXPECT_EQ(form("/oauth2/revoke", "token=" + v3, {basic(key_id_, key_secret_)}).status, 200);
  EXPECT_EQ(form("/oauth2/revoke", "token=not.a.token&client_id=connect-auth").status, 200);
  // An API key presenting a refresh token: refused only if the token exists.
  EXPECT_EQ(form("/oauth2/revoke", "token=" + std::string(43, 'A'), {basic(key_id_, key_secret_)})
                .status,
            200);
  const std::string refresh = member(password_login(), "refresh_token");
  EXPECT_EQ(error_of(form("/oauth2/revoke", "token=" + refresh, {basic(key_id_, key_secret_)})),
            "unauthorized_client");
  EXPECT_EQ(token("grant_type=refresh_token&refresh_token=" + refresh).status, 200);
}

// A revocation that could not be stored must not read as done (RFC 7009 §2.2.1: 503).
TEST_F(OAuth2EndpointsTest, StoreOutageIsA503NeverAQuietSuccess) {
  auto login = password_login();
  const std::string access = member(login, "access_token");
  const std::string refresh = member(login, "refresh_token");
  outage_->down = true;
  for (const std::string& token_text : {access, refresh}) {
    auto revoked = form("/oauth2/revoke", "token=" + token_text + "&client_id=connect-auth");
    EXPECT_EQ(revoked.status, 503) << revoked.body;
    EXPECT_EQ(error_of(revoked), "temporarily_unavailable");
  }
  EXPECT_EQ(introspect(refresh).status, 503);
  outage_->down = false;
  EXPECT_EQ(accounts(access).status, 200);  // nothing was revoked
  EXPECT_EQ(form("/oauth2/revoke", "token=" + access).status, 200);
  EXPECT_EQ(accounts(access).status, 401);
}

TEST_F(OAuth2EndpointsTest, RevocationNeedsATokenAndAnAuthenticatedClient) {
  EXPECT_EQ(error_of(form("/oauth2/revoke", "client_id=connect-auth")), "invalid_request");
  EXPECT_EQ(form("/oauth2/revoke", "token=x", {basic(key_id_, "wrong")}).status, 401);
}

// ------------------------------------------------------------------ /oauth2/introspect

TEST_F(OAuth2EndpointsTest, IntrospectionDescribesLiveTokensOnly) {
  auto login = password_login();
  const std::string v4 = member(login, "access_token");
  const std::string refresh = member(login, "refresh_token");
  const std::string v3 =
      member(token("grant_type=client_credentials", {basic(key_id_, key_secret_)}), "access_token");

  auto user = introspect(v4);
  ASSERT_EQ(user.status, 200) << user.body;
  EXPECT_EQ(header(user, "Cache-Control"), "no-store");
  auto body = json(user);
  EXPECT_EQ(body.at("active"), true);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("client_id"), "connect-auth");
  EXPECT_EQ(body.at("username"), kUser);
  EXPECT_EQ(body.at("sub"), kUser);
  EXPECT_EQ(body.at("scope"), "offline_access");
  EXPECT_EQ(body.at("aud"), "https://127.0.0.1:8443");
  EXPECT_EQ(body.at("exp").as_int64() - body.at("iat").as_int64(), 3600);

  auto key = json(introspect(v3));
  EXPECT_EQ(key.at("active"), true);
  EXPECT_EQ(key.at("client_id"), key_id_.c_str());
  EXPECT_EQ(key.at("sub"), key_id_.c_str());
  EXPECT_FALSE(key.contains("username"));

  auto refresh_body_json = json(introspect(refresh));
  EXPECT_EQ(refresh_body_json.at("active"), true);
  EXPECT_EQ(refresh_body_json.at("token_type"), "refresh_token");
  EXPECT_EQ(refresh_body_json.at("username"), kUser);

  const boost::json::object inactive{{"active", false}};
  EXPECT_EQ(json(introspect("garbage")), inactive);
  EXPECT_EQ(json(introspect(v4 + "x")), inactive);
  // A rotated refresh token is no longer live, and an expired access token neither.
  (void)token("grant_type=refresh_token&refresh_token=" + refresh);
  EXPECT_EQ(json(introspect(refresh)), inactive);
  clock_.advance(3600 + 31);
  EXPECT_EQ(json(introspect(v4)), inactive);
}

TEST_F(OAuth2EndpointsTest, OnlyPermittedKeysMayIntrospect) {
  const std::string v3 =
      member(token("grant_type=client_credentials", {basic(key_id_, key_secret_)}), "access_token");
  for (const auto& headers : {std::vector{basic(key_id_, key_secret_)},
                              std::vector<std::pair<std::string, std::string>>{}}) {
    auto refused = form("/oauth2/introspect", "token=" + v3, headers);
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_EQ(error_of(refused), "invalid_client");
  }
  EXPECT_EQ(form("/oauth2/introspect", "token=" + v3 + "&client_id=connect-auth").status, 401);
  EXPECT_EQ(error_of(form("/oauth2/introspect", "", {basic(rs_id_, rs_secret_)})),
            "invalid_request");
}

// ------------------------------------------------------------------ RFC 8414 metadata

TEST_F(OAuth2EndpointsTest, MetadataListsExactlyWhatIsSupported) {
  auto response = send({.method = http::Method::kGet,
                        .path = "/.well-known/oauth-authorization-server",
                        .content_type = ""});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  const auto body = json(response);
  EXPECT_EQ(body.at("issuer"), "https://127.0.0.1:8443");
  EXPECT_EQ(body.at("token_endpoint"), "https://127.0.0.1:8443/oauth2/token");
  EXPECT_EQ(body.at("jwks_uri"), "https://127.0.0.1:8443/oauth2/keys");
  EXPECT_EQ(body.at("revocation_endpoint"), "https://127.0.0.1:8443/oauth2/revoke");
  EXPECT_EQ(body.at("introspection_endpoint"), "https://127.0.0.1:8443/oauth2/introspect");
  EXPECT_EQ(body.at("grant_types_supported"),
            (boost::json::array{"client_credentials", "password", "refresh_token"}));
  EXPECT_EQ(body.at("response_types_supported"), boost::json::array{});
  EXPECT_EQ(body.at("scopes_supported"), boost::json::array{"offline_access"});
  // Every endpoint named in it answers.
  for (const char* path : {"/oauth2/token", "/oauth2/revoke", "/oauth2/introspect"}) {
    EXPECT_NE(send({.path = path, .content_type = "application/x-www-form-urlencoded"}).status, 404)
        << path;
  }
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/oauth2/keys", .content_type = ""}).status,
            200);
}

// The server's complete router (every optional part configured) against api/openapi.json as
// compiled in: a route missing from the document, or documented but not served, fails here.
TEST_F(OAuth2EndpointsTest, OpenApiDocumentMatchesEveryRoute) {
  const std::vector<std::string> mismatches = openapi_route_mismatches(router_, openapi_document());
  EXPECT_TRUE(mismatches.empty()) << [&] {
    std::string all;
    for (const std::string& line : mismatches) all += line + "\n";
    return all;
  }();
  auto served = send({.method = http::Method::kGet, .path = "/openapi.json", .content_type = ""});
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, openapi_document());
}

TEST(MetadataPath, FollowsTheIssuersPath) {
  EXPECT_EQ(metadata_path_for("https://auth.example.test"), kMetadataPath);
  EXPECT_EQ(metadata_path_for("https://auth.example.test/"), kMetadataPath);
  EXPECT_EQ(metadata_path_for("https://127.0.0.1:8443"), kMetadataPath);
  EXPECT_EQ(metadata_path_for("https://auth.example.test/tenant/a/"),
            "/.well-known/oauth-authorization-server/tenant/a");
  EXPECT_EQ(metadata_path_for("not a url"), kMetadataPath);
}

}  // namespace
}  // namespace connect_auth::protocol
