// Every answer carries X-Content-Type-Options: nosniff; HTTPS answers also carry
// Strict-Transport-Security, plain HTTP ones (--insecure-http) never do. Handler answers and the
// transport's own refusals alike, each header exactly once.
#include "transport/response_headers.h"

#include <gtest/gtest.h>

#include <string>

#include "server_fixture.h"
#include "test_client.h"

namespace connect_auth::transport {
namespace {

using testing::get_request;
using testing::ParsedResponse;
using testing::start_server;
using testing::test_options;

std::size_t count_header(const ParsedResponse& response, std::string_view name) {
  std::size_t n = 0;
  for (const auto& [header, value] : response.headers) n += http::iequals(header, name) ? 1 : 0;
  return n;
}

TEST(ResponseHeadersTest, HeadIsWrittenExactlyWithTheTransportsHeadersOnly) {
  http::Response response;
  response.status = 200;
  response.content_type = "application/json";
  response.headers = {
      {"Cache-Control", "no-store"}, {"Content-Length", "999"}, {"connection", "keep-alive"}};
  response.body = "{}";
  std::string out = "left over";
  write_response_head(out, response, ResponseHead{"Fri, 04 Dec 2026 20:00:00 GMT", true, "r-1"});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nDate: Fri, 04 Dec 2026 20:00:00 GMT"
            "\r\nStrict-Transport-Security: max-age=31536000\r\nX-Content-Type-Options: nosniff"
            "\r\nContent-Type: application/json\r\nCache-Control: no-store"
            "\r\nX-Request-Id: r-1\r\nContent-Length: 2\r\n\r\n");
}

TEST(ResponseHeadersTest, NoContentClosingAndHttp10KeepAlive) {
  http::Response none;
  none.status = 204;
  std::string out;
  write_response_head(out, none, ResponseHead{"d", false, "r", false, 11});
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_NE(out.find("\r\nConnection: close\r\n\r\n"), std::string::npos);
  EXPECT_EQ(out.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u);

  http::Response odd;
  odd.status = 299;  // no reason phrase known
  write_response_head(out, odd, ResponseHead{"d", false, "r", true, 10});
  EXPECT_EQ(out.rfind("HTTP/1.1 299 Unknown\r\n", 0), 0u);
  EXPECT_NE(out.find("\r\nConnection: keep-alive\r\n\r\n"), std::string::npos);
}

TEST(ResponseHeadersTest, OnlyFinalStatusesAndCleanHeadersAreValid) {
  http::Response r;
  r.status = 200;
  EXPECT_TRUE(response_is_valid(r));
  r.status = 101;
  EXPECT_FALSE(response_is_valid(r));
  r.status = 200;
  r.headers = {{"X-Evil", "a\r\nSet-Cookie: x"}};
  EXPECT_FALSE(response_is_valid(r));
  r.headers = {{"Bad Name", "v"}};
  EXPECT_FALSE(response_is_valid(r));
  EXPECT_TRUE(has_no_content(304));
  EXPECT_FALSE(has_no_content(200));
}

TEST(ResponseHeadersTest, SecurityHeadersDependOnTls) {
  std::string plain;
  append_security_headers(plain, false);
  EXPECT_EQ(plain, "\r\nX-Content-Type-Options: nosniff");
  std::string tls;
  append_security_headers(tls, true);
  EXPECT_EQ(tls,
            "\r\nStrict-Transport-Security: max-age=31536000\r\nX-Content-Type-Options: nosniff");
}

TEST(ResponseHeadersTest, TransportHeadersAreOwnedWhateverTheirCase) {
  for (const char* name : {"content-length", "Transfer-Encoding", "CONNECTION", "x-request-id",
                           "Date", "strict-transport-security", "X-Content-Type-Options"}) {
    EXPECT_TRUE(is_transport_header(name)) << name;
  }
  EXPECT_FALSE(is_transport_header("Cache-Control"));
  EXPECT_FALSE(is_transport_header("WWW-Authenticate"));
}

class SecurityHeaders : public ::testing::TestWithParam<bool> {};

TEST_P(SecurityHeaders, OnHandlerAnswersAndTransportRefusals) {
  const bool tls = GetParam();
  auto server = start_server(test_options(tls), [](const http::Request&) {
    http::Response response;
    response.content_type = "text/plain";
    response.body = "ok";
    // A handler cannot add a second, contradicting policy.
    response.add_header("X-Content-Type-Options", "sniff-away");
    response.add_header("Strict-Transport-Security", "max-age=0");
    return response;
  });
  auto client = server->connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(get_request("/")));
  auto answer = client->read_response();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  // A malformed request is refused by the transport before any handler runs.
  auto refused_client = server->connect();
  ASSERT_NE(refused_client, nullptr);
  ASSERT_TRUE(refused_client->send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
  auto refused = refused_client->read_response();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 400);

  for (const ParsedResponse& response : {*answer, *refused}) {
    EXPECT_EQ(count_header(response, "X-Content-Type-Options"), 1u);
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    if (tls) {
      EXPECT_EQ(count_header(response, "Strict-Transport-Security"), 1u);
      EXPECT_EQ(response.header("Strict-Transport-Security"), "max-age=31536000");
    } else {
      EXPECT_EQ(count_header(response, "Strict-Transport-Security"), 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Transport, SecurityHeaders, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls" : "Plain"; });

}  // namespace
}  // namespace connect_auth::transport
