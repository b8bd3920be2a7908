// The client library against an in-process scripted server (fake_server.h): retries, backoff,
// single flight, renewal, v4 refresh rotation. The same library against the real server is
// live_test.cpp, run by tests/integration/test_client_library.py.
#include "connect_auth/client/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "fake_server.h"
#include "internal.h"
#include "token_burst.h"

namespace connect_auth::client {
namespace {

using namespace std::chrono_literals;
using testing::FakeRequest;
using testing::FakeResponse;
using testing::FakeServer;
using testing::json_response;
namespace json = boost::json;

constexpr const char* kApiId = "ABCDEFGHIJKLMNOPQRSTUVWXY";
constexpr const char* kSecret = "s3cr3t-S3CR3T-very-secret-value-0123456789ab";

Options fast_options(const FakeServer& server) {
  Options o;
  o.base_url = server.url();
  o.timeout = 2000ms;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 50ms;
  return o;
}

FakeResponse v3_token(const std::string& token, int expires_in = 1200) {
  return json_response(200, "{\"expires_in\":\"" + std::to_string(expires_in) +
                                "\",\"token_type\":\"Bearer\",\"access_token\":\"" + token + "\"}");
}

FakeResponse v4_token(const std::string& access, const std::string& refresh,
                      int expires_in = 3600) {
  json::object o;
  o["tokenType"] = "Bearer";
  o["expiresIn"] = std::to_string(expires_in);
  o["accessToken"] = access;
  o["scope"] = "offline_access";
  o["refreshToken"] = refresh;
  return json_response(200, json::serialize(o));
}

FakeResponse oauth_error(int status, const std::string& error, const std::string& description) {
  json::object o;
  o["error"] = error;
  o["error_description"] = description;
  return json_response(status, json::serialize(o));
}

json::object body_of(const FakeRequest& r) { return json::parse(r.body).as_object(); }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ------------------------------------------------------------------ pure functions

TEST(Backoff, CeilingDoublesUpToTheMaximum) {
  RetryPolicy p;
  p.initial_backoff = 200ms;
  p.max_backoff = 5000ms;
  EXPECT_EQ(detail::backoff_ceiling(p, 0), 200ms);
  EXPECT_EQ(detail::backoff_ceiling(p, 1), 400ms);
  EXPECT_EQ(detail::backoff_ceiling(p, 4), 3200ms);
  EXPECT_EQ(detail::backoff_ceiling(p, 5), 5000ms);
  EXPECT_EQ(detail::backoff_ceiling(p, 1000), 5000ms);  // no overflow
  p.initial_backoff = 0ms;
  EXPECT_EQ(detail::backoff_ceiling(p, 3), 0ms);
}

TEST(Backoff, FullJitterStaysWithinZeroAndTheCeiling) {
  RetryPolicy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 1000ms;
  EXPECT_EQ(detail::backoff_delay(p, 0, 0), 0ms);
  EXPECT_EQ(detail::backoff_delay(p, 0, 100), 100ms);  // the ceiling itself is reachable
  EXPECT_EQ(detail::backoff_delay(p, 0, 101), 0ms);
  for (std::uint64_t r : {1ull, 77ull, 999ull, 123456789ull, ~0ull}) {
    for (int n = 0; n < 10; ++n) {
      const auto d = detail::backoff_delay(p, n, r);
      EXPECT_GE(d, 0ms);
      EXPECT_LE(d, detail::backoff_ceiling(p, n));
    }
  }
}

TEST(Backoff, RetryAfterLimitIsFourMaxBackoffsAndAtLeastOneSecond) {
  RetryPolicy p;
  EXPECT_EQ(detail::retry_after_limit(p), 20s);
  p.max_backoff = 10ms;
  EXPECT_EQ(detail::retry_after_limit(p), 1s);
}

TEST(RetryAfter, ParsesDeltaSecondsOnly) {
  EXPECT_EQ(detail::parse_retry_after("1"), 1s);
  EXPECT_EQ(detail::parse_retry_after(" 120 "), 120s);
  EXPECT_EQ(detail::parse_retry_after("0"), 0s);
  EXPECT_FALSE(detail::parse_retry_after(""));
  EXPECT_FALSE(detail::parse_retry_after("-1"));
  EXPECT_FALSE(detail::parse_retry_after("1.5"));
  EXPECT_FALSE(detail::parse_retry_after("10s"));
  EXPECT_FALSE(detail::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(detail::parse_retry_after("99999999999999999999"));
}

TEST(Retryable, NetworkServerErrorsAnd429Only) {
  EXPECT_TRUE(detail::is_retryable_status(429));
  EXPECT_TRUE(detail::is_retryable_status(500));
  EXPECT_TRUE(detail::is_retryable_status(503));
  EXPECT_FALSE(detail::is_retryable_status(400));
  EXPECT_FALSE(detail::is_retryable_status(401));
  EXPECT_FALSE(detail::is_retryable_status(404));
  Error e;
  e.kind = Error::Kind::kOAuth;
  e.http_status = 401;
  EXPECT_FALSE(detail::is_retryable(e));
  e.kind = Error::Kind::kUsage;
  EXPECT_FALSE(detail::is_retryable(e));
  e.kind = Error::Kind::kTimeout;
  EXPECT_TRUE(detail::is_retryable(e));
}

TEST(Answers, V3TokenWithStringOrNumberLifetime) {
  auto a = detail::parse_v3_answer(
      R"({"expires_in":"1200","token_type":"Bearer","access_token":"abc.def.ghi"})");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->access_token, "abc.def.ghi");
  EXPECT_EQ(a->expires_in, 1200s);
  EXPECT_FALSE(a->refresh_token);
  auto b = detail::parse_v3_answer(R"({"expires_in":60,"token_type":"bearer","access_token":"x"})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->expires_in, 60s);
}

TEST(Answers, V3TokenMalformedIsAProtocolErrorWithoutTheBody) {
  for (const char* body :
       {"", "not json", "[]", R"({"expires_in":"1200","token_type":"Bearer"})",
        R"({"expires_in":"soon","access_token":"tok-1234567"})",
        R"({"expires_in":"-5","access_token":"tok-1234567"})",
        R"({"expires_in":"60","token_type":"MAC","access_token":"tok-1234567"})"}) {
    auto a = detail::parse_v3_answer(body);
    ASSERT_FALSE(a) << body;
    EXPECT_EQ(a.error().kind, Error::Kind::kProtocol);
    EXPECT_EQ(a.error().message().find("tok-1234567"), std::string::npos);
  }
}

TEST(Answers, V4TokenWithRefreshToken) {
  auto a = detail::parse_v4_answer(
      R"({"tokenType":"Bearer","expiresIn":"3600","accessToken":"at","scope":"offline_access","refreshToken":"rt"})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->access_token, "at");
  EXPECT_EQ(a->expires_in, 3600s);
  ASSERT_TRUE(a->refresh_token);
  EXPECT_EQ(*a->refresh_token, "rt");
  auto b =
      detail::parse_v4_answer(R"({"tokenType":"Bearer","expiresIn":"3600","accessToken":"at"})");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->refresh_token);
}

TEST(Answers, Accounts) {
  auto a = detail::parse_accounts(
      R"([{"accountGuid":"g1","companyName":"Acme","countryCode":"US","extra":1},{"accountGuid":"g2"}])");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].account_guid, "g1");
  EXPECT_EQ((*a)[0].company_name, "Acme");
  EXPECT_EQ((*a)[0].country_code, "US");
  EXPECT_EQ((*a)[1].account_guid, "g2");
  EXPECT_FALSE(detail::parse_accounts(R"({"accountGuid":"g1"})"));
  EXPECT_FALSE(detail::parse_accounts(R"([{"companyName":"x"}])"));
}

TEST(Answers, OAuthErrorBodiesAndChallenges) {
  HttpResponse r{
      401, {}, R"({"error":"invalid_client","error_description":"client authentication failed"})"};
  Error e = detail::error_from_response(r);
  EXPECT_EQ(e.kind, Error::Kind::kOAuth);
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_EQ(e.http_status, 401);
  EXPECT_EQ(e.message(), "invalid_client (HTTP 401): client authentication failed");

  HttpResponse challenge{401, {{"www-authenticate", R"(Bearer error="invalid_token")"}}, ""};
  e = detail::error_from_response(challenge);
  EXPECT_EQ(e.kind, Error::Kind::kOAuth);
  EXPECT_EQ(e.error, "invalid_token");

  HttpResponse throttled{429, {{"retry-after", "7"}}, "<html>busy</html>"};
  e = detail::error_from_response(throttled);
  EXPECT_EQ(e.kind, Error::Kind::kHttp);
  EXPECT_EQ(e.retry_after, 7s);
  EXPECT_EQ(e.message().find("html"), std::string::npos);
}

TEST(Requests, BodiesAreEscapedJson) {
  const std::string password = "pa\"ss\\wo\nrd\",\"grantType\":\"REFRESH_TOKEN";
  auto body = json::parse(detail::v4_password_body("u\"ser", password)).as_object();
  EXPECT_EQ(body.at("password").as_string(), password);
  EXPECT_EQ(body.at("userName").as_string(), "u\"ser");
  EXPECT_EQ(body.at("grantType").as_string(), "PASSWORD");
  EXPECT_EQ(body.at("scope").as_string(), "OFFLINE_ACCESS");
  EXPECT_EQ(body.size(), 4u);
  auto refresh = json::parse(detail::v4_refresh_body("r\"t")).as_object();
  EXPECT_EQ(refresh.at("refreshToken").as_string(), "r\"t");
  EXPECT_EQ(refresh.at("grantType").as_string(), "REFRESH_TOKEN");
}

TEST(Requests, UserHeaderIsStandardBase64) {
  EXPECT_EQ(detail::v3_user_header_value("ID", "secret"), "SUQ6c2VjcmV0");  // "ID:secret"
  EXPECT_EQ(detail::v3_user_header_value("I", "s"), "STpz");
  EXPECT_EQ(detail::v3_user_header_value("I", "se"), "STpzZQ==");
  EXPECT_EQ(detail::v3_user_header_value("I", "sec"), "STpzZWM=");
}

TEST(Renewal, MarginIsClampedToHalfTheLifetime) {
  const auto t0 = std::chrono::system_clock::time_point() + 1000h;
  EXPECT_EQ(detail::renew_time(t0, t0 + 1200s, 60s), t0 + 1140s);
  EXPECT_EQ(detail::renew_time(t0, t0 + 60s, 60s), t0 + 30s);
  EXPECT_EQ(detail::renew_time(t0, t0 + 3s, 1s), t0 + 2s);
  EXPECT_EQ(detail::renew_time(t0, t0 + 60s, 0s), t0 + 60s);
}

TEST(Errors, MessagesNeverCarryTheDescriptionOfASecretTheServerEchoed) {
  const std::string header = detail::v3_user_header_value(kApiId, kSecret);
  FakeServer server([&](const FakeRequest&, int) {
    return oauth_error(401, "invalid_client", "bad user " + header + " / " + kSecret);
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  auto token = client.token();
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().kind, Error::Kind::kOAuth);
  const std::string message = token.error().message();
  EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
  EXPECT_EQ(message.find(header), std::string::npos) << message;
  EXPECT_NE(message.find("invalid_client (HTTP 401)"), std::string::npos) << message;
}

TEST(Errors, UsageErrors) {
  Client bad_url({.base_url = "ftp://example.com"}, ApiKey{kApiId, kSecret});
  auto t = bad_url.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, Error::Kind::kUsage);
  Client user_info({.base_url = "https://me:pw@example.com"}, ApiKey{kApiId, kSecret});
  EXPECT_EQ(user_info.token().error().kind, Error::Kind::kUsage);
  Client no_secret({}, ApiKey{kApiId, ""});
  EXPECT_EQ(no_secret.token().error().kind, Error::Kind::kUsage);
  Client empty_refresh({}, StoredRefreshToken{""});
  EXPECT_EQ(empty_refresh.accounts().error().kind, Error::Kind::kUsage);
}

TEST(Errors, NetworkErrorWhenNothingListens) {
  std::uint16_t port = 0;
  {
    FakeServer gone([](const FakeRequest&, int) { return v3_token("t"); });
    port = gone.port();
  }
  Options o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.retry.max_attempts = 2;
  o.retry.initial_backoff = 1ms;
  Client client(o, ApiKey{kApiId, kSecret});
  auto t = client.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, Error::Kind::kNetwork);
  EXPECT_EQ(t.error().http_status, 0);
  EXPECT_EQ(t.error().message().find(kSecret), std::string::npos);
}

