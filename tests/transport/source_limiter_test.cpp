// limits.max_connections_per_source: one client address holds at most its share of the
// connections; over it a new connection is closed at once while other addresses are served, and
// a closed connection gives its slot back.
#include "transport/source_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "server_fixture.h"
#include "test_client.h"

namespace connect_auth::transport {
namespace {

using namespace std::chrono_literals;
using testing::get_request;
using testing::start_server;
using testing::test_options;
using testing::TestClient;

TEST(SourceLimiterTest, EachSourceHasItsOwnCap) {
  SourceLimiter limiter(2);
  auto a1 = limiter.acquire("10.0.0.1");
  auto a2 = limiter.acquire("10.0.0.1");
  auto a3 = limiter.acquire("10.0.0.1");
  EXPECT_TRUE(a1);
  EXPECT_TRUE(a2);
  EXPECT_FALSE(a3);
  EXPECT_EQ(limiter.count("10.0.0.1"), 2u);  // a refusal holds nothing
  auto b1 = limiter.acquire("10.0.0.2");
  EXPECT_TRUE(b1);
  EXPECT_EQ(b1.source(), "10.0.0.2");
  a1 = SourceLimiter::Slot();  // a closed connection gives its slot back
  EXPECT_EQ(limiter.count("10.0.0.1"), 1u);
  EXPECT_TRUE(limiter.acquire("10.0.0.1"));  // … which the temporary gives back at once
  EXPECT_EQ(limiter.count("10.0.0.1"), 1u);
}

TEST(SourceLimiterTest, MovingASlotMovesTheClaim) {
  SourceLimiter limiter(1);
  std::vector<SourceLimiter::Slot> slots;
  slots.push_back(limiter.acquire("::1"));
  SourceLimiter::Slot moved = std::move(slots.back());
  slots.clear();
  EXPECT_EQ(limiter.count("::1"), 1u);
  EXPECT_FALSE(limiter.acquire("::1"));
  moved = SourceLimiter::Slot();
  EXPECT_EQ(limiter.count("::1"), 0u);
}

TEST(SourceLimiterTest, ZeroMeansNoCap) {
  SourceLimiter limiter(0);
  std::vector<SourceLimiter::Slot> slots;
  for (int i = 0; i < 1000; ++i) slots.push_back(limiter.acquire("10.0.0.1"));
  for (const auto& slot : slots) EXPECT_TRUE(slot);
  EXPECT_EQ(limiter.count("10.0.0.1"), 0u);  // not even counted
}

bool served(TestClient& client) {
  return client.send(get_request("/")) && client.read_response().has_value();
}

TEST(ServerSourceLimitTest, OneAddressCannotHoldEverySlot) {
  auto options = test_options();
  options.limits.max_connections = 10;
  options.limits.max_connections_per_source = 2;
  auto server = start_server(options);
  auto first = TestClient::connect_plain(server->port(), "127.0.0.1");
  auto second = TestClient::connect_plain(server->port(), "127.0.0.1");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(served(*first));
  ASSERT_TRUE(served(*second));
  // A third from the same address is closed at once…
  auto third = TestClient::connect_plain(server->port(), "127.0.0.1");
  ASSERT_NE(third, nullptr);
  EXPECT_TRUE(third->wait_closed(2s));
  // … while another address is served, on connections old and new.
  auto other = TestClient::connect_plain(server->port(), "127.0.0.2");
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(served(*other));
  EXPECT_TRUE(served(*first));
  // Once one of the first address's connections ends, it has room again.
  first.reset();
  bool again_served = false;
  for (int attempt = 0; attempt < 50 && !again_served; ++attempt) {
    auto again = TestClient::connect_plain(server->port(), "127.0.0.1");
    again_served = again && served(*again);
    if (!again_served) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(again_served);
}

TEST(ServerSourceLimitTest, WithoutACapOneAddressMayUseEverySlot) {
  auto options = test_options();
  options.limits.max_connections = 20;
  ASSERT_EQ(options.limits.max_connections_per_source, 0u);
  auto server = start_server(options);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(TestClient::connect_plain(server->port(), "127.0.0.1"));
    ASSERT_NE(clients.back(), nullptr);
    ASSERT_TRUE(served(*clients.back())) << "connection " << i;
  }
}

}  // namespace
}  // namespace connect_auth::transport
