// Endpoints driven with hand-built requests: the whole protocol + domain path without sockets.
#include "protocol/endpoints.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/base64.h"
#include "domain/admin.h"
#include "domain/signing_keys.h"
#include "support/fixed_master_key.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"

namespace connect_auth::protocol {
namespace {

struct TestRequest {
  http::Method method = http::Method::kPost;
  std::string path = "/rest/v3/oauth/token";
  std::string query = "grant_type=client_credentials";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(
        ::connect_auth::test::open_sqlite_store("sqlite://" + (dir_ / "s.db").string()).value());
    ASSERT_TRUE(domain::ensure_hs256_signing_key(*store_, master_, random_, clock_).ok());
    domain::AdminService admin(*store_, hasher_, random_, clock_);
    active_ = admin.create_account("Acme Diner", "US").value();
    inactive_ = admin.create_account("Closed \"Co\"", "GB").value();
    ASSERT_TRUE(admin.create_user("ops@acme.test", "password-123").ok());
    ASSERT_TRUE(admin.grant_role("ops@acme.test", active_, storage::Role::kAdministrator).ok());
    ASSERT_TRUE(admin.grant_role("ops@acme.test", inactive_, storage::Role::kReporting).ok());
    ASSERT_TRUE(admin.set_account_active(inactive_, false).ok());
    key_ = admin.create_api_key("ops@acme.test", {active_, inactive_}).value();
    cache_ = std::make_unique<domain::AuthCache>(*store_, master_, &clock_);
    ASSERT_TRUE(cache_->load().ok());
    context_ = std::make_unique<EndpointContext>(
        EndpointContext{*cache_, codec_, hasher_, clock_, random_, ready_});
    router_ = build_router(*context_);
  }

  http::Response send(const TestRequest& r) {
    std::vector<http::Header> headers;
    for (const auto& [n, v] : r.headers) headers.push_back({n, v});
    http::Request request;
    request.method = r.method;
    request.path = r.path;
    request.query = r.query;
    request.headers = headers;
    request.body = r.body;
    return router_.route(request);
  }
  std::string user_header() const { return encode_base64(key_.api_id + ":" + key_.api_secret); }
  static std::string header(const http::Response& response, std::string_view name) {
    for (const auto& [n, v] : response.headers) {
      if (http::iequals(n, name)) return v;
    }
    return {};
  }
  static std::string error_of(const http::Response& response) {
    return std::string(boost::json::parse(response.body).as_object().at("error").as_string());
  }
  std::string token() {
    auto response = send({.headers = {{"user", user_header()}}});
    return std::string(
        boost::json::parse(response.body).as_object().at("access_token").as_string());
  }