// ------------------------------------------------------------------ v3 against the fake

TEST(V3, TokenRequestIsTheDocumentedOne) {
  FakeServer server([](const FakeRequest&, int) { return v3_token("tok-1"); });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  const auto before = std::chrono::system_clock::now();
  auto t = client.token();
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->value, "tok-1");
  EXPECT_FALSE(t->from_user_login);
  EXPECT_GE(t->expires_at, before + 1200s - 1s);
  EXPECT_LE(t->expires_at, std::chrono::system_clock::now() + 1200s);
  auto header = client.authorization_header();
  ASSERT_TRUE(header);
  EXPECT_EQ(*header, "Bearer tok-1");
  ASSERT_EQ(server.count(), 1);  // cached
  const auto r = server.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/rest/v3/oauth/token?grant_type=client_credentials");
  EXPECT_EQ(r.headers.at("user"), detail::v3_user_header_value(kApiId, kSecret));
  EXPECT_EQ(r.headers.count("authorization"), 0u);
}

TEST(V3, RetryAfterIsHonouredWithoutAStorm) {
  FakeServer server([](const FakeRequest&, int index) {
    if (index == 0) return json_response(429, R"({"error":"slow_down"})", {{"Retry-After", "1"}});
    return v3_token("tok-after-wait");
  });
  Options o = fast_options(server);
  o.retry.max_backoff = 5000ms;
  Client client(o, ApiKey{kApiId, kSecret});
  const auto start = std::chrono::steady_clock::now();
  auto t = client.token();
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_GE(seconds_since(start), 1.0);
  EXPECT_EQ(server.count(), 2);
}

