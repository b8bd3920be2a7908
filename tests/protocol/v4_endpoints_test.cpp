// The v4 token endpoint, JWKS and v4 bearer tokens on the data endpoints, driven with hand-built
// requests over a real store: status, headers and exact body bytes. Deferred answers go through
// a real BoundedExecutor and a capturing Deferral, as the transport would run them.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>

#include "core/bounded_executor.h"
#include "domain/admin.h"
#include "domain/outage_store.h"
#include "domain/signing_keys.h"
#include "domain/v4_test_keys.h"
#include "protocol/endpoints.h"
#include "support/temp_dir.h"

namespace connect_auth::protocol {
namespace {

constexpr const char* kUser = "ops@acme.test";
constexpr const char* kPassword = "a long enough password";
constexpr std::int64_t kStart = 1'800'000'000;

const domain::PasswordHasher& passwords() {
  static const domain::PasswordHasher hasher(domain::Argon2Params{});  // the allowed minimum
  return hasher;
}

std::string password_body(std::string_view password = kPassword,
                          std::string_view scope = R"(,"scope":"OFFLINE_ACCESS")") {
  return std::string(R"({"grantType":"PASSWORD","userName":")") + kUser + R"(","password":")" +
         std::string(password) + "\"" + std::string(scope) + "}";
}
std::string refresh_body(std::string_view token) {
  // The seed's own sample, with its whitespace.
  return "{\n    \"scope\": \"OFFLINE_ACCESS\",\n    \"refreshToken\": \"" + std::string(token) +
         "\",\n    \"grantType\": \"REFRESH_TOKEN\"\n}\n";
}

// Captures what a deferred handler sends, as the transport's Deferral would.
class CapturingDeferral final : public http::Deferral {
 public:
  http::Responder defer() override {
    deferred_ = true;
    return http::Responder([this](http::Response response) {
      std::lock_guard lock(mutex_);
      response_ = std::move(response);
      done_.notify_all();
    });
  }
  bool deferred() const { return deferred_; }
  http::Response wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return response_.has_value(); });
    return std::move(*response_);
  }

 private:
  bool deferred_ = false;
  std::mutex mutex_;
  std::condition_variable done_;
  std::optional<http::Response> response_;
};

// Holds an executor's only worker until released.
class Gate {
 public:
  // Submits the holding task and returns once a worker runs it (so the queue is empty again).
  void hold(BoundedExecutor& executor) {
    ASSERT_TRUE(executor.try_submit([this, released = released_.get_future().share()] {
      started_.set_value();
      released.wait();
    }));
    started_.get_future().wait();
  }
  void release() { released_.set_value(); }

 private:
  std::promise<void> started_;
  std::promise<void> released_;
};

