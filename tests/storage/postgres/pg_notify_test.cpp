#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>

#include "pg_fixture.h"
#include "storage/postgres/pg_connection.h"

namespace connect_auth::storage::postgres {
namespace {

using std::chrono::milliseconds;
using NotifyTest = PgFixture;

TEST_F(NotifyTest, ANotificationReachesAListenerOnAnotherConnection) {
  auto listener = connect();
  auto notifier = connect();
  ASSERT_TRUE(listener && notifier);
  ASSERT_TRUE(listener->listen("ca_changes").ok());
  EXPECT_TRUE(listener->listening());
  ASSERT_TRUE(notifier->notify("ca_changes", "seq 42").ok());
  auto got = listener->wait_for_notifications(milliseconds(5000));
  ASSERT_TRUE(got.ok()) << got.error().description;
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].channel, "ca_changes");
  EXPECT_EQ((*got)[0].payload, "seq 42");
  EXPECT_EQ((*got)[0].sender_pid, notifier->backend_pid());
}

TEST_F(NotifyTest, ANotificationIsDeliveredOnlyWhenItsTransactionCommits) {
  auto listener = connect();
  auto notifier = connect();
  ASSERT_TRUE(listener && notifier);
  ASSERT_TRUE(listener->listen("ca_changes").ok());
  ASSERT_TRUE(notifier->begin().ok());
  ASSERT_TRUE(notifier->notify("ca_changes", "").ok());
  auto early = listener->wait_for_notifications(milliseconds(200));
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
  ASSERT_TRUE(notifier->commit().ok());
  // The socket becomes readable: a caller's own poll loop can wait on it.
  pollfd fd{listener->socket(), POLLIN, 0};
  ASSERT_GE(fd.fd, 0);
  ASSERT_EQ(::poll(&fd, 1, 5000), 1);
  auto got = listener->take_notifications();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].payload, "");
}

TEST_F(NotifyTest, ChannelsMustBePlainIdentifiers) {
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->listen("x; DROP TABLE y").error().code, ErrorCode::kInternal);
  EXPECT_EQ(conn->listen("").error().code, ErrorCode::kInternal);
  EXPECT_EQ(conn->notify("Upper", "p").error().code, ErrorCode::kInternal);
  EXPECT_FALSE(conn->listening());
  ASSERT_TRUE(conn->listen("ok_channel").ok());
  ASSERT_TRUE(conn->unlisten_all().ok());
  EXPECT_FALSE(conn->listening());
}

}  // namespace
}  // namespace connect_auth::storage::postgres