TEST(V3, RetryAfterBeyondTheLimitEndsTheCallWithIt) {
  FakeServer server([](const FakeRequest&, int) {
    return json_response(503, "{}", {{"Retry-After", "3600"}});
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  auto t = client.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().http_status, 503);
  EXPECT_EQ(t.error().retry_after, 3600s);
  EXPECT_EQ(server.count(), 1);
}

TEST(V3, ServiceUnavailableGivesUpAfterMaxAttempts) {
  FakeServer server([](const FakeRequest&, int) { return json_response(503, "busy"); });
  Options o = fast_options(server);
  o.retry.max_attempts = 3;
  Client client(o, ApiKey{kApiId, kSecret});
  auto t = client.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, Error::Kind::kHttp);
  EXPECT_EQ(t.error().http_status, 503);
  EXPECT_EQ(server.count(), 3);
  // A later call is a new call with its own attempts: the error was not cached as a token.
  EXPECT_FALSE(client.token());
  EXPECT_EQ(server.count(), 6);
}

TEST(V3, MaxAttemptsOneDisablesRetries) {
  FakeServer server([](const FakeRequest&, int) { return json_response(500, "{}"); });
  Options o = fast_options(server);
  o.retry.max_attempts = 1;
  Client client(o, ApiKey{kApiId, kSecret});
  EXPECT_FALSE(client.token());
  EXPECT_EQ(server.count(), 1);
}

