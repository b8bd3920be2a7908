// The client library against the real server, started and seeded by
// tests/integration/test_client_library.py, which runs one test at a time (--gtest_filter) and
// counts the token requests in the server's access log around it. Configuration by environment:
//   CA_LIVE_URL, CA_LIVE_CA            the server and its certificate
//   CA_LIVE_API_ID, CA_LIVE_API_SECRET an API key (v3)
//   CA_LIVE_USER, CA_LIVE_PASSWORD     a user (v4)
//   CA_LIVE_STATE_FILE                 where the v4 tests persist the refresh token
//   CA_LIVE_ACCOUNTS                   how many accounts the key and the user reach
//   CA_LIVE_V3_LIFETIME                the server's tokens.v3.lifetime_seconds
//   CA_LIVE_RENEW_MARGIN               renew_before_expiry in seconds for the renewal test
// Not registered with CTest on its own: without the server it has nothing to talk to.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "connect_auth/client/client.h"
#include "token_burst.h"

namespace connect_auth::client {
namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set";
    return {};
  }
  return value;
}

Options live_options() {
  Options o;
  o.base_url = env("CA_LIVE_URL");
  o.ca_file = env("CA_LIVE_CA");
  return o;
}

std::size_t expected_accounts() { return std::stoul(env("CA_LIVE_ACCOUNTS")); }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

TEST(Live, V3TokenAndAccounts) {
  Client client(live_options(), ApiKey{env("CA_LIVE_API_ID"), env("CA_LIVE_API_SECRET")});
  auto token = client.token();
  ASSERT_TRUE(token) << token.error().message();
  EXPECT_FALSE(token->from_user_login);
  EXPECT_EQ(std::count(token->value.begin(), token->value.end(), '.'), 2);  // a JWS
  const std::chrono::seconds lifetime(std::stoi(env("CA_LIVE_V3_LIFETIME")));
  const auto left = token->expires_at - std::chrono::system_clock::now();
  EXPECT_GT(left, lifetime - 10s);
  EXPECT_LE(left, lifetime);
  auto accounts = client.accounts();
  ASSERT_TRUE(accounts) << accounts.error().message();
  EXPECT_EQ(accounts->size(), expected_accounts());
  for (const auto& a : *accounts) {
    EXPECT_EQ(a.account_guid.size(), 36u);
    EXPECT_EQ(a.country_code, "US");
  }
  auto raw = client.call("GET", "/rest/v3/accounts");
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_EQ(raw->status, 200);
}

TEST(Live, V3SingleFlightThirtyTwoThreads) {
  Client client(live_options(), ApiKey{env("CA_LIVE_API_ID"), env("CA_LIVE_API_SECRET")});
  const test::TokenBurst burst = test::token_burst(client, 32);
  EXPECT_EQ(burst.failures, 0);
  EXPECT_EQ(burst.tokens.size(), 1u);  // the server log check (one token request) is the Python side's
}

TEST(Live, V3RenewalBeforeExpiry) {
  Options o = live_options();
  o.renew_before_expiry = std::chrono::seconds(std::stoi(env("CA_LIVE_RENEW_MARGIN")));
  Client client(o, ApiKey{env("CA_LIVE_API_ID"), env("CA_LIVE_API_SECRET")});
  const auto fetched = std::chrono::system_clock::now();
  auto first = client.token();
  ASSERT_TRUE(first) << first.error().message();
  const auto lifetime = first->expires_at - fetched;
  const auto margin =
      std::min<std::chrono::system_clock::duration>(o.renew_before_expiry, lifetime / 2);
  const auto renew_at = first->expires_at - margin;
  std::this_thread::sleep_until(renew_at - 1s);
  auto still = client.token();
  ASSERT_TRUE(still);
  EXPECT_EQ(still->value, first->value);
  std::this_thread::sleep_until(renew_at + 200ms);
  auto renewed = client.token();
  ASSERT_TRUE(renewed) << renewed.error().message();
  EXPECT_NE(renewed->value, first->value);
  EXPECT_LT(std::chrono::system_clock::now(), first->expires_at);  // renewed before the end
  EXPECT_GT(renewed->expires_at, first->expires_at);
  auto accounts = client.accounts();
  ASSERT_TRUE(accounts) << accounts.error().message();
}

