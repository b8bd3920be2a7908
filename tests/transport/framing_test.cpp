// Line endings (RFC 9112 §2.2): a line ended by a bare LF where Beast waits for CRLF (the end
// of the header section, a chunk-size line, the trailer section) must get its 400 at once, not
// after the read timeout; CRLF split across reads and LFs inside a body stay fine.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "server_fixture.h"
#include "test_client.h"
#include "transport/framing_checks.h"

namespace connect_auth::transport {
namespace {

using namespace std::chrono_literals;
using testing::contains;
using testing::expect_refused;
using testing::get_request;
using testing::start_server;
using testing::test_options;
using Clock = std::chrono::steady_clock;

TEST(FramingChecksTest, BareLfIsFoundWhereverItIs) {
  EXPECT_TRUE(has_bare_lf("\n"));
  EXPECT_TRUE(has_bare_lf("\nX"));        // right after the CRLF of the last consumed line
  EXPECT_TRUE(has_bare_lf("Host: a\n"));  // ends a field
  EXPECT_TRUE(has_bare_lf("GET / HTTP/1.1\n"));
  EXPECT_TRUE(has_bare_lf("5\nhello"));  // ends a chunk-size line
  EXPECT_TRUE(has_bare_lf("\r\n3\n"));   // the next chunk-size line
  EXPECT_TRUE(has_bare_lf("0\r\nX-T: 1\r\n\n"));
  EXPECT_TRUE(has_bare_lf("a\r\rb\n"));
}

TEST(FramingChecksTest, CrlfAndUnfinishedLinesAreNotBare) {
  EXPECT_FALSE(has_bare_lf(""));
  EXPECT_FALSE(has_bare_lf("GET / HTT"));
  EXPECT_FALSE(has_bare_lf("Host: a\r"));  // the LF may be in the next read
  EXPECT_FALSE(has_bare_lf("Host: a\r\nX-A: b\r\n"));
  EXPECT_FALSE(has_bare_lf("\r\n5"));
  EXPECT_FALSE(has_bare_lf("0\r\nX-T: 1\r\n\r"));
}

TEST(FramingChecksTest, ObsFoldIsALineBreakFollowedByWhitespace) {
  EXPECT_TRUE(has_obs_fold("X-A: a\r\n b\r\n"));
  EXPECT_TRUE(has_obs_fold("X-A: a\r\n\tb\r\n"));
  EXPECT_FALSE(has_obs_fold("X-A: a b\r\nX-B: c\r\n"));
  EXPECT_FALSE(has_obs_fold("X-A: a\r\n"));
}

// The server's read timeout stays at its 10 s default: an answer within 2 s can only be the
// immediate refusal, never the timeout.
void expect_refused_at_once(testing::RunningServer& server, const std::string& bytes,
                            const std::string& description_part = "line ending") {
  const auto start = Clock::now();
  expect_refused(server, bytes, 400, description_part);
  EXPECT_LT(Clock::now() - start, 2s) << bytes;
}

TEST(ServerFramingTest, BareLfEndingTheHeaderSectionIs400AtOnce) {
  auto options = test_options();
  ASSERT_EQ(options.limits.read_timeout, 10'000ms);
  auto server = start_server(options);
  expect_refused_at_once(*server, "GET / HTTP/1.1\r\nHost: x\r\n\n");
  expect_refused_at_once(*server, "GET / HTTP/1.1\n");
  // Beast refuses these itself, once a byte follows the LF.
  expect_refused_at_once(*server, "GET / HTTP/1.1\nHost: x\n\n", "request line");
  expect_refused_at_once(*server, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\nab", "");
  // Also when the bare LF arrives on its own, after the rest of the header section.
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send("GET / HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(client->send("\n"));
  client->set_timeout(2s);
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
}

TEST(ServerFramingTest, BareLfInAChunkSizeLineOrTrailerIs400AtOnce) {
  auto server = start_server(test_options());
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  expect_refused_at_once(*server, chunked + "5\nhello");
  expect_refused_at_once(*server, chunked + "5\n");
  expect_refused_at_once(*server, chunked + "2\r\n{}\r\n3\nabc");
  expect_refused_at_once(*server, chunked + "2\r\n{}\n");
  expect_refused_at_once(*server, chunked + "0\r\n\n");
  expect_refused_at_once(*server, chunked + "0\r\nX-Trailer: 1\n");
}

TEST(ServerFramingTest, CrlfSplitAcrossReadsAndLfInABodyAreAccepted) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  for (const char* piece : {"GET / HTTP/1.1\r", "\nHost: x\r", "\n\r", "\n"}) {
    ASSERT_TRUE(client->send(piece));
    std::this_thread::sleep_for(30ms);
  }
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);

  ASSERT_TRUE(client->send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\na\nb\n\n"));
  response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"body_length\":5")) << response->body;

  ASSERT_TRUE(client->send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  for (const char* piece : {"3\r", "\na\nb", "\r\n0\r\n", "\r", "\n"}) {
    std::this_thread::sleep_for(30ms);
    ASSERT_TRUE(client->send(piece));
  }
  response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"body_length\":3")) << response->body;
  ASSERT_TRUE(client->send(get_request("/after")));
  EXPECT_TRUE(client->read_response().has_value());
}

}  // namespace
}  // namespace connect_auth::transport
