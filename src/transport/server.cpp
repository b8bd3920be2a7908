// The HTTP/1.1 (+TLS) server. Architecture, chosen for throughput on few cores:
//
// * One io_context per event-loop thread (a "Worker"), each run by exactly one thread, so
//   sessions never need strands or locks. One acceptor (on worker 0) hands accepted sockets to the
//   workers round-robin, which balances load evenly even with few client connections (an
//   SO_REUSEPORT acceptor per thread hashes connections and can leave a core idle).
// * A Session per connection, reading with Beast's basic_parser into session-owned buffers that
//   are reused for every request on the connection (no per-request allocation in the transport
//   once a connection has warmed up) and writing each response with one async_write.
// * Deadlines are plain time points checked by a coarse per-worker sweep timer, instead of a
//   timer per operation: arming and cancelling a timer per read/write costs timerfd syscalls on
//   the hot path, while a request deadline only needs to be enforced to within a few tens of ms.
#include "transport/server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "http/error_response.h"
#include "transport/framing_checks.h"
#include "transport/request_parser.h"
#include "transport/response_headers.h"
#include "transport/source_limiter.h"
#include "transport/tls_context.h"
#include "transport/worker.h"

namespace connect_auth::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// First read of a request: most requests fit in one page. Body reads may take more at once.
constexpr std::size_t kHeaderReadSize = 4096;
constexpr std::size_t kBodyReadSize = std::size_t{16} * 1024;
// After a response that closes the connection we keep reading (and discarding) for a while so
// that a client still sending a refused body receives our response instead of a TCP reset
// (RFC 9112 §9.6 "lingering close").
constexpr std::chrono::milliseconds kLingerTimeout{1000};
constexpr std::size_t kLingerBytes = std::size_t{1024} * 1024;
// Back-off when accept() fails for lack of resources (EMFILE, ENOBUFS): retrying at once spins.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

// ---------------------------------------------------------------------------------------------
// One connection.

