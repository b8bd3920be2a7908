// The request parser on its own, fed bytes directly (no socket): what it keeps, what it counts
// for the framing checks, and the limits it enforces before reading further.
#include "transport/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace connect_auth::transport {
namespace {

struct Parsed {
  RequestData data;
  boost::system::error_code ec;
  bool done = false;
};

// Feeds `bytes` as a session does: put() again after each piece it stopped at (the header
// section, each chunk) until the message is done, an error, or the bytes run out.
Parsed parse(std::string_view bytes, Limits limits = {}) {
  Parsed out;
  RequestParser parser(out.data, limits);
  while (!parser.is_done() && !out.ec && !bytes.empty()) {
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), out.ec);
    if (used == 0 && !out.ec) break;  // needs more bytes than there are
    bytes.remove_prefix(used);
  }
  out.done = parser.is_done();
  return out;
}

TEST(RequestParserTest, KeepsMethodTargetHeadersAndBody) {
  const Parsed p = parse(
      "POST /rest/v3/oauth/token?grant_type=client_credentials HTTP/1.1\r\n"
      "Host: auth.example\r\nuser: dXNlcg==\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.data.method, http::Method::kPost);
  EXPECT_EQ(p.data.version, 11);
  EXPECT_EQ(p.data.target(), "/rest/v3/oauth/token?grant_type=client_credentials");
  EXPECT_EQ(p.data.path(), "/rest/v3/oauth/token");
  ASSERT_EQ(p.data.headers.size(), 3u);
  EXPECT_EQ(p.data.headers[1].name, "user");
  EXPECT_EQ(p.data.headers[1].value, "dXNlcg==");
  EXPECT_EQ(p.data.body, "hello");
  EXPECT_EQ(p.data.host_fields, 1);
  EXPECT_EQ(p.data.content_length_fields, 1);
}

TEST(RequestParserTest, CountsTheFieldsWhoseRepetitionChangesTheMessage) {
  const Parsed p = parse(
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nTransfer-Encoding: chunked\r\n"
      "Expect: 100-continue\r\n\r\n0\r\n\r\n");
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.data.host_fields, 2);
  EXPECT_EQ(p.data.transfer_encoding_fields, 1);
  EXPECT_TRUE(p.data.transfer_encoding_is_chunked);
  EXPECT_TRUE(p.data.expect_continue);
}

TEST(RequestParserTest, TrailersAreNeverReadAsHeaders) {
  const Parsed p = parse(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nAuthorization: Bearer smuggled\r\n\r\n");
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.data.body, "abc");
  for (const auto& h : p.data.headers) EXPECT_NE(h.name, "Authorization");
}

TEST(RequestParserTest, AnOversizedChunkIsRefusedFromItsSizeLine) {
  Limits limits;
  limits.body_bytes = 8;
  const Parsed p =
      parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n", limits);
  EXPECT_EQ(p.ec, bhttp::error::body_limit);
  EXPECT_EQ(parse_error(p.ec, limits).code, ErrorCode::kPayloadTooLarge);
}

TEST(RequestParserTest, ParseErrorsSayWhatWasMalformedWithoutEchoingTheRequest) {
  const Parsed p = parse("GET / HTTP/1.1\r\nHo st: a\r\n\r\n");
  ASSERT_TRUE(p.ec);
  const Error e = parse_error(p.ec, Limits{});
  EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.description.find("Ho st"), std::string::npos);
  EXPECT_EQ(parse_error(bhttp::error::header_limit, Limits{}).code,
            ErrorCode::kHeaderFieldsTooLarge);
}

TEST(RequestParserTest, ClearingKeepsSmallBuffersAndDropsLargeOnes) {
  RequestData data;
  data.body.assign(kRetainedCapacity * 2, 'x');
  data.clear();
  EXPECT_TRUE(data.body.empty());
  EXPECT_LE(data.body.capacity(), kRetainedCapacity);
}

}  // namespace
}  // namespace connect_auth::transport
