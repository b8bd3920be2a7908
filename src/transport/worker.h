// The server's event loops: one Worker per thread, each with its own io_context, holding its
// sessions in an intrusive list (no allocation per connection) and enforcing their deadlines with
// one coarse sweep timer instead of a timer per operation; and the state every worker shares.
// Internal to the transport (server.cpp); header-only because only server.cpp includes it.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "transport/response_headers.h"
#include "transport/server.h"
#include "transport/source_limiter.h"

namespace connect_auth::transport {

inline constexpr std::size_t kRequestIdCapacity = 48;

struct Shared {
  ServerOptions options;
  RequestHandler handler;
  RequestObserver observer;
  std::optional<boost::asio::ssl::context> tls;
  std::atomic<std::size_t> connections{0};
  // Set by stop() (and by a shutdown signal, for the drain delay) at once, so a response being
  // produced right now already says Connection: close, before the workers get to run their drain.
  std::atomic<bool> stopping{false};
  std::string id_prefix;  // random per server instance, so ids differ across restarts
  std::unique_ptr<SourceLimiter> sources;  // limits.max_connections_per_source
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void on_tick(
      std::chrono::steady_clock::time_point now) = 0;  // close if past the deadline
  virtual void on_drain() = 0;                         // shutdown begun: close if idle
  virtual void abort() = 0;                            // close at once

 private:
  friend class Worker;  // links sessions into its intrusive list: no allocation per connection
  SessionBase* prev_ = nullptr;
  SessionBase* next_ = nullptr;
};

class Worker {
 public:
  Worker(Shared& shared, std::size_t index)
      : shared_(shared),
        context_(1),  // run by exactly one thread: lets Asio take its single-thread fast paths
        guard_(boost::asio::make_work_guard(context_)),
        sweep_timer_(context_),
        grace_timer_(context_) {
    const Limits& limits = shared.options.limits;
    auto shortest = std::min(limits.read_timeout, limits.keepalive_timeout);
    tick_ = std::clamp<std::chrono::milliseconds>(shortest / 8, std::chrono::milliseconds(20),
                                                  std::chrono::milliseconds(250));
    id_prefix_ = shared.id_prefix;
    append_number(id_prefix_, index);
    id_prefix_.push_back('-');
  }

  ~Worker() { destroying_ = true; }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& context() { return context_; }
  Shared& shared() { return shared_; }
  bool draining() const { return draining_; }

  void add(SessionBase* session) {
    session->next_ = head_;
    if (head_ != nullptr) head_->prev_ = session;
    head_ = session;
    ++sessions_;
    if (!sweep_armed_) arm_sweep();
  }

  void remove(SessionBase* session) {
    if (session->prev_ != nullptr) session->prev_->next_ = session->next_;
    if (session->next_ != nullptr) session->next_->prev_ = session->prev_;
    if (head_ == session) head_ = session->next_;
    --sessions_;
    if (sessions_ == 0 && draining_ && !destroying_) {
      // Nothing left to drain: let run() return now rather than at the next tick or the grace end.
      cancel_timers();
    }
  }

  void begin_drain(std::chrono::milliseconds grace) {
    if (draining_) return;
    draining_ = true;
    guard_.reset();
    for_each_session([](SessionBase& s) { s.on_drain(); });
    if (sessions_ == 0) {
      cancel_timers();
      return;
    }
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      for_each_session([](SessionBase& s) { s.abort(); });
    });
  }

  // Short unique id: <instance prefix><worker>-<counter in hex>.
  std::string_view next_request_id(char (&out)[kRequestIdCapacity]) {
    std::size_t n = std::min(id_prefix_.size(), kRequestIdCapacity - 17);
    std::memcpy(out, id_prefix_.data(), n);
    auto [end, ec] = std::to_chars(out + n, out + kRequestIdCapacity, ++request_counter_, 16);
    return {out, static_cast<std::size_t>(end - out)};
  }

  // IMF-fixdate (RFC 9110 §5.6.7), formatted once per second and without the C locale.
  std::string_view http_date() {
    std::time_t now = std::time(nullptr);
    if (now != date_second_) {
      static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
      static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
      std::tm tm{};
      gmtime_r(&now, &tm);
      std::snprintf(date_, sizeof date_, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                    tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                    tm.tm_sec);
      date_second_ = now;
    }
    return date_;
  }

 private:
  template <class F>
  void for_each_session(F f) {
    // Closing a socket only queues its handlers, so no session unlinks itself during the walk.
    for (SessionBase* s = head_; s != nullptr;) {
      SessionBase* next = s->next_;
      f(*s);
      s = next;
    }
  }

  // Called from session destructors, so it must not throw.
  void cancel_timers() noexcept {
    try {
      grace_timer_.cancel();
      sweep_timer_.cancel();
    } catch (const std::exception&) {
      // cancel() only fails on a broken reactor; the timers then expire on their own.
    }
  }

  void arm_sweep() {
    sweep_armed_ = true;
    sweep_timer_.expires_after(tick_);
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
      sweep_armed_ = false;
      if (ec || sessions_ == 0) return;
      const auto now = std::chrono::steady_clock::now();
      for_each_session([now](SessionBase& s) { s.on_tick(now); });
      if (sessions_ > 0) arm_sweep();
    });
  }

  Shared& shared_;
  // Declared before context_ so they outlive the sessions destroyed with the context.
  SessionBase* head_ = nullptr;
  std::size_t sessions_ = 0;
  bool draining_ = false;
  bool destroying_ = false;
  bool sweep_armed_ = false;
  std::chrono::milliseconds tick_{100};
  std::string id_prefix_;
  std::uint64_t request_counter_ = 0;
  std::time_t date_second_ = 0;
  char date_[40] = {};

  // Hint 1: exactly one thread runs this loop, so Asio can skip waking other threads; posts
  // from the acceptor thread stay safe (the hint is not BOOST_ASIO_CONCURRENCY_HINT_UNSAFE).
  boost::asio::io_context context_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer grace_timer_;
};

}  // namespace connect_auth::transport
