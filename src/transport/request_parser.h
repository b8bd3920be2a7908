// Reading one HTTP/1.1 request head and body off the wire: Beast's push parser (it validates
// the grammar) storing into a RequestData that a session owns and reuses for every request of
// its connection, so the transport allocates nothing per request once a connection is warm.
// The parser copies what the handler needs and counts the fields whose repetition changes the
// meaning of a message (Host, Content-Length, Transfer-Encoding); framing_checks.h decides on
// them. Kept apart from the session so it can be unit-tested and fuzzed on its own.
#pragma once

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "http/message.h"
#include "transport/server.h"

namespace connect_auth::transport {

namespace bhttp = boost::beast::http;

// Per-connection buffers are reused, but one unusually large request must not pin its memory for
// the rest of a long keep-alive connection.
inline constexpr std::size_t kRetainedCapacity = std::size_t{16} * 1024;

inline void clear_and_trim(std::string& s) {
  if (s.capacity() > kRetainedCapacity) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

// The store's error for a parse failure: 431 / 413 for the limits, otherwise 400 saying what
// was malformed (never echoing the request).
Error parse_error(const boost::system::error_code& ec, const Limits& limits);

inline http::Method to_method(bhttp::verb verb) noexcept {
  switch (verb) {
    case bhttp::verb::get: return http::Method::kGet;
    case bhttp::verb::head: return http::Method::kHead;
    case bhttp::verb::post: return http::Method::kPost;
    case bhttp::verb::put: return http::Method::kPut;
    case bhttp::verb::delete_: return http::Method::kDelete;
    case bhttp::verb::patch: return http::Method::kPatch;
    case bhttp::verb::options: return http::Method::kOptions;
    default: return http::Method::kOther;
  }
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parsed request, owned by a session and reused for each request on the connection.

struct RequestData {
  struct FieldPos {
    std::uint32_t name_pos, name_len, value_pos, value_len;
  };

  std::string arena;  // the target, then every header name and value, copied out of the buffer
  std::uint32_t target_len = 0;
  std::vector<FieldPos> fields;
  std::vector<http::Header> headers;  // views into `arena`, built once the header section ends
  std::string body;
  http::Method method = http::Method::kOther;
  int version = 0;
  bool header_done = false;
  bool start_line_seen = false;
  int host_fields = 0;
  int content_length_fields = 0;
  int transfer_encoding_fields = 0;
  bool transfer_encoding_is_chunked = false;
  bool expect_continue = false;

  void clear() {
    clear_and_trim(arena);
    target_len = 0;
    fields.clear();
    headers.clear();
    clear_and_trim(body);
    method = http::Method::kOther;
    version = 0;
    header_done = false;
    start_line_seen = false;
    host_fields = content_length_fields = transfer_encoding_fields = 0;
    transfer_encoding_is_chunked = false;
    expect_continue = false;
  }

  std::string_view target() const { return {arena.data(), target_len}; }
  std::string_view path() const {
    std::string_view t = target();
    return t.substr(0, t.find('?'));
  }
};

// Beast's push parser, storing into RequestData. Beast validates the grammar; we copy what we
// need and count the fields whose repetition changes the meaning of the message.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(RequestData& data, const Limits& limits)
      : data_(data), body_limit_(limits.body_bytes) {
    header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.header_bytes, std::numeric_limits<std::uint32_t>::max())));
    body_limit(static_cast<std::uint64_t>(limits.body_bytes));
    eager(false);  // stop after the header section so it can be checked before the body is read
  }

 private:
  void on_request_impl(bhttp::verb method, boost::beast::string_view /*method_str*/,
                       boost::beast::string_view target, int version,
                       boost::system::error_code& /*ec*/) override {
    data_.method = to_method(method);
    data_.version = version;
    data_.start_line_seen = true;
    data_.arena.assign(target.data(), target.size());
    data_.target_len = static_cast<std::uint32_t>(target.size());
  }

  void on_response_impl(int, boost::beast::string_view, int,
                        boost::system::error_code& ec) override {
    ec = bhttp::error::bad_version;  // never called for a request parser
  }

  void on_field_impl(bhttp::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::system::error_code& /*ec*/) override {
    // Fields after the header section are chunked trailers. They are dropped so that nothing
    // sent there (e.g. a credential) can ever be read as a request header (RFC 9112 §7.1.2).
    if (data_.header_done) return;
    switch (name) {
      case bhttp::field::host: ++data_.host_fields; break;
      case bhttp::field::content_length: ++data_.content_length_fields; break;
      case bhttp::field::transfer_encoding:
        ++data_.transfer_encoding_fields;
        data_.transfer_encoding_is_chunked = http::iequals(trim(value), "chunked");
        break;
      case bhttp::field::expect:
        data_.expect_continue = http::iequals(trim(value), "100-continue");
        break;
      default: break;
    }
    RequestData::FieldPos pos;
    pos.name_pos = static_cast<std::uint32_t>(data_.arena.size());
    pos.name_len = static_cast<std::uint32_t>(name_string.size());
    data_.arena.append(name_string.data(), name_string.size());
    pos.value_pos = static_cast<std::uint32_t>(data_.arena.size());
    pos.value_len = static_cast<std::uint32_t>(value.size());
    data_.arena.append(value.data(), value.size());
    data_.fields.push_back(pos);
  }

  void on_header_impl(boost::system::error_code& /*ec*/) override {
    data_.header_done = true;
    data_.headers.reserve(data_.fields.size());
    const char* base = data_.arena.data();
    for (const auto& f : data_.fields) {
      data_.headers.push_back(http::Header{std::string_view(base + f.name_pos, f.name_len),
                                           std::string_view(base + f.value_pos, f.value_len)});
    }
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         boost::system::error_code& /*ec*/) override {
    if (length)
      data_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, body_limit_)));
  }

  std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code& ec) override {
    return append_body({body.data(), body.size()}, ec);
  }

  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view /*extensions*/,
                            boost::system::error_code& ec) override {
    // Refuse an oversized chunk from its size line, before any of its data is read.
    if (size > body_limit_ - data_.body.size()) ec = bhttp::error::body_limit;
  }

  std::size_t on_chunk_body_impl(std::uint64_t /*remain*/, boost::beast::string_view body,
                                 boost::system::error_code& ec) override {
    return append_body({body.data(), body.size()}, ec);
  }

  void on_finish_impl(boost::system::error_code& /*ec*/) override {}

  std::size_t append_body(std::string_view body, boost::system::error_code& ec) {
    if (body.size() > body_limit_ - data_.body.size()) {
      ec = bhttp::error::body_limit;
      return 0;
    }
    data_.body.append(body);
    return body.size();
  }

  RequestData& data_;
  std::size_t body_limit_;
};

}  // namespace connect_auth::transport
