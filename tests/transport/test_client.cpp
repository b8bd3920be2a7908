#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace connect_auth::transport::testing {
namespace {

constexpr std::chrono::milliseconds kDefaultTimeout{5000};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

// `source`: a local IPv4 address to connect from (127.0.0.0/8 is all loopback on Linux, so
// 127.0.0.2 is a second client address), or nullptr for the kernel's choice.
int connect_socket(std::uint16_t port, const char* source = nullptr) {
  // A write to a connection the server has closed must fail with EPIPE, not kill the test binary
  // (SSL_write has no MSG_NOSIGNAL).
  static const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void set_socket_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::optional<std::string> ParsedResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

TestClient::~TestClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<TestClient> TestClient::connect_plain(std::uint16_t port, const char* source) {
  const int fd = connect_socket(port, source);
  if (fd < 0) return nullptr;
  set_socket_timeout(fd, kDefaultTimeout);
  return std::unique_ptr<TestClient>(new TestClient(fd, nullptr, nullptr));
}

std::unique_ptr<TestClient> TestClient::connect_tls(std::uint16_t port, TlsClientOptions options,
                                                    std::string* error) {
  const int fd = connect_socket(port);
  if (fd < 0) {
    if (error != nullptr) *error = "connect failed";
    return nullptr;
  }
  set_socket_timeout(fd, kDefaultTimeout);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // the tests check the server, not its name
  if (options.allow_legacy) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  }
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(ctx, options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx, options.max_version);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  auto client = std::unique_ptr<TestClient>(new TestClient(fd, ctx, ssl));
  ERR_clear_error();
  if (SSL_connect(ssl) != 1) {
    if (error != nullptr) {
      const unsigned long code = ERR_peek_last_error();
      char text[256] = "handshake failed without an OpenSSL error";
      if (code != 0) ERR_error_string_n(code, text, sizeof text);
      *error = text;
    }
    ERR_clear_error();
    return nullptr;
  }
  return client;
}

void TestClient::set_timeout(std::chrono::milliseconds timeout) {
  set_socket_timeout(fd_, timeout);
}

bool TestClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    long n;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    } else {
      n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

long TestClient::receive(char* data, std::size_t size) {
  if (ssl_ == nullptr) {
    const ssize_t n = ::recv(fd_, data, size, 0);
    if (n >= 0) return n;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : -2;
  }
  errno = 0;
  const int n = SSL_read(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  const int error = SSL_get_error(ssl_, n);
  const int saved_errno = errno;
  ERR_clear_error();
  switch (error) {
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_WANT_READ: return -1;
    case SSL_ERROR_SYSCALL:
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) return -1;
      return saved_errno == 0 ? 0 : -2;  // EOF without close_notify counts as a close
    default: return -2;
  }
}

bool TestClient::fill() {
  char data[16384];
  const long n = receive(data, sizeof data);
  if (n <= 0) return false;
  pending_.append(data, static_cast<std::size_t>(n));
  return true;
}

std::optional<ParsedResponse> TestClient::read_response(bool head) {
  std::size_t end;
  while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  ParsedResponse response;
  std::string_view section(pending_.data(), end);
  std::size_t line_end = section.find("\r\n");
  std::string_view status_line = section.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return std::nullopt;
  response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = section.find("\r\n", start);
    std::string_view line = section.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  pending_.erase(0, end + 4);

  std::size_t length = 0;
  const bool no_body =
      head || response.status < 200 || response.status == 204 || response.status == 304;
  if (auto content_length = response.header("Content-Length"); content_length && !no_body) {
    length = static_cast<std::size_t>(std::strtoull(content_length->c_str(), nullptr, 10));
  }
  while (pending_.size() < length) {
    if (!fill()) return std::nullopt;
  }
  response.body = pending_.substr(0, length);
  pending_.erase(0, length);
  return response;
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout, std::string* received) {
  set_socket_timeout(fd_, timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (received != nullptr) *received = pending_;
  pending_.clear();
  char data[16384];
  while (std::chrono::steady_clock::now() < deadline) {
    const long n = receive(data, sizeof data);
    if (n == 0 || n == -2) return true;
    if (n == -1) return false;
    if (received != nullptr) received->append(data, static_cast<std::size_t>(n));
  }
  return false;
}

std::string get_request(std::string_view target, std::string_view extra_headers) {
  std::string request = "GET ";
  request.append(target);
  request.append(" HTTP/1.1\r\nHost: localhost\r\n");
  request.append(extra_headers);
  request.append("\r\n");
  return request;
}

}  // namespace connect_auth::transport::testing
