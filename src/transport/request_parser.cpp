#include "transport/request_parser.h"

#include <string>
#include <utility>

namespace connect_auth::transport {

Error parse_error(const boost::system::error_code& ec, const Limits& limits) {
  using E = bhttp::error;
  if (ec == E::header_limit) {
    return make_error(
        ErrorCode::kHeaderFieldsTooLarge,
        "the request header section exceeds " + std::to_string(limits.header_bytes) + " bytes");
  }
  if (ec == E::body_limit) {
    return make_error(ErrorCode::kPayloadTooLarge,
                      "the request body exceeds " + std::to_string(limits.body_bytes) + " bytes");
  }
  std::string description;
  if (ec == E::bad_line_ending) {
    description = "malformed line ending in the request (a bare CR or LF)";
  } else if (ec == E::bad_method || ec == E::bad_target) {
    description = "malformed request line";
  } else if (ec == E::bad_version) {
    description = "malformed request line or unsupported HTTP version (1.0 and 1.1 only)";
  } else if (ec == E::bad_field) {
    description = "malformed header field name";
  } else if (ec == E::bad_value) {
    description = "a header field value contains a control character, NUL or bare LF";
  } else if (ec == E::bad_content_length) {
    // Beast reports Transfer-Encoding followed by Content-Length this way.
    description = "invalid Content-Length, or Content-Length together with Transfer-Encoding";
  } else if (ec == E::multiple_content_length) {
    description = "conflicting Content-Length values";
  } else if (ec == E::bad_transfer_encoding) {
    description = "invalid Transfer-Encoding, or Transfer-Encoding together with Content-Length";
  } else if (ec == E::bad_chunk || ec == E::bad_chunk_extension) {
    description = "malformed chunked body (bad chunk size or chunk framing)";
  } else {
    description = "malformed HTTP request";
  }
  return make_error(ErrorCode::kInvalidRequest, std::move(description));
}

}  // namespace connect_auth::transport
