#include "fake_server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <cctype>

namespace connect_auth::client::testing {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct FakeServer::State {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::mutex mutex;
  bool stopping = false;
  std::vector<std::shared_ptr<tcp::socket>> sockets;  // closed at stop to end blocking reads
};

FakeResponse json_response(int status, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Content-Type", "application/json");
  return FakeResponse{status, std::move(headers), std::move(body)};
}

FakeServer::FakeServer(Handler handler)
    : handler_(std::move(handler)), state_(std::make_unique<State>()) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  port_ = state_->acceptor.local_endpoint().port();
  acceptor_thread_ = std::thread([this] {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(state_->io);
      boost::system::error_code ec;
      state_->acceptor.accept(*socket, ec);
      std::lock_guard lock(state_->mutex);
      if (ec || state_->stopping) return;
      state_->sockets.push_back(socket);
      connection_threads_.emplace_back([this, socket] { serve(socket); });
    }
  });
}

FakeServer::~FakeServer() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    boost::system::error_code ec;
    for (auto& s : state_->sockets) {
      s->shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  // Unblocks accept(): a connection to ourselves, then the acceptor ends.
  {
    boost::system::error_code ec;
    tcp::socket poke(state_->io);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  }
  acceptor_thread_.join();
  for (auto& t : connection_threads_) t.join();
}

std::vector<FakeRequest> FakeServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

void FakeServer::serve(std::shared_ptr<void> opaque) {
  auto socket = std::static_pointer_cast<tcp::socket>(opaque);
  std::string buffer;
  boost::system::error_code ec;
  for (;;) {
    std::size_t end = buffer.find("\r\n\r\n");
    while (end == std::string::npos) {
      char chunk[4096];
      const std::size_t n = socket->read_some(asio::buffer(chunk), ec);
      if (ec) return;
      buffer.append(chunk, n);
      end = buffer.find("\r\n\r\n");
    }
    FakeRequest request;
    std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string first = head.substr(0, line_end);
    const auto sp1 = first.find(' ');
    const auto sp2 = first.find(' ', sp1 + 1);
    request.method = first.substr(0, sp1);
    request.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line =
          head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers[lower(line.substr(0, colon))] = value;
    }
    std::size_t length = 0;
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      length = std::stoul(it->second);
    }
    while (buffer.size() < length) {
      char chunk[4096];
      const std::size_t n = socket->read_some(asio::buffer(chunk), ec);
      if (ec) return;
      buffer.append(chunk, n);
    }
    request.body = buffer.substr(0, length);
    buffer.erase(0, length);

    int index = 0;
    {
      std::lock_guard lock(mutex_);
      index = static_cast<int>(requests_.size());
      requests_.push_back(request);
    }
    ++count_;
    FakeResponse response = handler_(request, index);
    std::string out =
        "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
    out += response.body;
    asio::write(*socket, asio::buffer(out), ec);
    if (ec) return;
  }
}

}  // namespace connect_auth::client::testing
