// A scripted HTTP/1.1 server on 127.0.0.1:<ephemeral> for the client tests: plain HTTP, one
// thread per connection, keep-alive, every request counted and recorded. The handler decides
// each answer (and may sleep to hold a request in flight).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace connect_auth::client::testing {

struct FakeRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A JSON answer with the given status.
FakeResponse json_response(int status, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {});

class FakeServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&, int index)>;

  explicit FakeServer(Handler handler);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  int count() const { return count_.load(); }
  std::vector<FakeRequest> requests() const;

 private:
  struct State;
  void serve(std::shared_ptr<void> socket);

  Handler handler_;
  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
  std::atomic<int> count_{0};
  mutable std::mutex mutex_;
  std::vector<FakeRequest> requests_;
  std::thread acceptor_thread_;
  std::vector<std::thread> connection_threads_;
};

}  // namespace connect_auth::client::testing
