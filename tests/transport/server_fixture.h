// What the transport tests share: a server running on a background thread for one test, on an
// ephemeral port, with a handler that echoes what the transport handed it, and the check that a
// malformed request gets one error answer and a closed connection.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "test_client.h"
#include "transport/server.h"

namespace connect_auth::transport::testing {

// Echoes what the transport handed to the handler, so tests can check the Request mapping.
http::Response echo_handler(const http::Request& request);

bool contains(const std::string& haystack, const std::string& needle);

// One development certificate per test process, removed again when the process exits.
const TlsFiles& dev_files();

ServerOptions test_options(bool tls = false);

// Runs a server on a background thread for the duration of a test.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options, RequestHandler handler = echo_handler,
                         RequestObserver observer = {});
  ~RunningServer() { stop(); }

  std::uint16_t port() const { return server_->port(); }
  std::unique_ptr<TestClient> connect() const;

  bool tls() const { return tls_; }
  void set_tls(bool tls) { tls_ = tls; }

  void request_stop() { server_->stop(); }

  // True when run() has returned within `timeout`.
  bool wait_finished(std::chrono::milliseconds timeout);
  void stop();

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::future<void> finished_;
  bool tls_ = false;
};

std::unique_ptr<RunningServer> start_server(ServerOptions options,
                                            RequestHandler handler = echo_handler,
                                            RequestObserver observer = {});

// Sends raw bytes and expects one error response followed by the server closing the connection.
void expect_refused(RunningServer& server, const std::string& bytes, int status,
                    const std::string& description_part = {});

}  // namespace connect_auth::transport::testing
