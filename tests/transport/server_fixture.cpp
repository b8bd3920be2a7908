#include "server_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "transport/dev_certificate.h"

namespace connect_auth::transport::testing {

using namespace std::chrono_literals;

http::Response echo_handler(const http::Request& request) {
  http::Response response;
  response.content_type = "application/json";
  response.body = "{\"method\":\"" + std::string(http::method_name(request.method)) +
                  "\",\"target\":\"" + std::string(request.target) + "\",\"path\":\"" +
                  std::string(request.path) + "\",\"query\":\"" + std::string(request.query) +
                  "\",\"headers\":" + std::to_string(request.headers.size()) +
                  ",\"authorization\":" + std::to_string(request.header_count("Authorization")) +
                  ",\"body_length\":" + std::to_string(request.body.size()) + ",\"remote\":\"" +
                  std::string(request.remote_address) + "\",\"request_id\":\"" +
                  std::string(request.request_id) + "\"}";
  response.add_header("Cache-Control", "no-store");
  return response;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const TlsFiles& dev_files() {
  struct CertificateDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("connect-auth-transport-test-" + std::to_string(::getpid()));
    TlsFiles files;
    CertificateDir() {
      auto result = ensure_dev_certificate(path);
      if (result) {
        files = *result;
      } else {
        ADD_FAILURE() << result.error().description;
      }
    }
    ~CertificateDir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const CertificateDir dir;
  return dir.files;
}

ServerOptions test_options(bool tls) {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.tls = tls;
  if (tls) options.tls_files = dev_files();
  options.threads = 2;
  options.limits.shutdown_grace = 2000ms;
  return options;
}

RunningServer::RunningServer(ServerOptions options, RequestHandler handler,
                             RequestObserver observer)
    : server_(make_server(std::move(options), std::move(handler), std::move(observer))) {
  auto started = server_->start();
  if (!started) {
    ADD_FAILURE() << "start failed: " << started.error().description;
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  finished_ = done->get_future();
  thread_ = std::thread([this, done] {
    server_->run();
    done->set_value();
  });
}

std::unique_ptr<TestClient> RunningServer::connect() const {
  auto client = tls() ? TestClient::connect_tls(port()) : TestClient::connect_plain(port());
  EXPECT_NE(client, nullptr);
  return client;
}

bool RunningServer::wait_finished(std::chrono::milliseconds timeout) {
  if (!finished_.valid()) return true;
  return finished_.wait_for(timeout) == std::future_status::ready;
}

void RunningServer::stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

std::unique_ptr<RunningServer> start_server(ServerOptions options, RequestHandler handler,
                                            RequestObserver observer) {
  const bool tls = options.tls;
  auto server =
      std::make_unique<RunningServer>(std::move(options), std::move(handler), std::move(observer));
  server->set_tls(tls);
  return server;
}

void expect_refused(RunningServer& server, const std::string& bytes, int status,
                    const std::string& description_part) {
  auto client = server.connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send(bytes));
  auto response = client->read_response();
  ASSERT_TRUE(response.has_value()) << "no response to: " << bytes.substr(0, 200);
  EXPECT_EQ(response->status, status) << response->body;
  EXPECT_TRUE(contains(response->body, "\"error\":")) << response->body;
  if (!description_part.empty()) {
    EXPECT_TRUE(contains(response->body, description_part)) << response->body;
  }
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(response->header("X-Request-Id").has_value());
  EXPECT_TRUE(client->wait_closed(2s)) << "connection left open after " << status;
}

}  // namespace connect_auth::transport::testing
