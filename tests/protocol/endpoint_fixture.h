// The endpoint test fixture shared by the v4 and the standard OAuth endpoint tests: a real
// SQLite store with one user, an HS256 and an RS256 signing key, the auth cache, the v4 grant
// service, the token inspector and small executors, all behind the real router. Deferred
// answers go through a real BoundedExecutor and a capturing Deferral, as the transport would run
// them.
#pragma once

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
#include "domain/token_inspection.h"
#include "domain/v4_test_keys.h"
#include "protocol/endpoints.h"
#include "support/fixed_master_key.h"
#include "support/sqlite_store.h"
#include "support/temp_dir.h"

namespace connect_auth::protocol::test {

constexpr const char* kUser = "ops@acme.test";
constexpr const char* kPassword = "a long enough password";
constexpr std::int64_t kStart = 1'800'000'000;

inline const domain::PasswordHasher& passwords() {
  static const domain::PasswordHasher hasher(domain::Argon2Params{});  // the allowed minimum
  return hasher;
}

inline std::string password_body(std::string_view password = kPassword,
                                 std::string_view scope = R"(,"scope":"OFFLINE_ACCESS")") {
  return std::string(R"({"grantType":"PASSWORD","userName":")") + kUser + R"(","password":")" +
         std::string(password) + "\"" + std::string(scope) + "}";
}
inline std::string refresh_body(std::string_view token) {
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
    store_ = std::move(
        ::connect_auth::test::open_sqlite_store("sqlite://" + (dir_ / "s.db").string()).value());
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
    inspector_ = std::make_unique<domain::TokenInspector>(
        *outage_, *cache_, domain::BearerCodecs{v3_codec_, &v4_codec_}, hasher_, clock_,
        domain::TokenInspectionSettings{"connect-auth", storage::RefreshPolicy{}});
    context_ = std::make_unique<EndpointContext>(
        EndpointContext{*cache_, v3_codec_, hasher_, clock_, random_, ready_, &v4_codec_,
                        grants_.get(), password_pool_.get(), token_pool_.get()});
    context_->token_inspector = inspector_.get();
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

  testing::TempDir dir_;
  ManualClock clock_{kStart};
  SecureRandom random_;
  tokens::MasterKey master_ = ::connect_auth::testing::fixed_master_key(5);
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
  std::unique_ptr<domain::TokenInspector> inspector_;
  std::unique_ptr<EndpointContext> context_;
  http::Router router_;
  std::string active_;
};

}  // namespace connect_auth::protocol::test
