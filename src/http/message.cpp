#include "http/message.h"

#include "http/error_response.h"

namespace connect_auth::http {

std::string_view method_name(Method method) noexcept {
  switch (method) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kDelete: return "DELETE";
    case Method::kPatch: return "PATCH";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: return "OTHER";
  }
  return "OTHER";
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

int Request::header_count(std::string_view name) const noexcept {
  int count = 0;
  for (const Header& h : headers) {
    if (iequals(h.name, name)) ++count;
  }
  return count;
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (sink_) send(error_response(make_error(ErrorCode::kServiceBusy,
                                              "the request was abandoned")));
    sink_ = std::exchange(other.sink_, nullptr);
  }
  return *this;
}

Responder::~Responder() {
  if (sink_) {
    // Never let an exception escape a destructor; a failing sink has nowhere to report anyway.
    try {
      send(error_response(
          make_error(ErrorCode::kServiceBusy, "the request was abandoned")));
    } catch (...) {
    }
  }
}

void Responder::send(Response response) {
  if (!sink_) return;
  Sink sink = std::exchange(sink_, nullptr);
  sink(std::move(response));
}

void add_no_store_headers(Response& response) {
  response.add_header("Cache-Control", "no-store");
  response.add_header("Pragma", "no-cache");
}

Response no_store_response(int status, std::string content_type, std::string body) {
  Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  add_no_store_headers(response);
  response.body = std::move(body);
  return response;
}

}  // namespace connect_auth::http