template <bool kTls>
class Session final : public SessionBase,
                      public http::Deferral,
                      public std::enable_shared_from_this<Session<kTls>> {
  using Stream = std::conditional_t<kTls, asio::ssl::stream<tcp::socket>, tcp::socket>;

 public:
  // `slot`: this connection's place in its source's count; its source is the peer's address.
  Session(Worker& worker, tcp::socket socket, SourceLimiter::Slot slot)
      : worker_(worker),
        shared_(worker.shared()),
        limits_(shared_.options.limits),
        stream_(make_stream(std::move(socket))),
        // Room for a full header section plus one body read; the parser consumes body bytes as
        // they arrive, so only a header section (or a chunk-size line) can fill it.
        buffer_(limits_.header_bytes + kBodyReadSize),
        slot_(std::move(slot)) {
    worker_.add(this);
  }

  ~Session() override {
    worker_.remove(this);
    shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    const auto now = Clock::now();
    connected_at_ = now;
    if (worker_.draining()) {
      close_now();
      return;
    }

    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      deadline_ = now + limits_.read_timeout;
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          [self = this->shared_from_this()](error_code error) { self->on_handshake(error); });
    } else {
      begin_request();
    }
  }

  void on_tick(Clock::time_point now) override {
    if (phase_ == Phase::kClosed || now < deadline_) return;
    if (phase_ == Phase::kHandling) {
      // The client is owed an answer: a clear 503 beats a silent close it cannot tell from a
      // crash. Whatever the task sends later is dropped (the request number moves on).
      ++request_number_;
      auto error = make_error(ErrorCode::kServiceBusy, "the request took too long, retry shortly");
      http::Response response = http::error_response(error);
      response.close_connection = true;
      finish_request(std::move(response));
      return;
    }
    close_now();
  }

  void on_drain() override {
    // In-flight requests finish (their response says Connection: close); idle ones go now.
    if (phase_ == Phase::kHandshake || phase_ == Phase::kIdle) close_now();
  }

  void abort() override { close_now(); }

  // http::Deferral: the answer to the current request will come from another thread. The sink
  // posts it back to this connection's event loop; it carries the request's number so an answer
  // that arrives after the connection moved on (timed out, or the handler answered at once after
  // all) is dropped instead of being written to the wrong request.
  http::Responder defer() override {
    defer_requested_ = true;
    return http::Responder([self = this->shared_from_this(),
                            number = request_number_](http::Response response) mutable {
      auto& context = self->worker_.context();
      asio::post(context,
                 [self = std::move(self), number, response = std::move(response)]() mutable {
                   self->complete_deferred(number, std::move(response));
                 });
    });
  }

 private:
  enum class Phase : std::uint8_t {
    kHandshake,
    kIdle,
    kReading,
    kHandling,  // a deferred request is being answered elsewhere; nothing is read meanwhile
    kWriting,
    kClosing,
    kClosed
  };

  Stream make_stream(tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *shared_.tls);
    } else {
      return socket;
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void on_handshake(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    // Plain HTTP or an old TLS version sent to this port ends here: no answer, no redirect.
    if (ec) {
      close_now();
      return;
    }
    begin_request();
  }

  void begin_request() {
    request_.clear();
    parser_.emplace(request_, limits_);
    header_bytes_ = 0;
    if (worker_.draining()) {
      graceful_close(/*client_may_be_sending=*/buffer_.size() > 0);
      return;
    }
    const auto now = Clock::now();
    if (buffer_.size() > 0) {  // a pipelined request is already here
      start_request_clock(now);
      parse();
      return;
    }
    phase_ = Phase::kIdle;
    deadline_ =
        first_request_ ? connected_at_ + limits_.read_timeout : now + limits_.keepalive_timeout;
    read_more();
  }

  void start_request_clock(Clock::time_point now) {
    phase_ = Phase::kReading;
    request_start_ = now;
    // The whole request (header section and body) must arrive within read_timeout of its first
    // byte: this is what bounds slowloris and slow-POST clients.
    deadline_ = now + limits_.read_timeout;
  }

  void read_more() {
    const std::size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) {
      if (!parser_->is_header_done()) {
        send_error(parse_error(bhttp::error::header_limit, limits_));
      } else {
        send_error(make_error(ErrorCode::kInvalidRequest,
                              "a chunk-size line or the trailer section is too long"));
      }
      return;
    }
    const std::size_t want =
        std::min(room, parser_->is_header_done() ? kBodyReadSize : kHeaderReadSize);
    stream_.async_read_some(
        buffer_.prepare(want),
        [self = this->shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      // End of stream, reset, or a deadline: a partial request gets no answer.
      close_now();
      return;
    }
    buffer_.commit(n);
    if (phase_ == Phase::kIdle) start_request_clock(Clock::now());
    parse();
  }

  void parse() {
    error_code ec;
    for (;;) {
      if (!parser_->is_header_done()) {
        const auto data = buffer_.data();
        const std::size_t used = parser_->put(data, ec);
        if (used > 0) {
          header_bytes_ += used;
          if (has_obs_fold({static_cast<const char*>(data.data()), used})) {
            send_error(make_error(ErrorCode::kInvalidRequest,
                                  "obsolete line folding in a header field is not allowed"));
            return;
          }
          buffer_.consume(used);
        }
        if (ec == bhttp::error::need_more || (!ec && !parser_->is_header_done())) {
          if (refuse_bare_lf()) return;
          // Beast bounds each piece it looks at; the cap is on the whole section.
          if (header_bytes_ + buffer_.size() > limits_.header_bytes) {
            send_error(parse_error(bhttp::error::header_limit, limits_));
          } else {
            read_more();
          }
          return;
        }
        if (ec) {
          send_error(parse_error(ec, limits_));
          return;
        }
        if (header_bytes_ > limits_.header_bytes) {
          send_error(parse_error(bhttp::error::header_limit, limits_));
          return;
        }
        if (auto error = check_header()) {
          send_error(std::move(*error));
          return;
        }
        parser_->eager(true);
        // RFC 9110 §10.1.1: a client waiting for 100 Continue would otherwise stall (curl waits
        // a second before sending the body anyway).
        if (request_.expect_continue && request_.version >= 11 && !parser_->is_done() &&
            buffer_.size() == 0) {
          send_continue();
          return;
        }
        continue;
      }
      if (parser_->is_done()) {
        handle_request();
        return;
      }
      if (buffer_.size() == 0) {
        read_more();
        return;
      }
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) {
        // Only a chunk-size line or the trailer section can leave bytes unparsed here.
        if (parser_->chunked() && refuse_bare_lf()) return;
        ec = {};
        read_more();
        return;
      }
      if (ec) {
        send_error(parse_error(ec, limits_));
        return;
      }
    }
  }

  // Answers 400 when the bytes Beast waits on contain a line ended by a bare LF: it would only
  // ever wait for a CRLF, and the client for an answer, until the read timeout.
  bool refuse_bare_lf() {
    const auto pending = buffer_.data();
    if (!has_bare_lf({static_cast<const char*>(pending.data()), pending.size()})) return false;
    send_error(parse_error(bhttp::error::bad_line_ending, limits_));
    return true;
  }

  // Checks on the header section that Beast 1.81 does not make itself.
  std::optional<Error> check_header() const {
    if (request_.version != 10 && request_.version != 11) {
      return make_error(ErrorCode::kInvalidRequest, "unsupported HTTP version");
    }
    if (request_.transfer_encoding_fields > 0) {
      // RFC 9112 §6.1: a request with both is a smuggling attempt until proven otherwise, and
      // Beast lets "Transfer-Encoding: gzip" (not chunked) pass next to a Content-Length.
      if (request_.content_length_fields > 0) {
        return make_error(ErrorCode::kInvalidRequest,
                          "Content-Length and Transfer-Encoding must not both be present");
      }
      // RFC 9112 §6.3: chunked must be the final (here: only) coding, else the length is unknown.
      if (request_.transfer_encoding_fields > 1 || !request_.transfer_encoding_is_chunked) {
        return make_error(ErrorCode::kInvalidRequest,
                          "unsupported Transfer-Encoding (only a single \"chunked\" is accepted)");
      }
      if (request_.version == 10) {
        return make_error(ErrorCode::kInvalidRequest,
                          "Transfer-Encoding is not allowed in an HTTP/1.0 request");
      }
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1; never more than one.
    if (request_.host_fields > 1) {
      return make_error(ErrorCode::kInvalidRequest, "more than one Host header");
    }
    if (request_.version == 11 && request_.host_fields == 0) {
      return make_error(ErrorCode::kInvalidRequest, "an HTTP/1.1 request needs a Host header");
    }
    return std::nullopt;
  }

  void send_continue() {
    asio::async_write(stream_, asio::buffer(kContinueResponse.data(), kContinueResponse.size()),
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) {
                          self->close_now();
                          return;
                        }
                        self->read_more();
                      });
  }

  void handle_request() {
    http::Request request;
    request.method = request_.method;
    request.target = request_.target();
    request.path = request_.path();
    if (request.path.size() < request.target.size()) {
      request.query = request.target.substr(request.path.size() + 1);
    }
    request.headers = request_.headers;
    request.body = request_.body;
    request.remote_address = slot_.source();
    request.request_id = assign_request_id();
    request.deferral = this;

    ++request_number_;
    defer_requested_ = false;
    http::Response response;
    if (!shared_.handler) {
      response = http::error_response(make_error(ErrorCode::kNotFound, "no handler"));
    } else {
      try {
        response = shared_.handler(request);
      } catch (...) {
        response = http::error_response(
            make_error(ErrorCode::kInternal, "the request handler threw an exception"));
      }
    }
    if (response.deferred) {
      if (defer_requested_) {
        // The bound on waiting: a stuck task costs the client read_timeout, not forever.
        phase_ = Phase::kHandling;
        deadline_ = Clock::now() + limits_.read_timeout;
        return;
      }
      response = http::error_response(
          make_error(ErrorCode::kInternal, "the handler deferred without a responder"));
    } else if (defer_requested_) {
      ++request_number_;  // the handler answered after all: drop whatever the responder sends
    }
    finish_request(std::move(response));
  }

  void complete_deferred(std::uint64_t number, http::Response response) {
    if (phase_ != Phase::kHandling || number != request_number_) return;
    if (response.deferred) {
      response = http::error_response(
          make_error(ErrorCode::kInternal, "a deferred handler answered with a marker"));
    }
    finish_request(std::move(response));
  }

  void finish_request(http::Response response) {
    ++requests_served_;
    const std::size_t max_requests = limits_.max_requests_per_connection;
    const bool keep_alive = parser_->keep_alive() && !response.close_connection &&
                            !shared_.stopping.load(std::memory_order_relaxed) &&
                            (max_requests == 0 || requests_served_ < max_requests);
    write_response(std::move(response), request_.method == http::Method::kHead, keep_alive);
  }

  std::string_view assign_request_id() {
    request_id_ = worker_.next_request_id(request_id_storage_);
    return request_id_;
  }

  // Answers a request we refuse to parse further, then closes: after a framing error the rest of
  // the stream cannot be trusted to start at a message boundary.
  void send_error(const Error& error) {
    assign_request_id();
    http::Response response = http::error_response(error);
    response.close_connection = true;
    write_response(std::move(response), request_.method == http::Method::kHead, false);
  }

  void write_response(http::Response response, bool head_only, bool keep_alive) {
    response_ = std::move(response);
    if (!response_is_valid(response_)) {
      response_ = http::error_response(
          make_error(ErrorCode::kInternal, "the handler produced an invalid response"));
    }
    keep_alive_ = keep_alive;
    const bool no_content = has_no_content(response_.status);
    clear_and_trim(out_);
    write_response_head(
        out_, response_,
        ResponseHead{worker_.http_date(), kTls, request_id_, keep_alive_, request_.version});

    phase_ = Phase::kWriting;
    deadline_ = Clock::now() + limits_.read_timeout;
    auto on_written = [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->on_write(ec);
    };
    const bool with_body = !no_content && !head_only && !response_.body.empty();
    // Small bodies are copied behind the head: one buffer means one TLS record and one syscall.
    if (with_body && response_.body.size() <= kBodyReadSize) {
      out_.append(response_.body);
      asio::async_write(stream_, asio::buffer(out_), std::move(on_written));
    } else if (with_body) {
      std::array<asio::const_buffer, 2> buffers{asio::buffer(out_), asio::buffer(response_.body)};
      asio::async_write(stream_, buffers, std::move(on_written));
    } else {
      asio::async_write(stream_, asio::buffer(out_), std::move(on_written));
    }
  }

  void on_write(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    notify_observer();
    request_id_ = {};
    if (!keep_alive_) {
      graceful_close(/*client_may_be_sending=*/!parser_->is_done() || buffer_.size() > 0);
      return;
    }
    first_request_ = false;
    begin_request();
  }

  void notify_observer() {
    if (!shared_.observer) return;
    RequestSummary summary{
        request_.method,
        request_.start_line_seen ? request_.path() : std::string_view(),
        response_.status,
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - request_start_),
        slot_.source(),
        request_id_,
    };
    try {
      shared_.observer(summary);
    } catch (...) {
      // An observer (logging, metrics) must not take the connection down.
    }
  }

  // Ends the connection after the last response. When the client may still be sending (a refused
  // body, pipelined requests) we linger; otherwise closing at once is safe and frees the slot.
  void graceful_close(bool client_may_be_sending) {
    phase_ = Phase::kClosing;
    lingering_ = client_may_be_sending;
    deadline_ =
        Clock::now() + std::min<std::chrono::milliseconds>(kLingerTimeout, limits_.read_timeout);
    if constexpr (kTls) {
      // Send close_notify without waiting for the peer's: many clients never send one.
      SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
      stream_.async_shutdown([self = this->shared_from_this()](error_code ec) {
        if (self->phase_ == Phase::kClosed) return;
        if (ec) {
          self->close_now();
          return;
        }
        self->linger();
      });
    } else {
      linger();
    }
  }

  void linger() {
    if (!lingering_) {
      close_now();
      return;
    }
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close_now();
      return;
    }
    buffer_.consume(buffer_.size());
    linger_read();
  }

  void linger_read() {
    socket().async_read_some(buffer_.prepare(kBodyReadSize),
                             [self = this->shared_from_this()](error_code ec, std::size_t n) {
                               if (self->phase_ == Phase::kClosed) return;
                               self->lingered_ += n;
                               if (ec || self->lingered_ > kLingerBytes) {
                                 self->close_now();
                                 return;
                               }
                               self->linger_read();
                             });
  }

  void close_now() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    error_code ignored;
    socket().close(ignored);
  }

  Worker& worker_;
  Shared& shared_;
  const Limits& limits_;
  Stream stream_;
  beast::flat_buffer buffer_;
  RequestData request_;
  std::optional<RequestParser> parser_;
  http::Response response_;
  std::string out_;
  SourceLimiter::Slot slot_;  // holds the client's address
  char request_id_storage_[kRequestIdCapacity] = {};
  std::string_view request_id_;
  Phase phase_ = Phase::kIdle;
  Clock::time_point connected_at_;
  Clock::time_point deadline_;
  Clock::time_point request_start_;
  std::size_t header_bytes_ = 0;
  std::size_t requests_served_ = 0;
  std::size_t lingered_ = 0;
  bool first_request_ = true;
  bool keep_alive_ = false;
  bool lingering_ = false;
  std::uint64_t request_number_ = 0;
  bool defer_requested_ = false;
};

