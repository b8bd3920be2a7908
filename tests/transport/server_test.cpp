// Transport tests over real sockets on 127.0.0.1 with ephemeral ports. Every wait is bounded by
// the client's receive timeout, so a server bug shows up as a failure, never as a hung test.
#include "transport/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_fixture.h"
#include "test_client.h"
#include "transport/dev_certificate.h"

namespace connect_auth::transport {
namespace {

using namespace std::chrono_literals;
using testing::contains;
using testing::dev_files;
using testing::echo_handler;
using testing::expect_refused;
using testing::get_request;
using testing::ParsedResponse;
using testing::RunningServer;
using testing::start_server;
using testing::test_options;
using testing::TestClient;
using Clock = std::chrono::steady_clock;

// --- Basic exchange ------------------------------------------------------------------------------

class PlainAndTls : public ::testing::TestWithParam<bool> {};

TEST_P(PlainAndTls, GetMapsMethodPathQueryAndHeaders) {
  auto server = start_server(test_options(GetParam()));
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/echo/x?a=1&b=?2", "Accept: */*\r\n")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), "application/json");
  EXPECT_EQ(response->header("Cache-Control"), "no-store");
  EXPECT_TRUE(response->header("Date").has_value());
  EXPECT_TRUE(contains(response->body, "\"method\":\"GET\"")) << response->body;
  EXPECT_TRUE(contains(response->body, "\"path\":\"/echo/x\"")) << response->body;
  EXPECT_TRUE(contains(response->body, "\"query\":\"a=1&b=?2\"")) << response->body;
  EXPECT_TRUE(contains(response->body, "\"headers\":2")) << response->body;
  EXPECT_TRUE(contains(response->body, "\"remote\":\"127.0.0.1\"")) << response->body;
}

TEST_P(PlainAndTls, PostDeliversBody) {
  auto server = start_server(test_options(GetParam()));
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(
      client->send("POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   "Content-Length: 13\r\n\r\n{\"grant\":\"x\"}"));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"method\":\"POST\""));
  EXPECT_TRUE(contains(response->body, "\"body_length\":13"));
}

TEST_P(PlainAndTls, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = start_server(test_options(GetParam()));
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->send(get_request("/n/" + std::to_string(i))));
    auto response = client->read_response();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(contains(response->body, "\"path\":\"/n/" + std::to_string(i) + "\""));
    EXPECT_FALSE(response->header("Connection").has_value());
  }
}

TEST_P(PlainAndTls, PipelinedRequestsAreAnsweredInOrder) {
  auto server = start_server(test_options(GetParam()));
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/first") +
                           "POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
                           get_request("/third")));
  for (const char* path : {"/first", "/second", "/third"}) {
    auto response = client->read_response();
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_TRUE(contains(response->body, std::string("\"path\":\"") + path + "\""))
        << response->body;
  }
}

TEST(ServerTest, PortIsTheBoundEphemeralPort) {
  auto server = start_server(test_options());
  EXPECT_NE(server->port(), 0);
}

TEST(ServerTest, HeadSendsGetLengthButNoBody) {
  auto server = start_server(test_options(), [](const http::Request& request) {
    http::Response response;
    response.content_type = "text/plain";
    response.body = request.path == "/same" ? "0123456789" : "other";
    return response;
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  // HEAD and GET back to back: a body after the HEAD response would corrupt the second one.
  ASSERT_TRUE(client->send("HEAD /same HTTP/1.1\r\nHost: a\r\n\r\n" + get_request("/same")));
  auto head = client->read_response(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "10");
  auto get = client->read_response();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "0123456789");
}

TEST(ServerTest, RequestIdIsEchoedAndUnique) {
  auto server = start_server(test_options());
  std::set<std::string> ids;
  for (int c = 0; c < 3; ++c) {
    auto client = server->connect();
    ASSERT_NE(client, nullptr);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(client->send(get_request("/id")));
      auto response = client->read_response();
      ASSERT_TRUE(response.has_value());
      auto id = response->header("X-Request-Id");
      ASSERT_TRUE(id.has_value());
      EXPECT_FALSE(id->empty());
      EXPECT_LE(id->size(), 40u);
      EXPECT_TRUE(contains(response->body, "\"request_id\":\"" + *id + "\"")) << response->body;
      ids.insert(*id);
    }
  }
  EXPECT_EQ(ids.size(), 9u);
}

TEST(ServerTest, ConnectionCloseFromClientClosesAfterResponse) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/", "Connection: close\r\n")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client->wait_closed(2s));
}

TEST(ServerTest, ResponseCloseConnectionClosesAfterResponse) {
  auto server = start_server(test_options(), [](const http::Request&) {
    http::Response response;
    response.status = 204;
    response.close_connection = true;
    return response;
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);
  EXPECT_FALSE(response->header("Content-Length").has_value());  // RFC 9110 §8.6
  EXPECT_FALSE(response->header("Content-Type").has_value());
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client->wait_closed(2s));
}

TEST(ServerTest, Http10WithoutKeepAliveCloses) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send("GET /old HTTP/1.0\r\n\r\n"));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client->wait_closed(2s));
}

TEST(ServerTest, Http10KeepAliveIsHonoured) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client->send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto response = client->read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->header("Connection"), "keep-alive");
  }
}

TEST(ServerTest, MaxRequestsPerConnectionCloses) {
  auto options = test_options();
  options.limits.max_requests_per_connection = 2;
  auto server = start_server(options);
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/1")));
  auto first = client->read_response();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->header("Connection").has_value());
  ASSERT_TRUE(client->send(get_request("/2")));
  auto second = client->read_response();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->header("Connection"), "close");
  EXPECT_TRUE(client->wait_closed(2s));
}

TEST(ServerTest, ExpectContinueGetsInterimResponse) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(
      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client->read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->send("data"));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"body_length\":4"));
}

TEST(ServerTest, HandlerExceptionBecomes500WithoutDetail) {
  auto server = start_server(test_options(), [](const http::Request&) -> http::Response {
    throw std::runtime_error("secret internals");
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_FALSE(contains(response->body, "secret"));
  // The connection survives a failed handler.
  ASSERT_TRUE(client->send(get_request("/")));
  EXPECT_TRUE(client->read_response().has_value());
}

TEST(ServerTest, InvalidResponseHeaderBecomes500) {
  auto server = start_server(test_options(), [](const http::Request&) {
    http::Response response;
    response.add_header("X-Injected", "a\r\nSet-Cookie: evil=1");
    return response;
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_FALSE(response->header("Set-Cookie").has_value());
}

TEST(ServerTest, ObserverSeesEachRequest) {
  std::mutex mutex;
  std::vector<std::string> seen;
  auto server = start_server(test_options(), echo_handler, [&](const RequestSummary& summary) {
    std::lock_guard lock(mutex);
    seen.push_back(std::string(http::method_name(summary.method)) + " " +
                   std::string(summary.path) + " " + std::to_string(summary.status) + " " +
                   std::string(summary.remote_address) + " " +
                   (summary.request_id.empty() ? "no-id" : "id"));
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/a?secret=1")));
  ASSERT_TRUE(client->read_response().has_value());
  ASSERT_TRUE(client->send("GET /b HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  ASSERT_TRUE(client->read_response().has_value());
  EXPECT_TRUE(client->wait_closed(2s));
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "GET /a 200 127.0.0.1 id");
  EXPECT_EQ(seen[1], "GET /b 400 127.0.0.1 id");
}

// --- Limits --------------------------------------------------------------------------------------

TEST(ServerLimitsTest, HeaderSectionOverCapIs431) {
  auto server = start_server(test_options());
  expect_refused(*server, get_request("/", "X-Big: " + std::string(9000, 'a') + "\r\n"), 431,
                 "header");
}

TEST(ServerLimitsTest, ManyHeadersOverCapIs431) {
  auto server = start_server(test_options());
  std::string headers;
  for (int i = 0; i < 800; ++i) headers += "X-H" + std::to_string(i) + ": value\r\n";
  expect_refused(*server, get_request("/", headers), 431);
}

TEST(ServerLimitsTest, HeaderSectionOverCapArrivingSlowlyIs431) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send("GET / HTTP/1.1\r\nHost: a\r\n"));
  std::string line = "X-Pad: " + std::string(1000, 'p') + "\r\n";
  bool refused = false;
  for (int i = 0; i < 20 && !refused; ++i) {
    refused = !client->send(line);
    std::this_thread::sleep_for(5ms);
  }
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
}

TEST(ServerLimitsTest, BodyOverCapWithContentLengthIs413BeforeTheBodyIsSent) {
  auto options = test_options();
  options.limits.body_bytes = 1024;
  auto server = start_server(options);
  // Only the header section is sent: the answer must not wait for the body.
  expect_refused(*server, "POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n", 413,
                 "1024");
}

TEST(ServerLimitsTest, BodyAtCapIsAccepted) {
  auto options = test_options();
  options.limits.body_bytes = 1024;
  auto server = start_server(options);
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send("POST /token HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\n\r\n" +
                           std::string(1024, 'b')));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"body_length\":1024"));
}

TEST(ServerLimitsTest, ChunkedBodyOverCapIs413) {
  auto options = test_options();
  options.limits.body_bytes = 1024;
  auto server = start_server(options);
  const std::string chunk = "258\r\n" + std::string(600, 'c') + "\r\n";  // 0x258 = 600
  expect_refused(
      *server,
      "POST /token HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk, 413);
}

TEST(ServerLimitsTest, ChunkedBodyWithinCapIsAccepted) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(
      client->send("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"body_length\":11"));
}

TEST(ServerLimitsTest, CredentialInChunkedTrailerIsNotAHeader) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\nAuthorization: Basic c2VjcmV0OnNlY3JldA==\r\nuser: eDp5\r\n\r\n"));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(contains(response->body, "\"authorization\":0")) << response->body;
  EXPECT_TRUE(contains(response->body, "\"headers\":2")) << response->body;
}

TEST(ServerLimitsTest, MaxConnectionsRefusesTheExtraConnection) {
  auto options = test_options();
  options.limits.max_connections = 2;
  auto server = start_server(options);
  auto first = server->connect();
  auto second = server->connect();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  // Make sure both are accepted and counted before the third arrives.
  ASSERT_TRUE(first->send(get_request("/")));
  ASSERT_TRUE(first->read_response().has_value());
  ASSERT_TRUE(second->send(get_request("/")));
  ASSERT_TRUE(second->read_response().has_value());
  auto third = server->connect();
  ASSERT_NE(third, nullptr);
  EXPECT_TRUE(third->wait_closed(2s));
  // Once one goes away there is room again.
  first.reset();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    auto again = server->connect();
    served = again && again->send(get_request("/")) && again->read_response().has_value();
    if (!served) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(served);
}

// --- Malformed HTTP ------------------------------------------------------------------------------

TEST(ServerMalformedTest, ContentLengthAndTransferEncodingIs400) {
  auto server = start_server(test_options());
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 400, "Transfer-Encoding");
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                 "Content-Length: 5\r\n\r\n0\r\n\r\n",
                 400, "Content-Length");
  // Beast lets a non-chunked coding pass next to Content-Length; we do not.
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                 "Content-Length: 5\r\n\r\nhello",
                 400, "Transfer-Encoding");
}

TEST(ServerMalformedTest, UnsupportedTransferEncodingIs400) {
  auto server = start_server(test_options());
  expect_refused(*server, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxxxx", 400,
                 "Transfer-Encoding");
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxxxx", 400,
                 "Transfer-Encoding");
}

TEST(ServerMalformedTest, TwoDifferentContentLengthsIs400) {
  auto server = start_server(test_options());
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
                 "abcd",
                 400, "Content-Length");
  expect_refused(*server, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", 400,
                 "Content-Length");
  expect_refused(*server, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400,
                 "Content-Length");
}

TEST(ServerMalformedTest, BadChunkSizeIs400) {
  auto server = start_server(test_options());
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n"
                 "0\r\n\r\n",
                 400, "chunk");
  expect_refused(*server,
                 "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "fffffffffffffffffffff\r\n",
                 400);
}

TEST(ServerMalformedTest, HeaderFoldingIs400) {
  auto server = start_server(test_options());
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", 400,
                 "folding");
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\n\r\n", 400,
                 "folding");
}

TEST(ServerMalformedTest, ControlBytesInHeaderValueAre400) {
  auto server = start_server(test_options());
  using namespace std::string_literals;
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n"s, 400);
  expect_refused(*server,
                 "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x01"
                 "b\r\n\r\n"s,
                 400);
  expect_refused(*server,
                 "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7f"
                 "b\r\n\r\n"s,
                 400);
}

TEST(ServerMalformedTest, BareCrOrLfIs400) {
  auto server = start_server(test_options());
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", 400);
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\nX-B: b\r\n\r\n", 400);
  expect_refused(*server, "GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
}

TEST(ServerMalformedTest, MalformedRequestLineIs400) {
  auto server = start_server(test_options());
  expect_refused(*server, "GET /\r\nHost: a\r\n\r\n", 400);
  expect_refused(*server, "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  expect_refused(*server, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400, "version");
  expect_refused(*server, "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 400, "version");
}

TEST(ServerMalformedTest, HostHeaderRulesOfRfc9112) {
  auto server = start_server(test_options());
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host");
  // Any spelling of the name, and even the same value twice: never pick one (bad-inputs §A).
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nhost: evil\r\n\r\n", 400, "Host");
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n", 400, "Host");
  expect_refused(*server, "GET / HTTP/1.1\r\n\r\n", 400, "Host");
}

TEST(ServerMalformedTest, SpaceBeforeColonIs400) {
  auto server = start_server(test_options());
  expect_refused(*server, "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400);
}

// --- Timeouts ------------------------------------------------------------------------------------

TEST(ServerTimeoutTest, SlowHeadersAreCutOffWhileOthersAreServed) {
  auto options = test_options();
  options.limits.read_timeout = 300ms;
  auto server = start_server(options);
  auto slow = server->connect();
  ASSERT_NE(slow, nullptr);
  const auto began = Clock::now();
  ASSERT_TRUE(slow->send("GET / HTTP/1.1\r\nHost: a\r\nX-Partial: "));

  // Meanwhile another client gets prompt answers.
  auto other = server->connect();
  ASSERT_NE(other, nullptr);
  for (int i = 0; i < 5; ++i) {
    const auto sent = Clock::now();
    ASSERT_TRUE(other->send(get_request("/ok")));
    auto response = other->read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_LT(Clock::now() - sent, 200ms);
  }

  EXPECT_TRUE(slow->wait_closed(3s));
  const auto took = Clock::now() - began;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1500ms);
}

TEST(ServerTimeoutTest, SlowBodyIsCutOff) {
  auto options = test_options();
  options.limits.read_timeout = 300ms;
  auto server = start_server(options);
  auto slow = server->connect();
  ASSERT_NE(slow, nullptr);
  const auto began = Clock::now();
  ASSERT_TRUE(slow->send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-part"));
  EXPECT_TRUE(slow->wait_closed(3s));
  EXPECT_LT(Clock::now() - began, 1500ms);
}

TEST(ServerTimeoutTest, DribblingClientCannotExtendTheDeadline) {
  auto options = test_options();
  options.limits.read_timeout = 300ms;
  auto server = start_server(options);
  auto slow = server->connect();
  ASSERT_NE(slow, nullptr);
  const auto began = Clock::now();
  ASSERT_TRUE(slow->send("GET / HTTP/1.1\r\nHost: a\r\n"));
  bool closed = false;
  while (!closed && Clock::now() - began < 3s) {
    if (!slow->send("X: y\r\n")) break;  // one byte line at a time keeps the socket busy
    closed = slow->wait_closed(50ms);
  }
  EXPECT_LT(Clock::now() - began, 1500ms);
}

TEST(ServerTimeoutTest, IdleKeepAliveConnectionIsClosed) {
  auto options = test_options();
  options.limits.keepalive_timeout = 300ms;
  auto server = start_server(options);
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/")));
  ASSERT_TRUE(client->read_response().has_value());
  const auto idle_since = Clock::now();
  EXPECT_TRUE(client->wait_closed(3s));
  const auto idle = Clock::now() - idle_since;
  EXPECT_GE(idle, 250ms);
  EXPECT_LT(idle, 1500ms);
}

TEST(ServerTimeoutTest, SilentTlsConnectionIsClosed) {
  auto options = test_options(/*tls=*/true);
  options.limits.read_timeout = 300ms;
  auto server = start_server(options);
  auto silent = TestClient::connect_plain(server->port());  // TCP only: never says ClientHello
  ASSERT_NE(silent, nullptr);
  const auto began = Clock::now();
  EXPECT_TRUE(silent->wait_closed(3s));
  EXPECT_GE(Clock::now() - began, 250ms);
  EXPECT_LT(Clock::now() - began, 1500ms);
}

// --- Concurrency ---------------------------------------------------------------------------------

TEST_P(PlainAndTls, ConcurrentClientsAreAllServed) {
  auto server = start_server(test_options(GetParam()));
  constexpr int kClients = 8;
  constexpr int kRequests = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = server->connect();
      if (!client) return;
      for (int i = 0; i < kRequests; ++i) {
        // Every fifth request closes its connection, so connects and closes interleave too.
        const bool close = i % 5 == 4;
        const std::string path = "/c" + std::to_string(c) + "/" + std::to_string(i);
        if (!client->send(get_request(path, close ? "Connection: close\r\n" : ""))) return;
        auto response = client->read_response();
        if (!response || response->status != 200 ||
            !contains(response->body, "\"path\":\"" + path + "\"")) {
          return;
        }
        ++ok;
        if (close) {
          client = server->connect();
          if (!client) return;
        }
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

// --- TLS -----------------------------------------------------------------------------------------

TEST(ServerTlsTest, PlainHttpToTlsPortIsRefusedAndTlsStillWorks) {
  auto server = start_server(test_options(/*tls=*/true));
  auto plain = TestClient::connect_plain(server->port());
  ASSERT_NE(plain, nullptr);
  ASSERT_TRUE(plain->send(get_request("/token?user=secret")));
  std::string received;
  EXPECT_TRUE(plain->wait_closed(2s, &received));
  // No HTTP answer (and so no redirect inviting the client to resend its secret).
  EXPECT_EQ(received.find("HTTP/"), std::string::npos);

  auto tls = server->connect();
  ASSERT_NE(tls, nullptr);
  ASSERT_TRUE(tls->send(get_request("/after")));
  auto response = tls->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST(ServerTlsTest, Tls11ClientIsRefusedByTheServer) {
  auto server = start_server(test_options(/*tls=*/true));
  testing::TlsClientOptions legacy;
  legacy.allow_legacy = true;
  legacy.min_version = TLS1_VERSION;
  legacy.max_version = TLS1_1_VERSION;
  std::string error;
  auto old_client = TestClient::connect_tls(server->port(), legacy, &error);
  EXPECT_EQ(old_client, nullptr);
  // The refusal must come from the server (a protocol_version alert), not from this client's
  // own configuration.
  EXPECT_TRUE(contains(error, "protocol version") || contains(error, "unsupported protocol"))
      << error;
  EXPECT_FALSE(contains(error, "no protocols available")) << error;

  // The same permissive client settings work once TLS 1.2 is allowed.
  legacy.max_version = TLS1_2_VERSION;
  auto tls12 = TestClient::connect_tls(server->port(), legacy, &error);
  ASSERT_NE(tls12, nullptr) << error;
  ASSERT_TRUE(tls12->send(get_request("/")));
  EXPECT_TRUE(tls12->read_response().has_value());
}

TEST(ServerTlsTest, StartReportsBadCertificateFiles) {
  auto options = test_options(/*tls=*/true);
  options.tls_files.cert_chain_file = "/nonexistent/cert.pem";
  auto server = make_server(options, echo_handler);
  auto started = server->start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(contains(started.error().description, "/nonexistent/cert.pem"))
      << started.error().description;
}

TEST(ServerTlsTest, StartReportsMismatchedKey) {
  auto other_dir = std::filesystem::temp_directory_path() /
                   ("connect-auth-transport-other-" + std::to_string(::getpid()));
  auto other = ensure_dev_certificate(other_dir);
  ASSERT_TRUE(other.ok());
  auto options = test_options(/*tls=*/true);
  options.tls_files.private_key_file = other->private_key_file;
  auto started = make_server(options, echo_handler)->start();
  ASSERT_FALSE(started.ok());
  // OpenSSL notices the mismatch while loading the key ("key values mismatch").
  EXPECT_TRUE(contains(started.error().description, other->private_key_file))
      << started.error().description;
  std::filesystem::remove_all(other_dir);
}

// --- Start-up and shutdown -----------------------------------------------------------------------

TEST(ServerLifecycleTest, StartReportsPortInUse) {
  auto first = start_server(test_options());
  auto options = test_options();
  options.port = first->port();
  auto second = make_server(options, echo_handler);
  auto started = second->start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(contains(started.error().description,
                       "cannot listen on 127.0.0.1:" + std::to_string(first->port())))
      << started.error().description;
  EXPECT_TRUE(contains(started.error().description, "in use")) << started.error().description;
}

TEST(ServerLifecycleTest, StopLetsTheInFlightRequestFinish) {
  std::promise<void> entered;
  auto entered_future = entered.get_future();
  std::atomic<bool> once{false};
  auto server = start_server(test_options(), [&](const http::Request& request) {
    if (request.path == "/slow" && !once.exchange(true)) {
      entered.set_value();
      std::this_thread::sleep_for(200ms);
    }
    return echo_handler(request);
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/slow")));
  ASSERT_EQ(entered_future.wait_for(5s), std::future_status::ready);
  server->request_stop();
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client->wait_closed(2s));
  EXPECT_TRUE(server->wait_finished(2s));
  // A new connection is not accepted any more.
  auto late = TestClient::connect_plain(server->port());
  EXPECT_TRUE(late == nullptr || late->wait_closed(1s));
}

TEST(ServerLifecycleTest, StopClosesIdleKeepAliveConnectionsPromptly) {
  auto server = start_server(test_options(/*tls=*/true));
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/")));
  ASSERT_TRUE(client->read_response().has_value());
  const auto began = Clock::now();
  server->request_stop();
  EXPECT_TRUE(client->wait_closed(2s));
  EXPECT_TRUE(server->wait_finished(2s));
  EXPECT_LT(Clock::now() - began, 1000ms);  // well before the 2 s grace period
}

TEST(ServerLifecycleTest, StopForceClosesStragglersAfterTheGracePeriod) {
  auto options = test_options();
  options.limits.shutdown_grace = 200ms;
  auto server = start_server(options);
  auto straggler = server->connect();
  ASSERT_NE(straggler, nullptr);
  ASSERT_TRUE(straggler->send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab"));
  std::this_thread::sleep_for(20ms);  // let the server see the partial request
  const auto began = Clock::now();
  server->request_stop();
  EXPECT_TRUE(server->wait_finished(3s));
  const auto took = Clock::now() - began;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_TRUE(straggler->wait_closed(1s));
}

TEST(ServerLifecycleTest, SigtermDrainsAndRunReturns) {
  auto server = start_server(test_options());
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  // A served request proves run() is up, and run() installs its signal handling before it
  // starts any event loop.
  ASSERT_TRUE(client->send(get_request("/")));
  ASSERT_TRUE(client->read_response().has_value());
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  EXPECT_TRUE(server->wait_finished(3s));
  EXPECT_TRUE(client->wait_closed(1s));
}

TEST(ServerLifecycleTest, StopBeforeStartMakesRunReturn) {
  auto server = make_server(test_options(), echo_handler);
  server->stop();
  ASSERT_TRUE(server->start().ok());
  auto done = std::async(std::launch::async, [&] { server->run(); });
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
}

TEST(ServerLifecycleTest, StopBeforeRunMakesRunReturn) {
  auto server = make_server(test_options(), echo_handler);
  ASSERT_TRUE(server->start().ok());
  server->stop();
  auto done = std::async(std::launch::async, [&] { server->run(); });
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
}

INSTANTIATE_TEST_SUITE_P(Transport, PlainAndTls, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls" : "Plain"; });

// ---------------------------------------------------------------------------------------------
// Deferred answers (http::Deferral): a handler hands the request to another thread.

// Answers /defer/* from a separate thread after `delay`; everything else at once.
class DeferringHandler {
 public:
  explicit DeferringHandler(std::chrono::milliseconds delay) : delay_(delay) {}
  ~DeferringHandler() {
    for (auto& t : threads_) t.join();
  }

  http::Response operator()(const http::Request& request) {
    if (request.path.substr(0, 7) != "/defer/" || request.deferral == nullptr) {
      return echo_handler(request);
    }
    http::Response answer = echo_handler(request);  // built now: the Request dies on return
    http::Responder responder = request.deferral->defer();
    std::lock_guard lock(mutex_);
    threads_.emplace_back(
        [delay = delay_, responder = std::move(responder), answer = std::move(answer)]() mutable {
          std::this_thread::sleep_for(delay);
          responder.send(std::move(answer));
        });
    return http::Response::deferred_marker();
  }

 private:
  std::chrono::milliseconds delay_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

TEST_P(PlainAndTls, DeferredAnswerArrivesAndPipelinedRequestsKeepTheirOrder) {
  DeferringHandler handler(100ms);
  auto server = start_server(test_options(GetParam()),
                             [&handler](const http::Request& r) { return handler(r); });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(
      client->send(get_request("/defer/1") + get_request("/now") + get_request("/defer/2")));
  for (const char* path : {"/defer/1", "/now", "/defer/2"}) {
    auto response = client->read_response();
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(contains(response->body, std::string("\"path\":\"") + path + "\""))
        << response->body;
  }
}

TEST(ServerDeferralTest, OtherConnectionsAreServedWhileOneWaits) {
  DeferringHandler handler(1500ms);
  auto server =
      start_server(test_options(), [&handler](const http::Request& r) { return handler(r); });
  auto waiting = server->connect();
  ASSERT_NE(waiting, nullptr);
  ASSERT_TRUE(waiting->send(get_request("/defer/slow")));
  const auto start = Clock::now();
  auto other = server->connect();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->send(get_request("/now")));
  auto quick = other->read_response();
  ASSERT_TRUE(quick.has_value());
  EXPECT_LT(Clock::now() - start, 1400ms);  // not queued behind the deferred request
  auto slow = waiting->read_response();
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->status, 200);
}

TEST(ServerDeferralTest, DroppedResponderAnswers503) {
  auto server = start_server(test_options(), [](const http::Request& request) {
    if (request.deferral == nullptr) return echo_handler(request);
    { http::Responder abandoned = request.deferral->defer(); }  // dropped without send()
    return http::Response::deferred_marker();
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/x")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_TRUE(response->header("Retry-After").has_value());
  // The connection stays usable.
  ASSERT_TRUE(client->send(get_request("/y")));
  auto next = client->read_response();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 503);
}

TEST(ServerDeferralTest, ImmediateAnswerAfterDeferWinsAndTheLateOneIsDropped) {
  std::vector<http::Responder> parked;
  std::mutex mutex;
  auto server = start_server(test_options(), [&](const http::Request& request) {
    http::Responder responder = request.deferral->defer();
    {
      std::lock_guard lock(mutex);
      parked.push_back(std::move(responder));
    }
    return echo_handler(request);  // changed its mind: answers at once
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/first")));
  auto first = client->read_response();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(contains(first->body, "\"path\":\"/first\""));
  {
    std::lock_guard lock(mutex);
    http::Response late;
    late.body = "late";
    parked.front().send(std::move(late));
  }
  ASSERT_TRUE(client->send(get_request("/second")));
  auto second = client->read_response();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(contains(second->body, "\"path\":\"/second\"")) << second->body;
  std::lock_guard lock(mutex);
  parked.clear();  // unsent responders of answered requests are dropped silently too
}

TEST(ServerDeferralTest, MarkerWithoutDeferIs500) {
  auto server = start_server(
      test_options(), [](const http::Request&) { return http::Response::deferred_marker(); });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/x")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

TEST(ServerDeferralTest, StopWaitsForTheDeferredAnswer) {
  DeferringHandler handler(300ms);
  auto server =
      start_server(test_options(), [&handler](const http::Request& r) { return handler(r); });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/defer/x")));
  std::this_thread::sleep_for(50ms);
  server->request_stop();
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(server->wait_finished(3s));
}

TEST(ServerDeferralTest, DeferredRequestPastItsDeadlineGets503AndTheLateAnswerIsDropped) {
  ServerOptions options = test_options();
  options.limits.read_timeout = 300ms;
  DeferringHandler handler(1200ms);
  auto server = start_server(options, [&handler](const http::Request& r) { return handler(r); });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/defer/stuck")));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_TRUE(response->header("Retry-After").has_value());
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client->wait_closed(2s));
  std::this_thread::sleep_for(1000ms);  // the late answer arrives and must be dropped quietly
}

}  // namespace
}  // namespace connect_auth::transport
