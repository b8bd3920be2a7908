// Transport-neutral HTTP request/response values. The transport layer (Beast) fills a Request whose
// string_views point into its own buffers, valid only for the duration of the handler call; the
// handler returns a Response by value. Nothing above transport/ includes Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace connect_auth::http {

enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };

std::string_view method_name(Method method) noexcept;

struct Header {
  std::string_view name;  // as received; compare case-insensitively
  std::string_view value;
};

class Deferral;

struct Request {
  Method method = Method::kOther;
  std::string_view target;  // origin-form as received: path[?query]
  std::string_view path;    // target up to '?', not decoded
  std::string_view query;   // after '?', not decoded; empty when absent
  std::span<const Header> headers;
  std::string_view body;
  std::string_view remote_address;  // peer IP as text
  std::string_view request_id;      // assigned by the transport, echoed as X-Request-Id
  // Lets a handler answer later, from another thread (see Deferral). Null where the caller
  // cannot wait (then the handler must answer at once).
  Deferral* deferral = nullptr;

  // Number of header fields with this name (case-insensitive). Used to refuse duplicates of
  // security-relevant headers instead of picking first or last (bad-inputs.md §A).
  int header_count(std::string_view name) const noexcept;
  // The value of the first header with this name, if any.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

struct Response {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header (e.g. 204)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When true the transport closes the connection after writing this response.
  bool close_connection = false;
  // Returned by a handler that called request.deferral->defer(): the answer comes through the
  // Responder. Never written to the wire.
  bool deferred = false;

  static Response deferred_marker() {
    Response response;
    response.deferred = true;
    return response;
  }

  void add_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};
// Cache-Control: no-store and Pragma: no-cache: token, data and error answers must never be kept
// by a cache (RFC 6749 §5.1, RFC 9111).
void add_no_store_headers(Response& response);
// A response with those headers.
Response no_store_response(int status, std::string content_type, std::string body);


// Completes one deferred request, from any thread. send() at most once; a Responder destroyed
// without send() answers 503 (temporarily_unavailable), so a dropped task never leaves a client
// waiting. Move-only.
class Responder {
 public:
  using Sink = std::function<void(Response)>;

  Responder() = default;
  explicit Responder(Sink sink) : sink_(std::move(sink)) {}
  Responder(Responder&& other) noexcept : sink_(std::exchange(other.sink_, nullptr)) {}
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void send(Response response);
  explicit operator bool() const noexcept { return static_cast<bool>(sink_); }

 private:
  Sink sink_;
};

// Implemented by the transport for each request. A handler that must wait (a worker pool, a
// database commit) calls defer() during its call, returns Response::deferred_marker(), and later
// sends the real answer through the Responder; the connection reads nothing further meanwhile.
// If the handler returns an ordinary response instead, that response is written and anything
// sent later through the Responder is dropped.
class Deferral {
 public:
  virtual Responder defer() = 0;

 protected:
  ~Deferral() = default;
};

// ASCII case-insensitive equality for header names.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace connect_auth::http