  testing::TempDir dir_;
  ManualClock clock_{1'800'000'000};
  SecureRandom random_;
  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(7);
  std::array<std::uint8_t, 32> pepper_ = master_.pepper();
  tokens::SecretHasher hasher_{pepper_};
  domain::V3TokenCodec codec_{{"https://127.0.0.1:8443", 1200, 30}};
  std::atomic<bool> ready_{true};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<domain::AuthCache> cache_;
  std::unique_ptr<EndpointContext> context_;
  http::Router router_;
  std::string active_, inactive_;
  domain::NewApiKey key_;
};

TEST_F(EndpointsTest, TokenResponseIsExactlyTheSeedShape) {
  auto response = send({.headers = {{"user", user_header()}}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(header(response, "Cache-Control"), "no-store");
  EXPECT_EQ(header(response, "Pragma"), "no-cache");
  const std::string prefix = R"({"expires_in":"1200","token_type":"Bearer","access_token":")";
  ASSERT_EQ(response.body.rfind(prefix, 0), 0u) << response.body;
  auto body = boost::json::parse(response.body).as_object();
  EXPECT_EQ(body.size(), 3u);
}

TEST_F(EndpointsTest, GetAndBasicAuthAreAcceptedToo) {
  EXPECT_EQ(send({.method = http::Method::kGet, .headers = {{"user", user_header()}}}).status, 200);
  EXPECT_EQ(send({.headers = {{"Authorization", "Basic " + user_header()}}}).status, 200);
  EXPECT_EQ(send({.headers = {{"USER", user_header()}}, .body = "ignored=1"}).status, 200);
}

TEST_F(EndpointsTest, GrantTypeErrors) {
  auto missing = send({.query = "", .headers = {{"user", user_header()}}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(error_of(missing), "invalid_request");
  auto other = send({.query = "grant_type=password", .headers = {{"user", user_header()}}});
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(error_of(other), "unsupported_grant_type");
  auto twice = send({.query = "grant_type=client_credentials&grant_type=client_credentials",
                     .headers = {{"user", user_header()}}});
  EXPECT_EQ(error_of(twice), "invalid_request");
}

TEST_F(EndpointsTest, CredentialErrors) {
  auto none = send({});
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(error_of(none), "invalid_request");
  auto duplicate = send({.headers = {{"user", user_header()}, {"User", user_header()}}});
  EXPECT_EQ(error_of(duplicate), "invalid_request");
  auto two_ways =
      send({.headers = {{"user", user_header()}, {"Authorization", "Basic " + user_header()}}});
  EXPECT_EQ(error_of(two_ways), "invalid_request");
  auto bearer = send({.headers = {{"Authorization", "Bearer abc"}}});
  EXPECT_EQ(error_of(bearer), "invalid_request");
  auto garbage = send({.headers = {{"user", "not base64!"}}});
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(error_of(garbage), "invalid_request");
}

TEST_F(EndpointsTest, AuthenticationFailuresAreIndistinguishable) {
  std::vector<http::Response> failures;
  failures.push_back(send({.headers = {{"user", encode_base64(key_.api_id + ":wrong")}}}));
  failures.push_back(
      send({.headers = {{"user", encode_base64("AAAAAAAAAAAAAAAAAAAAAAAAA:" + key_.api_secret)}}}));
  failures.push_back(send({.headers = {{"user", encode_base64("' OR 1=1 --:x")}}}));
  for (const auto& f : failures) {
    EXPECT_EQ(f.status, 401);
    EXPECT_EQ(f.body, failures.front().body);
    EXPECT_EQ(f.headers.size(), failures.front().headers.size());
    EXPECT_EQ(error_of(f), "invalid_client");
  }
}

TEST_F(EndpointsTest, OtherMethodsGet405WithAllow) {
  auto response = send({.method = http::Method::kPut});
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(header(response, "Allow"), "POST, GET");
  EXPECT_EQ(send({.method = http::Method::kHead, .headers = {{"user", user_header()}}}).status,
            405);
}

TEST_F(EndpointsTest, AccountsListsActiveGrantedAccounts) {
  auto response = send({.method = http::Method::kGet,
                        .path = "/rest/v3/accounts",
                        .query = "",
                        .headers = {{"Authorization", "Bearer " + token()}}});
  ASSERT_EQ(response.status, 200) << response.body;
  auto accounts = boost::json::parse(response.body).as_array();
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(std::string(accounts[0].as_object().at("accountGuid").as_string()), active_);
  EXPECT_EQ(accounts[0].as_object().at("companyName"), "Acme Diner");
  EXPECT_EQ(accounts[0].as_object().at("countryCode"), "US");
}

TEST_F(EndpointsTest, AccountsRefusesBadTokensWithTheBearerChallenge) {
  const std::string valid = token();
  std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {{"Authorization", "Bearer"}},
      {{"Authorization", "Basic " + user_header()}},
      {{"Authorization", "Bearer " + valid.substr(0, valid.size() - 2)}},
      {{"Authorization", "Bearer " + valid + "x"}},
  };
  for (const auto& headers : cases) {
    auto response = send({.method = http::Method::kGet,
                          .path = "/rest/v3/accounts",
                          .query = "",
                          .headers = headers});
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(header(response, "WWW-Authenticate").rfind("Bearer error=\"invalid_token\"", 0), 0u);
  }
  clock_.advance(1200 + 30);
  auto expired = send({.method = http::Method::kGet,
                       .path = "/rest/v3/accounts",
                       .query = "",
                       .headers = {{"Authorization", "Bearer " + valid}}});
  EXPECT_EQ(expired.status, 401);
}

TEST_F(EndpointsTest, AccountsWithoutCredentialsGetsTheChallengeWithoutAnErrorCode) {
  // RFC 6750 §3.1: no credentials at all is not an invalid token.
  for (http::Method method : {http::Method::kGet, http::Method::kHead}) {
    auto response = send({.method = method, .path = "/rest/v3/accounts", .query = ""});
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(header(response, "WWW-Authenticate"), R"(Bearer realm="connect-auth")");
  }
}

TEST_F(EndpointsTest, ReadinessFollowsTheFlag) {
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/health/ready", .query = ""}).status, 200);
  ready_ = false;
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/health/ready", .query = ""}).status, 503);
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/health/live", .query = ""}).status, 200);
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/nope", .query = ""}).status, 404);
}

TEST_F(EndpointsTest, ReadinessAsksTheCheckToo) {
  bool healthy = false;  // app/readiness: e.g. the store has not answered for too long
  context_->ready_check = [&healthy] { return healthy; };
  auto response = send({.method = http::Method::kGet, .path = "/health/ready", .query = ""});
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(header(response, "Retry-After"), "1");
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/health/live", .query = ""}).status, 200);
  healthy = true;
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/health/ready", .query = ""}).status, 200);
  ready_ = false;  // the serving flag still decides first (SIGTERM)
  EXPECT_EQ(send({.method = http::Method::kGet, .path = "/health/ready", .query = ""}).status, 503);
  context_->ready_check = nullptr;
}

}  // namespace
}  // namespace connect_auth::protocol