TEST(V3, OAuthClientErrorsAreNeverRetried) {
  for (int status : {400, 401}) {
    FakeServer server([status](const FakeRequest&, int) {
      return oauth_error(status, "invalid_client", "client authentication failed");
    });
    Client client(fast_options(server), ApiKey{kApiId, kSecret});
    auto t = client.token();
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().kind, Error::Kind::kOAuth);
    EXPECT_EQ(t.error().error, "invalid_client");
    EXPECT_EQ(t.error().description, "client authentication failed");
    EXPECT_EQ(t.error().http_status, status);
    EXPECT_EQ(server.count(), 1);
  }
}

TEST(V3, PerRequestTimeout) {
  FakeServer server([](const FakeRequest&, int) {
    std::this_thread::sleep_for(600ms);
    return v3_token("late");
  });
  Options o = fast_options(server);
  o.timeout = 150ms;
  o.retry.max_attempts = 1;
  Client client(o, ApiKey{kApiId, kSecret});
  const auto start = std::chrono::steady_clock::now();
  auto t = client.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, Error::Kind::kTimeout);
  EXPECT_LT(seconds_since(start), 0.55);
}

TEST(V3, SingleFlightThirtyTwoThreadsOneRequest) {
  FakeServer server([](const FakeRequest&, int index) {
    std::this_thread::sleep_for(300ms);  // every thread arrives while the request is in flight
    return v3_token("tok-" + std::to_string(index));
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  const test::TokenBurst burst = test::token_burst(client, 32);
  EXPECT_EQ(server.count(), 1);
  EXPECT_EQ(burst.failures, 0);
  EXPECT_EQ(burst.tokens, std::set<std::string>{"tok-0"});
}

TEST(V3, SingleFlightSharesTheErrorToo) {
  FakeServer server([](const FakeRequest&, int) {
    std::this_thread::sleep_for(300ms);
    return oauth_error(401, "invalid_client", "client authentication failed");
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  std::vector<std::thread> threads;
  std::atomic<int> oauth_errors{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto t = client.token();
      if (!t && t.error().error == "invalid_client") ++oauth_errors;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(oauth_errors.load(), 16);
  EXPECT_LT(server.count(), 16);  // threads that arrived during a flight shared its answer
}

TEST(V3, RenewsBeforeExpiry) {
  FakeServer server(
      [](const FakeRequest&, int index) { return v3_token("tok-" + std::to_string(index), 3); });
  Options o = fast_options(server);
  o.renew_before_expiry = 1s;
  Client client(o, ApiKey{kApiId, kSecret});
  auto first = client.token();
  ASSERT_TRUE(first);
  EXPECT_EQ(client.token()->value, "tok-0");
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(client.token()->value, "tok-0");  // 1.2 s of 3: still fresh
  EXPECT_EQ(server.count(), 1);
  std::this_thread::sleep_for(1000ms);  // 2.2 s: within the last second → renewed
  auto renewed = client.token();
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->value, "tok-1");
  EXPECT_LT(std::chrono::system_clock::now(), first->expires_at);  // before the old one ended
  EXPECT_EQ(server.count(), 2);
}

TEST(V3, FailedRenewalKeepsUsingTheValidTokenOnlyForServerTrouble) {
  std::atomic<int> failing_status{0};
  FakeServer server([&](const FakeRequest&, int index) {
    if (failing_status.load() == 503) return json_response(503, "{}");
    if (failing_status.load() == 401) return oauth_error(401, "invalid_client", "no");
    return v3_token("tok-" + std::to_string(index), 4);
  });
  Options o = fast_options(server);
  o.renew_before_expiry = 3s;  // clamped to 2 s: renewal is due after 2 s
  o.retry.max_attempts = 2;
  Client client(o, ApiKey{kApiId, kSecret});
  ASSERT_EQ(client.token()->value, "tok-0");
  std::this_thread::sleep_for(2100ms);
  failing_status = 503;
  auto during_outage = client.token();
  ASSERT_TRUE(during_outage) << during_outage.error().message();
  EXPECT_EQ(during_outage->value, "tok-0");  // still valid for ~2 s
  EXPECT_EQ(server.count(), 3);              // the renewal was tried (twice)
  // No new attempt at every call: the server gets a pause (1 s at least) before the next one.
  EXPECT_EQ(client.token()->value, "tok-0");
  EXPECT_EQ(server.count(), 3);
  std::this_thread::sleep_for(1100ms);
  failing_status = 401;
  auto revoked = client.token();
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().error, "invalid_client");
}

TEST(V3, CachedTokenFromAnEarlierRunIsUsedUntilItNeedsRenewing) {
  FakeServer server(
      [](const FakeRequest&, int index) { return v3_token("tok-" + std::to_string(index)); });
  const auto now = std::chrono::system_clock::now();
  Options o = fast_options(server);
  o.cached_token = AccessToken{"cached", now + 600s, false};
  Client fresh(o, ApiKey{kApiId, kSecret});
  EXPECT_EQ(fresh.token()->value, "cached");
  EXPECT_EQ(server.count(), 0);

  o.cached_token = AccessToken{"nearly-over", now + 10s, false};  // within the 60 s margin...
  Client near_end(o, ApiKey{kApiId, kSecret});
  EXPECT_EQ(near_end.token()->value, "nearly-over");  // ...but used for half of what is left
  EXPECT_EQ(server.count(), 0);

  o.cached_token = AccessToken{"expired", now - 1s, false};
  Client expired(o, ApiKey{kApiId, kSecret});
  EXPECT_EQ(expired.token()->value, "tok-0");

  o.cached_token = AccessToken{"a-user-token", now + 600s, true};  // not for an API key
  Client other_kind(o, ApiKey{kApiId, kSecret});
  EXPECT_EQ(other_kind.token()->value, "tok-1");
}

TEST(V3, InvalidateTokenFetchesAgain) {
  FakeServer server(
      [](const FakeRequest&, int index) { return v3_token("tok-" + std::to_string(index)); });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  EXPECT_EQ(client.token()->value, "tok-0");
  client.invalidate_token();
  EXPECT_EQ(client.token()->value, "tok-1");
}

TEST(Data, AccountsWithOneRetryAfterA401) {
  std::atomic<int> data_calls{0};
  FakeServer server([&](const FakeRequest& r, int index) {
    if (r.target.starts_with("/rest/v3/oauth/token"))
      return v3_token("tok-" + std::to_string(index));
    ++data_calls;
    if (r.headers.at("authorization") == "Bearer tok-0") {
      return FakeResponse{401, {{"WWW-Authenticate", R"(Bearer error="invalid_token")"}}, ""};
    }
    return json_response(200, R"([{"accountGuid":"g1","companyName":"Acme","countryCode":"US"}])");
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  auto accounts = client.accounts();
  ASSERT_TRUE(accounts) << accounts.error().message();
  ASSERT_EQ(accounts->size(), 1u);
  EXPECT_EQ((*accounts)[0].company_name, "Acme");
  EXPECT_EQ(data_calls.load(), 2);
  EXPECT_EQ(server.count(), 4);  // token, 401, token, 200
}

TEST(Data, PersistentUnauthorizedIsATypedErrorAfterOneRetry) {
  FakeServer server([](const FakeRequest& r, int index) {
    if (r.target.starts_with("/rest/v3/oauth/token"))
      return v3_token("tok-" + std::to_string(index));
    return FakeResponse{401, {{"WWW-Authenticate", R"(Bearer error="invalid_token")"}}, ""};
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  auto accounts = client.accounts();
  ASSERT_FALSE(accounts);
  EXPECT_EQ(accounts.error().kind, Error::Kind::kOAuth);
  EXPECT_EQ(accounts.error().error, "invalid_token");
  EXPECT_EQ(server.count(), 4);
}

// A POST may have been processed when the answer is a 500 or never comes: it is not sent again.
// 503 and 429 say it was not processed, so those are retried like everything else.
TEST(Data, NonIdempotentCallsAreRetriedOnlyWhenTheServerRefusedThem) {
  std::atomic<int> status{500};
  std::atomic<int> data_calls{0};
  FakeServer server([&](const FakeRequest& r, int index) {
    if (r.target.starts_with("/rest/v3/oauth/token"))
      return v3_token("tok-" + std::to_string(index));
    ++data_calls;
    return json_response(status.load(), "{}");
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  auto posted = client.call("POST", "/rest/v3/orders", "{}", "application/json");
  ASSERT_TRUE(posted) << posted.error().message();
  EXPECT_EQ(posted->status, 500);
  EXPECT_EQ(data_calls.load(), 1);
  status = 503;
  data_calls = 0;
  EXPECT_EQ(client.call("POST", "/rest/v3/orders", "{}", "application/json")->status, 503);
  EXPECT_EQ(data_calls.load(), fast_options(server).retry.max_attempts);
  status = 500;
  data_calls = 0;
  EXPECT_EQ(client.call("GET", "/rest/v3/orders")->status, 500);
  EXPECT_EQ(data_calls.load(), fast_options(server).retry.max_attempts);
}

TEST(Data, CallReturnsAnyStatusAsAValue) {
  FakeServer server([](const FakeRequest& r, int) {
    if (r.target.starts_with("/rest/v3/oauth/token")) return v3_token("tok");
    FakeResponse answer = json_response(404, R"({"error":"not_found"})", {{"X-Echo", r.method}});
    answer.body += r.body;
    return answer;
  });
  Client client(fast_options(server), ApiKey{kApiId, kSecret});
  auto response = client.call("PUT", "/rest/v3/things", "{\"a\":1}", "application/json");
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, R"({"error":"not_found"}{"a":1})");
  bool echoed = false;
  for (const auto& [name, value] : response->headers) echoed |= name == "x-echo" && value == "PUT";
  EXPECT_TRUE(echoed);
  const auto requests = server.requests();
  EXPECT_EQ(requests.back().headers.at("content-type"), "application/json");
  EXPECT_EQ(requests.back().headers.at("authorization"), "Bearer tok");
  EXPECT_EQ(client.call("GET", "no-slash").error().kind, Error::Kind::kUsage);
}

// ------------------------------------------------------------------ v4 against the fake

TEST(V4, RefreshRotationIsPersistedAndContinuesInANewClient) {
  FakeServer server([](const FakeRequest&, int index) {
    return v4_token("at-" + std::to_string(index), "rt-" + std::to_string(index));
  });
  std::vector<std::string> stored;
  Options o = fast_options(server);
  o.on_refresh_token = [&](const std::string& rt) { stored.push_back(rt); };
  Client client(o, UserLogin{"ops@acme.test", "pa\"ss word"});
  auto first = client.token();
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(first->from_user_login);
  EXPECT_EQ(first->value, "at-0");
  EXPECT_EQ(stored, std::vector<std::string>{"rt-0"});
  EXPECT_EQ(client.refresh_token(), "rt-0");
  const auto login = body_of(server.requests()[0]);
  EXPECT_EQ(login.at("password").as_string(), "pa\"ss word");
  EXPECT_EQ(login.at("userName").as_string(), "ops@acme.test");
  EXPECT_EQ(server.requests()[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(server.requests()[0].target, "/rest/v4/oauth/token");

  client.invalidate_token();
  auto second = client.token();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->value, "at-1");
  const auto refresh = body_of(server.requests()[1]);
  EXPECT_EQ(refresh.at("grantType").as_string(), "REFRESH_TOKEN");
  EXPECT_EQ(refresh.at("refreshToken").as_string(), "rt-0");
  EXPECT_EQ(refresh.at("scope").as_string(), "OFFLINE_ACCESS");
  EXPECT_EQ(stored, (std::vector<std::string>{"rt-0", "rt-1"}));
  EXPECT_EQ(client.refresh_token(), "rt-1");

  // A restarted process: only the stored refresh token.
  Options restarted = fast_options(server);
  restarted.on_refresh_token = [&](const std::string& rt) { stored.push_back(rt); };
  Client again(restarted, StoredRefreshToken{stored.back()});
  auto third = again.token();
  ASSERT_TRUE(third) << third.error().message();
  EXPECT_EQ(third->value, "at-2");
  EXPECT_EQ(body_of(server.requests()[2]).at("refreshToken").as_string(), "rt-1");
  EXPECT_EQ(again.refresh_token(), "rt-2");
  EXPECT_EQ(stored.back(), "rt-2");
  EXPECT_EQ(server.count(), 3);
}

TEST(V4, InvalidGrantOnRefreshFallsBackToThePasswordOnce) {
  FakeServer server([](const FakeRequest& r, int index) {
    const auto body = json::parse(r.body).as_object();
    if (body.at("grantType").as_string() == "REFRESH_TOKEN") {
      return oauth_error(400, "invalid_grant", "the refresh token is not valid");
    }
    return v4_token("at-" + std::to_string(index), "rt-" + std::to_string(index));
  });
  Client client(fast_options(server), UserLogin{"ops@acme.test", "password-1"});
  ASSERT_TRUE(client.token());
  client.invalidate_token();
  auto t = client.token();
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->value, "at-2");
  EXPECT_EQ(client.refresh_token(), "rt-2");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // login, refresh (rejected), one password login
  EXPECT_EQ(body_of(requests[1]).at("grantType").as_string(), "REFRESH_TOKEN");
  EXPECT_EQ(body_of(requests[2]).at("grantType").as_string(), "PASSWORD");
}

TEST(V4, FallbackFailureIsReturnedNotLooped) {
  FakeServer server([](const FakeRequest&, int) {
    return oauth_error(400, "invalid_grant", "invalid user name or password");
  });
  Options o = fast_options(server);
  Client stored(o, StoredRefreshToken{"rt-dead-0123456789"});
  auto t = stored.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().error, "invalid_grant");
  EXPECT_EQ(t.error().http_status, 400);
  EXPECT_EQ(server.count(), 1);  // nothing to fall back on
  EXPECT_EQ(t.error().message().find("rt-dead"), std::string::npos);

  Client login(o, UserLogin{"ops@acme.test", "wrong password"});
  auto l = login.token();
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().kind, Error::Kind::kOAuth);
  EXPECT_EQ(server.count(), 2);  // one password attempt, no retry
}

TEST(V4, InvalidGrantWithRefreshAndPasswordBothRejectedMakesTwoRequests) {
  std::atomic<bool> password_ok{true};
  FakeServer server([&](const FakeRequest& r, int index) {
    const auto body = json::parse(r.body).as_object();
    if (body.at("grantType").as_string() == "PASSWORD" && password_ok.load()) {
      return v4_token("at-" + std::to_string(index), "rt-" + std::to_string(index));
    }
    return oauth_error(400, "invalid_grant", "no");
  });
  Client client(fast_options(server), UserLogin{"ops@acme.test", "password-1"});
  ASSERT_TRUE(client.token());
  password_ok = false;  // the password changed meanwhile, and the session with it
  client.invalidate_token();
  auto t = client.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().error, "invalid_grant");
  EXPECT_EQ(server.count(), 3);
  EXPECT_FALSE(client.refresh_token());  // the dead refresh token is not presented again
  EXPECT_FALSE(client.token());
  ASSERT_EQ(server.count(), 4);
  EXPECT_EQ(body_of(server.requests()[3]).at("grantType").as_string(), "PASSWORD");
}

TEST(Client, MovedFromIsAUsageErrorNotACrash) {
  Client a({}, ApiKey{kApiId, kSecret});
  Client b(std::move(a));
  EXPECT_EQ(a.token().error().kind, Error::Kind::kUsage);  // NOLINT: use after move on purpose
  EXPECT_FALSE(a.refresh_token());
}

TEST(V4, CallbackThatThrowsIsAnErrorButTheRefreshTokenIsKept) {
  FakeServer server([](const FakeRequest&, int) { return v4_token("at", "rt-new"); });
  Options o = fast_options(server);
  o.on_refresh_token = [](const std::string&) { throw std::runtime_error("disk full"); };
  Client client(o, StoredRefreshToken{"rt-old-0123456789"});
  auto t = client.token();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, Error::Kind::kUsage);
  EXPECT_EQ(client.refresh_token(), "rt-new");
}

}  // namespace
}  // namespace connect_auth::client