// ---------------------------------------------------------------------------------------------
// The server.

// One spelling per client address: an IPv4 client of a dual-stack socket as plain IPv4.
std::string source_address(const tcp::endpoint& peer) {
  asio::ip::address address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

std::string random_prefix() {
  std::random_device device;
  const std::uint32_t value = device();
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return std::string(text) + "-";
}

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, RequestHandler handler, RequestObserver observer) {
    shared_.options = std::move(options);
    shared_.handler = std::move(handler);
    shared_.observer = std::move(observer);
    shared_.id_prefix = random_prefix();
    shared_.sources =
        std::make_unique<SourceLimiter>(shared_.options.limits.max_connections_per_source);
  }

  ~ServerImpl() override {
    // Members that hold I/O objects go before the workers whose io_contexts they use.
    signals_.reset();
    drain_timer_.reset();
    accept_retry_.reset();
    acceptor_.reset();
    workers_.clear();
  }

  Result<void> start() override {
    if (started_) return make_error(ErrorCode::kInternal, "the server is already started");
    const ServerOptions& options = shared_.options;
    const std::string where = options.host + ":" + std::to_string(options.port);
    try {
      if (options.tls) {
        shared_.tls.emplace(asio::ssl::context::tls_server);
        if (auto configured = configure_tls(*shared_.tls, options.tls_files); !configured) {
          shared_.tls.reset();
          return configured;
        }
      }

      std::size_t threads = options.threads > 0 ? static_cast<std::size_t>(options.threads)
                                                : std::thread::hardware_concurrency();
      threads = std::max<std::size_t>(threads, 1);
      std::vector<std::unique_ptr<Worker>> workers;
      for (std::size_t i = 0; i < threads; ++i) {
        workers.push_back(std::make_unique<Worker>(shared_, i));
      }

      auto endpoint = resolve(options.host, options.port);
      if (!endpoint) {
        return make_error(ErrorCode::kInternal,
                          "cannot listen on " + where + ": " + endpoint.error().description);
      }
      tcp::acceptor acceptor(workers[0]->context());
      error_code ec;
      acceptor.open(endpoint->protocol(), ec);
      if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) acceptor.bind(*endpoint, ec);
      if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        return make_error(ErrorCode::kInternal, "cannot listen on " + where + ": " + ec.message());
      }
      port_ = acceptor.local_endpoint(ec).port();
      workers_ = std::move(workers);
      acceptor_.emplace(std::move(acceptor));
      accept_retry_.emplace(workers_[0]->context());
    } catch (const std::exception& e) {
      return make_error(ErrorCode::kInternal,
                        "cannot start the server on " + where + ": " + e.what());
    }
    started_.store(true);
    do_accept();
    if (stopping_.load()) post_drain();
    return Ok{};
  }

  std::uint16_t port() const override { return port_; }

  void run() override {
    if (!started_) return;
    Worker& first = *workers_[0];
    signals_.emplace(first.context(), SIGINT, SIGTERM);
    signals_->async_wait([this](error_code ec, int) {
      if (!ec) on_shutdown_signal();
    });
    std::vector<std::thread> threads;
    threads.reserve(workers_.size() - 1);
    for (std::size_t i = 1; i < workers_.size(); ++i) {
      threads.emplace_back([worker = workers_[i].get()] { run_loop(worker->context()); });
    }
    run_loop(first.context());
    for (auto& thread : threads) thread.join();
    signals_.reset();
    drain_timer_.reset();
  }

  void stop() override {
    if (stopping_.exchange(true)) return;
    shared_.stopping.store(true, std::memory_order_relaxed);
    // Before start() there is nothing to drain yet; start() then drains at once.
    if (started_.load()) post_drain();
  }

 private:
  // Runs on the first worker's thread. The delay lets a load balancer's health check see the
  // node not-ready while it still serves; the connections it still gets are told to close.
  void on_shutdown_signal() {
    if (shared_.options.on_shutdown_signal) shared_.options.on_shutdown_signal();
    const auto delay = shared_.options.drain_delay;
    if (delay <= std::chrono::milliseconds::zero() || stopping_.load()) {
      stop();
      return;
    }
    shared_.stopping.store(true, std::memory_order_relaxed);
    signals_->async_wait([this](error_code ec, int) {
      if (!ec) stop();  // a second signal: no more waiting
    });
    drain_timer_.emplace(workers_[0]->context());
    drain_timer_->expires_after(delay);
    drain_timer_->async_wait([this](error_code ec) {
      if (!ec) stop();
    });
  }

  // Runs at most once, from stop() or from a start() that follows a stop().
  void post_drain() {
    if (drain_posted_.exchange(true)) return;
    asio::post(workers_[0]->context(), [this] {
      error_code ignored;
      acceptor_->close(ignored);
      accept_retry_->cancel();
      if (drain_timer_) drain_timer_->cancel();
      // Removing our handlers restores the default action: a second SIGTERM ends the process.
      if (signals_) {
        signals_->clear(ignored);
        signals_->cancel(ignored);
      }
    });
    const auto grace = shared_.options.limits.shutdown_grace;
    for (auto& worker : workers_) {
      asio::post(worker->context(), [w = worker.get(), grace] { w->begin_drain(grace); });
    }
  }

  static void run_loop(asio::io_context& context) {
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception&) {
        // Handlers catch their own failures; anything reaching here (e.g. bad_alloc) must not
        // end the event loop and with it every other connection on this thread.
      }
    }
  }

  static Result<tcp::endpoint> resolve(const std::string& host, std::uint16_t port) {
    error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) return tcp::endpoint(address, port);
    asio::io_context context;
    tcp::resolver resolver(context);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return make_error(ErrorCode::kInternal,
                        "cannot resolve host: " + (ec ? ec.message() : std::string("no address")));
    }
    return results.begin()->endpoint();
  }

  void do_accept() {
    Worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    acceptor_->async_accept(target.context(), peer_,
                            [this, &target](error_code ec, tcp::socket socket) {
                              on_accept(target, ec, std::move(socket));
                            });
  }

  void on_accept(Worker& target, error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping_.load(std::memory_order_relaxed)) return;
    if (ec) {
      if (ec == asio::error::connection_aborted) {
        do_accept();
        return;
      }
      accept_retry_->expires_after(kAcceptRetryDelay);
      accept_retry_->async_wait([this](error_code error) {
        if (!error && !stopping_.load(std::memory_order_relaxed)) do_accept();
      });
      return;
    }
    if (shared_.connections.load(std::memory_order_relaxed) >=
        shared_.options.limits.max_connections) {
      error_code ignored;
      socket.close(ignored);  // over the cap: refuse at once rather than queue
      do_accept();
      return;
    }
    // The peer comes from accept(), which saves a getpeername() per connection.
    SourceLimiter::Slot slot = shared_.sources->acquire(source_address(peer_));
    if (!slot) {
      error_code ignored;
      socket.close(ignored);  // this address holds its share already; everyone else goes on
      do_accept();
      return;
    }
    shared_.connections.fetch_add(1, std::memory_order_relaxed);
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // once per connection, not per response
    const bool tls = shared_.tls.has_value();
    asio::post(target.context(), [&target, tls, slot = std::move(slot),
                                  socket = std::move(socket)]() mutable {
      try {
        if (tls) {
          std::make_shared<Session<true>>(target, std::move(socket), std::move(slot))->start();
        } else {
          std::make_shared<Session<false>>(target, std::move(socket), std::move(slot))->start();
        }
      } catch (const std::exception&) {
        // No session took ownership (e.g. SSL_new failed): drop the connection, keep the
        // count.
        target.shared().connections.fetch_sub(1, std::memory_order_relaxed);
      }
    });
    do_accept();
  }

  Shared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  tcp::endpoint peer_;  // filled by the one outstanding accept
  std::optional<asio::steady_timer> accept_retry_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::steady_timer> drain_timer_;  // the drain delay after a shutdown signal
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> drain_posted_{false};
  std::uint16_t port_ = 0;
  std::size_t next_worker_ = 0;
};

}  // namespace

std::unique_ptr<Server> make_server(ServerOptions options, RequestHandler handler,
                                    RequestObserver observer) {
  return std::make_unique<ServerImpl>(std::move(options), std::move(handler), std::move(observer));
}

}  // namespace connect_auth::transport
