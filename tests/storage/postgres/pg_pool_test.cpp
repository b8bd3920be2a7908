#include "storage/postgres/pg_pool.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "pg_fixture.h"

namespace connect_auth::storage::postgres {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

using PoolTest = PgFixture;

TEST_F(PoolTest, ReusesAnIdleConnection) {
  PgPool pool(url());
  EXPECT_EQ(pool.open_connections(), 0u);  // lazy: nothing dialled yet
  int pid = 0;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().description;
    pid = lease->conn().backend_pid();
    ASSERT_TRUE(lease->conn().exec_prepared("pg_test_one", "SELECT 1").ok());
  }
  EXPECT_EQ(pool.idle_connections(), 1u);
  auto again = pool.acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->conn().backend_pid(), pid);
  EXPECT_TRUE(again->conn().is_prepared("pg_test_one"));  // its statement cache came along
}

TEST_F(PoolTest, IsBoundedAndAcquireTimesOut) {
  PgPool pool(url(), {.max_connections = 2, .acquire_timeout = milliseconds(300)});
  auto a = pool.acquire();
  auto b = pool.acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  const auto start = Clock::now();
  auto c = pool.acquire();
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(c.error().description.rfind("database unavailable", 0), 0u);
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_LT(waited, milliseconds(3000));
  EXPECT_EQ(pool.open_connections(), 2u);
}

TEST_F(PoolTest, AWaiterGetsTheReturnedConnection) {
  PgPool pool(url(), {.max_connections = 1, .acquire_timeout = milliseconds(5000)});
  std::optional<Result<PgPool::Lease>> held(pool.acquire());
  ASSERT_TRUE(held->ok());
  const int pid = (*held)->conn().backend_pid();
  std::thread giver([&] {
    std::this_thread::sleep_for(milliseconds(200));
    held.reset();
  });
  const auto start = Clock::now();
  auto next = pool.acquire();
  const auto waited = Clock::now() - start;
  giver.join();
  ASSERT_TRUE(next.ok()) << next.error().description;
  EXPECT_GE(waited, milliseconds(150));
  EXPECT_EQ(next->conn().backend_pid(), pid);
}

TEST_F(PoolTest, ManyThreadsNeverExceedTheBound) {
  PgPool pool(url(), {.max_connections = 3, .acquire_timeout = milliseconds(10000)});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto lease = pool.acquire();
        if (!lease || !lease->conn().exec_prepared("pg_test_one", "SELECT 1").ok()) ++failures;
        if (pool.open_connections() > 3) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(pool.open_connections(), 3u);
}

TEST_F(PoolTest, AnIdleConnectionKilledMeanwhileIsReplacedWithoutAFailure) {
  PgPool pool(url());
  int pid = 0;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    pid = lease->conn().backend_pid();
  }
  auto admin = connect();
  ASSERT_NE(admin, nullptr);
  PgParams p;
  p.int64(pid);
  ASSERT_TRUE(
      must(admin->exec("SELECT pg_terminate_backend($1::integer, 5000)", p)).get_bool(0, 0));
  // As after a database restart: the first caller already gets a working connection.
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.ok()) << lease.error().description;
  EXPECT_TRUE(lease->conn().ping().ok());
  EXPECT_NE(lease->conn().backend_pid(), pid);
  EXPECT_EQ(pool.open_connections(), 1u);
}

TEST_F(PoolTest, ALeaseLeftInATransactionIsRolledBackBeforeReuse) {
  PgPool pool(url(), {.max_connections = 1});
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    must(lease->conn().exec("CREATE TABLE t (v BIGINT)"));
    ASSERT_TRUE(lease->conn().begin().ok());
    must(lease->conn().exec("INSERT INTO t VALUES (1)"));
  }  // as if the caller returned early
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_FALSE(lease->conn().in_transaction());
  EXPECT_EQ(must(lease->conn().exec("SELECT count(*) FROM t")).get_int64(0, 0), 0);
}

TEST_F(PoolTest, AListeningLeaseIsUnlistenedBeforeReuse) {
  PgPool pool(url(), {.max_connections = 1});
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE(lease->conn().listen("ca_test_channel").ok());
  }
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_FALSE(lease->conn().listening());
  EXPECT_EQ(
      must(lease->conn().exec("SELECT count(*) FROM pg_listening_channels()")).get_int64(0, 0), 0);
}

TEST_F(PoolTest, ADiscardedLeaseIsClosed) {
  PgPool pool(url());
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok());
    lease->discard();
  }
  EXPECT_EQ(pool.open_connections(), 0u);
  EXPECT_TRUE(pool.acquire().ok());
}

TEST(PgPoolOffline, AnUnreachableServerIsUnavailableAndTheUrlIsNotEchoed) {
  PgPool pool("postgresql://ops:hunter2@127.0.0.1:1/auth", {.max_connections = 2});
  for (int i = 0; i < 3; ++i) {  // nothing is left counted as open after a failed dial
    auto lease = pool.acquire();
    ASSERT_FALSE(lease.ok());
    EXPECT_EQ(lease.error().code, ErrorCode::kStorageUnavailable);
    EXPECT_EQ(lease.error().description.find("hunter2"), std::string::npos);
    EXPECT_EQ(lease.error().description.find("ops"), std::string::npos);
  }
  EXPECT_EQ(pool.open_connections(), 0u);
}

// A listener that never answers: the TCP handshake completes (the kernel does it), then
// libpq waits for the server's first byte, which never comes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && ::listen(fd_, 8) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(PgPoolOffline, ConnectTimeoutIsBoundedAndTheUrlMayChangeIt) {
  SilentServer silent;
  ASSERT_NE(silent.port(), 0);
  const std::string base = "postgresql://u:pw@127.0.0.1:" + std::to_string(silent.port()) + "/db";
  PgConnectOptions fast{.connect_timeout = std::chrono::seconds(2)};  // libpq's minimum

  auto start = Clock::now();
  auto conn = PgConnection::connect(base + "?sslmode=disable", fast);
  auto took = Clock::now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_GE(took, milliseconds(1900));
  EXPECT_LT(took, milliseconds(5000));

  start = Clock::now();
  conn = PgConnection::connect(base + "?sslmode=disable&connect_timeout=3", fast);
  took = Clock::now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_GE(took, milliseconds(2900));
  EXPECT_LT(took, milliseconds(6000));
}

}  // namespace
}  // namespace connect_auth::storage::postgres