class V4EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(storage::open_store("sqlite://" + (dir_ / "s.db").string()).value());
    outage_ = std::make_unique<domain::test::OutageStore>(*store_);
    ASSERT_TRUE(domain::ensure_hs256_signing_key(*store_, master_, random_, clock_).ok());
    auto der = domain::test::rsa_key()->pkcs8_der();
    storage::SigningKey rsa;
    rsa.kid = domain::test::rsa_key()->kid();
    rsa.algorithm = "RS256";
    rsa.sealed_material = master_.seal(der);
    rsa.created_at = kStart - 100;
    rsa.activates_at = kStart - 100;
    ASSERT_TRUE(store_->insert_signing_key(rsa).ok());

    domain::AdminService admin(*store_, hasher_, passwords(), random_, clock_);
    active_ = admin.create_account("Acme Diner", "US").value();
    const std::string inactive = admin.create_account("Closed Co", "GB").value();
    const std::string foreign = admin.create_account("Not Ours", "FR").value();
    (void)foreign;
    ASSERT_TRUE(admin.create_user(kUser, kPassword).ok());
    ASSERT_TRUE(admin.grant_role(kUser, active_, storage::Role::kReporting).ok());
    ASSERT_TRUE(admin.grant_role(kUser, inactive, storage::Role::kManager).ok());
    ASSERT_TRUE(admin.set_account_active(inactive, false).ok());

    cache_ = std::make_unique<domain::AuthCache>(*store_, master_, &clock_);
    ASSERT_TRUE(cache_->load().ok());
    throttle_ = std::make_unique<domain::LoginThrottle>(*outage_, domain::LoginThrottlePolicy{});
    grants_ = std::make_unique<domain::V4GrantService>(*outage_, v4_codec_, passwords(), hasher_,
                                                       *throttle_, clock_, random_,
                                                       domain::V4GrantSettings{});
    password_pool_ = std::make_unique<BoundedExecutor>(
        BoundedExecutor::Options{.name = "pw", .threads = 1, .queue_capacity = 1});
    token_pool_ = std::make_unique<BoundedExecutor>(
        BoundedExecutor::Options{.name = "tok", .threads = 1, .queue_capacity = 4});
    context_ = std::make_unique<EndpointContext>(
        EndpointContext{*cache_, v3_codec_, hasher_, clock_, random_, ready_, &v4_codec_,
                        grants_.get(), password_pool_.get(), token_pool_.get()});
    router_ = build_router(*context_);
  }

  struct Sent {
    http::Method method = http::Method::kPost;
    std::string path = "/rest/v4/oauth/token";
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string remote = "192.0.2.10";
  };

  // Answered inline (no Deferral), as a unit-test caller without a transport.
  http::Response send(const Sent& s, http::Deferral* deferral = nullptr) {
    std::vector<http::Header> headers;
    if (!s.content_type.empty()) headers.push_back({"Content-Type", s.content_type});
    for (const auto& [n, v] : s.headers) headers.push_back({n, v});
    http::Request request;
    request.method = s.method;
    request.path = s.path;
    request.headers = headers;
    request.body = s.body;
    request.remote_address = s.remote;
    request.deferral = deferral;
    return router_.route(request);
  }
  static std::string header(const http::Response& response, std::string_view name) {
    for (const auto& [n, v] : response.headers) {
      if (http::iequals(n, name)) return v;
    }
    return {};
  }
  static std::string member(const http::Response& response, std::string_view name) {
    return std::string(boost::json::parse(response.body).as_object().at(name).as_string());
  }
  static void expect_token_headers(const http::Response& response) {
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(header(response, "Cache-Control"), "no-store");
    EXPECT_EQ(header(response, "Pragma"), "no-cache");
  }
  http::Response accounts(const std::string& token) {
    return send({.method = http::Method::kGet,
                 .path = "/rest/v3/accounts",
                 .content_type = "",
                 .headers = {{"Authorization", "Bearer " + token}}});
  }

  static tokens::MasterKey make_master() {
    std::array<std::uint8_t, 32> bytes{};
    bytes.fill(5);
    return tokens::MasterKey::from_bytes(bytes);
  }

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  SecureRandom random_;
  tokens::MasterKey master_ = make_master();
  std::array<std::uint8_t, 32> pepper_ = master_.pepper();
  tokens::SecretHasher hasher_{pepper_};
  domain::V3TokenCodec v3_codec_{{"https://127.0.0.1:8443", 1200, 30}};
  domain::V4TokenCodec v4_codec_{
      {"https://127.0.0.1:8443", "https://127.0.0.1:8443", "connect-auth", 3600, 30}};
  std::atomic<bool> ready_{true};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<domain::test::OutageStore> outage_;
  std::unique_ptr<domain::AuthCache> cache_;
  std::unique_ptr<domain::LoginThrottle> throttle_;
  std::unique_ptr<domain::V4GrantService> grants_;
  std::unique_ptr<BoundedExecutor> password_pool_;
  std::unique_ptr<BoundedExecutor> token_pool_;
  std::unique_ptr<EndpointContext> context_;
  http::Router router_;
  std::string active_;
};

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