TEST(Live, V3WrongSecretIsATypedOAuthError) {
  const std::string wrong = env("CA_LIVE_API_SECRET") + "x";
  Client client(live_options(), ApiKey{env("CA_LIVE_API_ID"), wrong});
  auto token = client.token();
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().kind, Error::Kind::kOAuth);
  EXPECT_EQ(token.error().error, "invalid_client");
  EXPECT_EQ(token.error().http_status, 401);
  const std::string message = token.error().message();
  EXPECT_EQ(message.find(wrong), std::string::npos);
  EXPECT_NE(message.find("invalid_client (HTTP 401)"), std::string::npos) << message;
  auto accounts = client.accounts();
  ASSERT_FALSE(accounts);
  EXPECT_EQ(accounts.error().error, "invalid_client");
}

TEST(Live, V4LoginRefreshRotationAndStoredToken) {
  const std::string state = env("CA_LIVE_STATE_FILE");
  std::vector<std::string> seen;
  Options o = live_options();
  o.on_refresh_token = [&](const std::string& rt) {
    seen.push_back(rt);
    write_file(state, rt);
  };
  {
    Client client(o, UserLogin{env("CA_LIVE_USER"), env("CA_LIVE_PASSWORD")});
    auto first = client.token();
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_TRUE(first->from_user_login);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(client.refresh_token(), seen.back());
    auto accounts = client.accounts();
    ASSERT_TRUE(accounts) << accounts.error().message();
    EXPECT_EQ(accounts->size(), expected_accounts());

    client.invalidate_token();  // the next token() refreshes
    auto second = client.token();
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_NE(second->value, first->value);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_NE(seen[1], seen[0]);  // rotated
    EXPECT_EQ(client.refresh_token(), seen[1]);
    EXPECT_EQ(read_file(state), seen[1]);
  }
  // A new Client, as after a restart: only the persisted refresh token.
  Client restarted(o, StoredRefreshToken{read_file(state)});
  auto third = restarted.token();
  ASSERT_TRUE(third) << third.error().message();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[2], seen[1]);
  EXPECT_EQ(read_file(state), seen[2]);
  auto accounts = restarted.accounts();
  ASSERT_TRUE(accounts) << accounts.error().message();
  EXPECT_EQ(accounts->size(), expected_accounts());
}

// Run as a second process after V4LoginRefreshRotationAndStoredToken: a real restart.
TEST(Live, V4ContinuesFromThePersistedRefreshToken) {
  const std::string state = env("CA_LIVE_STATE_FILE");
  const std::string stored = read_file(state);
  ASSERT_FALSE(stored.empty());
  Options o = live_options();
  o.on_refresh_token = [&](const std::string& rt) { write_file(state, rt); };
  Client client(o, StoredRefreshToken{stored});
  auto accounts = client.accounts();
  ASSERT_TRUE(accounts) << accounts.error().message();
  EXPECT_EQ(accounts->size(), expected_accounts());
  EXPECT_NE(read_file(state), stored);
  EXPECT_EQ(client.refresh_token(), read_file(state));
}

// The server runs with a refresh grace period of 0: a rotated refresh token presented again is
// taken as stolen and its whole family revoked. The client still holding the first token gets
// invalid_grant and logs in again with its password, once.
TEST(Live, V4RevokedRefreshTokenFallsBackToThePasswordOnce) {
  Options o = live_options();
  std::vector<std::string> seen;
  o.on_refresh_token = [&](const std::string& rt) { seen.push_back(rt); };
  Client client(o, UserLogin{env("CA_LIVE_USER"), env("CA_LIVE_PASSWORD")});
  ASSERT_TRUE(client.token());
  const std::string first = *client.refresh_token();
  {
    Client thief(live_options(), StoredRefreshToken{first});
    ASSERT_TRUE(thief.token());  // rotates: `first` is retired
    Client replay(live_options(), StoredRefreshToken{first});
    auto t = replay.token();  // reuse → the family is revoked; nothing to fall back on
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().kind, Error::Kind::kOAuth);
    EXPECT_EQ(t.error().error, "invalid_grant");
    EXPECT_EQ(t.error().http_status, 400);
    EXPECT_EQ(t.error().message().find(first), std::string::npos);
  }
  client.invalidate_token();
  auto again = client.token();  // refresh → invalid_grant → one password login
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[1], first);
  auto accounts = client.accounts();
  ASSERT_TRUE(accounts) << accounts.error().message();
  EXPECT_EQ(accounts->size(), expected_accounts());
}

}  // namespace
}  // namespace connect_auth::client
