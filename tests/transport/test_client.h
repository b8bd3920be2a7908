// A deliberately dumb blocking HTTP/1.1 client for the transport tests: it writes exactly the
// bytes it is given (so malformed requests are easy) and reads responses with a receive timeout,
// so no test can hang on a server that fails to answer.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace connect_auth::transport::testing {

struct ParsedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First value of the header (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

struct TlsClientOptions {
  int min_version = 0;  // 0: OpenSSL's default
  int max_version = 0;
  // Lets the client offer protocol versions the system policy would refuse, so that a refusal
  // observed in a test comes from the server.
  bool allow_legacy = false;
};

class TestClient {
 public:
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // `source`: the local IPv4 address to connect from (e.g. "127.0.0.2"); nullptr: any.
  static std::unique_ptr<TestClient> connect_plain(std::uint16_t port,
                                                   const char* source = nullptr);
  // Returns nullptr when the handshake fails; `error` then holds OpenSSL's reason.
  static std::unique_ptr<TestClient> connect_tls(std::uint16_t port, TlsClientOptions options = {},
                                                 std::string* error = nullptr);

  bool send(std::string_view bytes);
  // Reads one response. `head`: the request was HEAD, so no body follows the header section.
  std::optional<ParsedResponse> read_response(bool head = false);
  // True when the server closes the connection within `timeout` (data before the close is
  // discarded and returned through `received` if given).
  bool wait_closed(std::chrono::milliseconds timeout, std::string* received = nullptr);
  void set_timeout(std::chrono::milliseconds timeout);

 private:
  TestClient(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  // >0 bytes read, 0 orderly close, -1 timeout, -2 other error (e.g. reset).
  long receive(char* data, std::size_t size);
  bool fill();  // appends to pending_; false on close, timeout or error

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  std::string pending_;
};

// Convenience: one GET with the Host header, returns the request text.
std::string get_request(std::string_view target, std::string_view extra_headers = {});

}  // namespace connect_auth::transport::testing
