// The HTTP/1.1 (+TLS) server: listener, per-connection sessions, limits, graceful shutdown.
// This is the only layer that includes Boost.Beast/Asio; it turns wire bytes into
// http::Request values, calls the handler, and writes the http::Response back.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace connect_auth::transport {

struct Limits {
  std::size_t header_bytes = 8 * 1024;  // whole header section; over → 431
  std::size_t body_bytes = 64 * 1024;   // over → 413, before the body is read
  // A request (header section and body) must arrive within this of its first byte. It also bounds
  // the TLS handshake plus first request of a new connection, and writing each response.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds keepalive_timeout{60'000};  // idle connection is closed after this
  std::chrono::milliseconds shutdown_grace{10'000};     // drain time on SIGTERM
  std::size_t max_connections = 10'000;                 // over → accept and close at once
  // Connections one client address may hold; over → accept and close at once. 0: no cap.
  std::size_t max_connections_per_source = 0;
  std::size_t max_requests_per_connection = 0;          // 0 = unlimited
};

struct TlsFiles {
  std::string cert_chain_file;   // PEM
  std::string private_key_file;  // PEM
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;  // 0 = pick a free port (see Server::port())
  bool tls = true;            // false only with --insecure-http
  TlsFiles tls_files;
  int threads = 0;  // event-loop threads; 0 = one per core
  Limits limits;
  // On SIGTERM/SIGINT `on_shutdown_signal` runs at once (the app turns /health/ready
  // not-ready), then the server goes on serving for `drain_delay`, so that a load balancer's
  // health check notices and sends new connections elsewhere; meanwhile every answer carries
  // Connection: close, so keep-alive clients reconnect through the balancer. Then it stops as
  // stop() does. A second signal during the delay stops at once.
  std::chrono::milliseconds drain_delay{0};
  std::function<void()> on_shutdown_signal;
};

// Called once per request on an event-loop thread. Must not block for long.
using RequestHandler = std::function<http::Response(const http::Request&)>;

// Observes each completed request (access log, metrics); never sees headers or bodies.
struct RequestSummary {
  http::Method method;
  std::string_view path;
  int status;
  std::chrono::microseconds elapsed;
  std::string_view remote_address;
  std::string_view request_id;
};
using RequestObserver = std::function<void(const RequestSummary&)>;

class Server {
 public:
  virtual ~Server() = default;
  // Binds and starts accepting. Errors (port in use, bad TLS files) are returned, not thrown.
  virtual Result<void> start() = 0;
  // The bound port (useful when options.port was 0).
  virtual std::uint16_t port() const = 0;
  // Runs the event loops on `threads` threads until stop() or SIGTERM/SIGINT, then drains:
  // stops accepting, lets in-flight requests finish (up to shutdown_grace), closes the rest.
  virtual void run() = 0;
  // Thread-safe; may be called from a signal handler context via asio's signal_set.
  virtual void stop() = 0;
};

std::unique_ptr<Server> make_server(ServerOptions options, RequestHandler handler,
                                    RequestObserver observer = {});

}  // namespace connect_auth::transport
