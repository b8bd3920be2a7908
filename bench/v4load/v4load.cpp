// v4load: load generator for the v4 token endpoint (POST /rest/v4/oauth/token) and the raw
// argon2id rate it is compared with. Used by bench/v4.sh; see bench/README.md ("v4 benchmark").
//
//   v4load refresh  --url https://127.0.0.1:PORT --ca cert.pem --user NAME -c 32 -d 10 -w 2
//   v4load password --url https://127.0.0.1:PORT --ca cert.pem --user NAME -c 8 -d 10 -w 2
//   v4load argon2   --threads 2 -d 10 -w 1 --memory-kib 19456 --iterations 2
//
// The password is read from the environment (V4LOAD_PASSWORD), never from the command line, so
// it does not show up in `ps`. Prints exactly one JSON object on stdout; progress and errors go
// to stderr. Exit status: 0 when the run completed (even with error answers: they are in the
// JSON), 1 when it could not run (bad options, setup failed), 2 on usage errors.
//
// One client thread drives all connections with C++20 coroutines: the server under test shares
// this machine's few cores, and one event loop is the cheapest way to keep C requests in flight.
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kDefaultPath = "/rest/v4/oauth/token";
constexpr std::size_t kErrorBodyChars = 300;
// Pause after a 503/429 before the next attempt on that connection: the server asked us to back
// off, and retrying at once would only burn the CPU the server is measured on.
constexpr std::chrono::milliseconds kBusyPause{10};
constexpr std::chrono::milliseconds kReconnectPause{100};

struct Options {
  std::string mode;
  std::string url;
  std::string ca_file;
  std::string user;
  std::string password;
  int connections = 8;
  double duration_s = 10;
  double warmup_s = 2;
  bool offline = false;  // password mode: ask for OFFLINE_ACCESS (creates a refresh family)
  int timeout_s = 30;
  int threads = 2;  // argon2 mode
  std::int64_t memory_kib = 19 * 1024;
  std::int64_t iterations = 2;
  int error_samples = 5;
  int server_pid = 0;  // when set, its CPU time during the window is reported too
};

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;
  std::string host_header;
};

std::optional<Target> parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  Target t;
  const std::string scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https") return std::nullopt;
  t.tls = scheme == "https";
  t.host = parsed->host_address();
  t.port = parsed->has_port() ? std::string(parsed->port()) : (t.tls ? "443" : "80");
  t.path = parsed->encoded_path().empty() || parsed->encoded_path() == "/"
               ? std::string(kDefaultPath)
               : std::string(parsed->encoded_path());
  t.host_header = std::string(parsed->encoded_host_and_port());
  if (t.host.empty()) return std::nullopt;
  return t;
}

// ------------------------------------------------------------------ statistics

struct Tally {
  std::uint64_t ok = 0;
  std::map<int, std::uint64_t> statuses;  // every non-200 answer, by status
  std::uint64_t transport_errors = 0;     // connect/TLS/read/write failures and timeouts
  std::uint64_t bad_bodies = 0;           // 200 whose JSON lacks what the request asked for

  json::object to_json() const {
    json::object statuses_json;
    std::uint64_t errors = transport_errors + bad_bodies;
    for (const auto& [status, count] : statuses) {
      statuses_json[std::to_string(status)] = count;
      if (status != 503 && status != 429) errors += count;
    }
    return {{"ok", ok},
            {"statuses", statuses_json},
            {"unavailable_503", statuses.contains(503) ? statuses.at(503) : 0},
            {"throttled_429", statuses.contains(429) ? statuses.at(429) : 0},
            {"transport_errors", transport_errors},
            {"bad_bodies", bad_bodies},
            {"errors", errors}};
  }
};

struct Percentiles {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Percentiles percentiles_ms(std::vector<std::uint32_t> us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  // Nearest-rank percentile: the smallest value with at least q of the samples at or below it.
  auto at = [&](double q) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(us.size())));
    return us[std::clamp<std::size_t>(rank, 1, us.size()) - 1] / 1000.0;
  };
  double sum = 0;
  for (auto v : us) sum += v;
  p.mean = sum / static_cast<double>(us.size()) / 1000.0;
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = us.back() / 1000.0;
  return p;
}

json::object to_json(const Percentiles& p) {
  auto r = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  return {{"mean", r(p.mean)},
          {"p50", r(p.p50)},
          {"p90", r(p.p90)},
          {"p99", r(p.p99)},
          {"max", r(p.max)}};
}

// Shared by all connections; only the one client thread touches it.
struct Run {
  const Options& options;
  Clock::time_point window_start;
  Clock::time_point window_end;
  Tally window;                             // answers that arrived inside the measurement window
  Tally whole;                              // every answer of the load phase, warm-up included
  std::vector<std::uint32_t> latencies_us;  // successes inside the window
  json::array error_samples;
  std::uint64_t relogins = 0;       // refresh mode: chains restarted after a failure
  std::uint64_t chained_total = 0;  // refresh mode: successful refreshes, warm-up included
  std::uint64_t longest_chain = 0;

  bool in_window(Clock::time_point t) const { return t >= window_start && t < window_end; }

  void sample_error(std::string what, int connection, int status, std::string_view body,
                    std::uint64_t chain_position, Clock::time_point at) {
    if (error_samples.size() >= static_cast<std::size_t>(options.error_samples)) return;
    const double t = std::chrono::duration<double>(at - window_start).count();
    error_samples.push_back(
        json::object{{"what", what},
                     {"connection", connection},
                     {"status", status},
                     {"body", std::string(body.substr(0, kErrorBodyChars))},
                     {"chain_position", chain_position},
                     {"seconds_from_window_start", std::round(t * 1000.0) / 1000.0}});
  }
};

// ------------------------------------------------------------------ one keep-alive connection

struct Answer {
  error_code ec;
  int status = 0;
  bool keep_alive = true;
  std::string body;
};

template <bool kTls>
class Connection {
 public:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  Connection(asio::io_context& io, asio::ssl::context* tls, const Target& target,
             tcp::resolver::results_type endpoints, std::chrono::seconds timeout)
      : io_(io), tls_(tls), target_(target), endpoints_(std::move(endpoints)), timeout_(timeout) {
    request_.method(http::verb::post);
    request_.target(target_.path);
    request_.version(11);
    request_.set(http::field::host, target_.host_header);
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::accept, "application/json");
  }

  asio::awaitable<error_code> connect() {
    close();
    if constexpr (kTls) {
      stream_ = std::make_unique<Stream>(io_.get_executor(), *tls_);
    } else {
      stream_ = std::make_unique<Stream>(io_.get_executor());
    }
    auto& socket = beast::get_lowest_layer(*stream_);
    socket.expires_after(timeout_);
    auto [ec, endpoint] = co_await socket.async_connect(endpoints_, kAwait);
    if (ec) co_return ec;
    socket.socket().set_option(tcp::no_delay(true));
    if constexpr (kTls) {
      // Verify the server's certificate against --ca, for the address or name in the URL.
      SSL* ssl = stream_->native_handle();
      error_code parse_ec;
      asio::ip::make_address(target_.host, parse_ec);
      if (!parse_ec) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target_.host.c_str());
      } else {
        SSL_set1_host(ssl, target_.host.c_str());
        SSL_set_tlsext_host_name(ssl, target_.host.c_str());
      }
      auto [hs_ec] = co_await stream_->async_handshake(asio::ssl::stream_base::client, kAwait);
      if (hs_ec) co_return hs_ec;
    }
    co_return error_code{};
  }

  // Connects again until it works or `deadline` passes.
  asio::awaitable<bool> reconnect(Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      if (!co_await connect()) co_return true;
      asio::steady_timer pause(io_, kReconnectPause);
      co_await pause.async_wait(kAwait);
    }
    co_return false;
  }

  asio::io_context& io() { return io_; }

  void close() {
    if (!stream_) return;
    error_code ignored;
    beast::get_lowest_layer(*stream_).socket().close(ignored);
    stream_.reset();
    buffer_.clear();
  }

  asio::awaitable<Answer> post(std::string body) {
    Answer answer;
    if (!stream_) {
      answer.ec = asio::error::not_connected;
      co_return answer;
    }
    request_.body() = std::move(body);
    request_.prepare_payload();
    beast::get_lowest_layer(*stream_).expires_after(timeout_);
    auto [write_ec, written] = co_await http::async_write(*stream_, request_, kAwait);
    if (write_ec) {
      answer.ec = write_ec;
      co_return answer;
    }
    http::response<http::string_body> response;
    auto [read_ec, read] = co_await http::async_read(*stream_, buffer_, response, kAwait);
    if (read_ec) {
      answer.ec = read_ec;
      co_return answer;
    }
    answer.status = static_cast<int>(response.result_int());
    answer.keep_alive = response.keep_alive();
    answer.body = std::move(response.body());
    co_return answer;
  }

 private:
  asio::io_context& io_;
  asio::ssl::context* tls_;
  const Target& target_;
  tcp::resolver::results_type endpoints_;
  std::chrono::seconds timeout_;
  std::unique_ptr<Stream> stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
};

std::string password_body(const Options& o, bool offline) {
  json::object body{{"userName", o.user}, {"password", o.password}, {"grantType", "PASSWORD"}};
  if (offline) body["scope"] = "OFFLINE_ACCESS";
  return json::serialize(body);
}

std::string refresh_body(const std::string& refresh_token) {
  return json::serialize(json::object{{"scope", "OFFLINE_ACCESS"},
                                      {"refreshToken", refresh_token},
                                      {"grantType", "REFRESH_TOKEN"}});
}

// The string member `name` of a JSON object body, or nothing.
std::optional<std::string> member(std::string_view body, std::string_view name) {
  error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* m = v.as_object().if_contains(name);
  if (m == nullptr || !m->is_string() || m->as_string().empty()) return std::nullopt;
  return std::string(m->as_string());
}

asio::awaitable<void> pause(asio::io_context& io, std::chrono::milliseconds how_long) {
  asio::steady_timer timer(io, how_long);
  co_await timer.async_wait(kAwait);
}

// A PASSWORD login with OFFLINE_ACCESS that starts a refresh-token family. Retries while the
// server's password queue is full (503) or after a lost connection, until `deadline`.
template <bool kTls>
asio::awaitable<std::optional<std::string>> login(Connection<kTls>& c, Run& run, int index,
                                                  Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    Answer a = co_await c.post(password_body(run.options, true));
    if (a.ec) {
      if (!co_await c.reconnect(deadline)) break;
      continue;
    }
    if (!a.keep_alive && !co_await c.reconnect(deadline)) break;
    if (a.status == 503 || a.status == 429) {
      co_await pause(c.io(), kBusyPause);
      continue;
    }
    if (a.status == 200) {
      if (auto token = member(a.body, "refreshToken")) co_return token;
    }
    std::cerr << "v4load: connection " << index << ": PASSWORD login answered " << a.status << ": "
              << a.body.substr(0, kErrorBodyChars) << "\n";
    run.sample_error("password login (start of a refresh chain)", index, a.status, a.body, 0,
                     Clock::now());
    co_return std::nullopt;
  }
  co_return std::nullopt;
}

// refresh mode: chains REFRESH_TOKEN grants on one family until the window ends. Every non-200
// is an error (a chained refresh must never fail); the chain is then restarted with a login.
template <bool kTls>
asio::awaitable<void> refresh_loop(Connection<kTls>& c, Run& run, int index, std::string token) {
  std::uint64_t chain = 0;
  while (Clock::now() < run.window_end) {
    const auto sent = Clock::now();
    Answer a = co_await c.post(refresh_body(token));
    const auto done = Clock::now();
    const bool counted = run.in_window(done);
    if (a.ec) {
      // The refresh may or may not have been applied; the retry below presents the same token
      // again, which the grace period must honour.
      ++run.whole.transport_errors;
      if (counted) ++run.window.transport_errors;
      run.sample_error("refresh: " + a.ec.message(), index, 0, "", chain, done);
      if (!co_await c.reconnect(run.window_end)) break;
      continue;
    }
    if (a.status == 200) {
      if (auto next = member(a.body, "refreshToken")) {
        token = std::move(*next);
        ++chain;
        ++run.chained_total;
        run.longest_chain = std::max(run.longest_chain, chain);
        ++run.whole.ok;
        if (counted) {
          ++run.window.ok;
          run.latencies_us.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(done - sent).count()));
        }
      } else {
        ++run.whole.bad_bodies;
        if (counted) ++run.window.bad_bodies;
        run.sample_error("refresh: 200 without refreshToken", index, 200, a.body, chain, done);
        a.status = 0;  // restart the chain below
      }
    } else {
      ++run.whole.statuses[a.status];
      if (counted) ++run.window.statuses[a.status];
      run.sample_error("refresh", index, a.status, a.body, chain, done);
    }
    if (!a.keep_alive && !co_await c.reconnect(run.window_end)) break;
    if (a.status != 200) {
      auto fresh = co_await login(c, run, index, run.window_end);
      if (!fresh) break;
      token = std::move(*fresh);
      chain = 0;
      ++run.relogins;
    }
  }
  c.close();
}

// password mode: PASSWORD logins in a loop. 503 (password queue full) and 429 (throttled) are
// counted apart from errors, and the connection pauses briefly before trying again.
template <bool kTls>
asio::awaitable<void> password_loop(Connection<kTls>& c, Run& run, int index) {
  const std::string body = password_body(run.options, run.options.offline);
  while (Clock::now() < run.window_end) {
    const auto sent = Clock::now();
    Answer a = co_await c.post(body);
    const auto done = Clock::now();
    const bool counted = run.in_window(done);
    if (a.ec) {
      ++run.whole.transport_errors;
      if (counted) ++run.window.transport_errors;
      run.sample_error("password: " + a.ec.message(), index, 0, "", 0, done);
      if (!co_await c.reconnect(run.window_end)) break;
      continue;
    }
    if (a.status == 200 && member(a.body, "accessToken") &&
        (!run.options.offline || member(a.body, "refreshToken"))) {
      ++run.whole.ok;
      if (counted) {
        ++run.window.ok;
        run.latencies_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(done - sent).count()));
      }
    } else if (a.status == 200) {
      ++run.whole.bad_bodies;
      if (counted) ++run.window.bad_bodies;
      run.sample_error("password: 200 without the expected tokens", index, 200, a.body, 0, done);
    } else {
      ++run.whole.statuses[a.status];
      if (counted) ++run.window.statuses[a.status];
      if (a.status != 503 && a.status != 429) {
        run.sample_error("password", index, a.status, a.body, 0, done);
      }
    }
    if (!a.keep_alive && !co_await c.reconnect(run.window_end)) break;
    if (a.status == 503 || a.status == 429) co_await pause(c.io(), kBusyPause);
  }
  c.close();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// CPU seconds (user + system, all threads) of another process, from /proc; -1 if unreadable.
double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After "pid (comm) ": state is field 3 of proc(5); utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

// Exceptions must not vanish in a detached coroutine: rethrown, they leave io_context::run().
void rethrow(const std::exception_ptr& e) {
  if (e) std::rethrow_exception(e);
}

template <bool kTls>
int run_http(const Options& o, const Target& target) {
  asio::io_context io(1);
  std::optional<asio::ssl::context> tls;
  if constexpr (kTls) {
    tls.emplace(asio::ssl::context::tls_client);
    tls->set_verify_mode(asio::ssl::verify_peer);
    if (o.ca_file.empty()) {
      tls->set_default_verify_paths();
    } else {
      tls->load_verify_file(o.ca_file);
    }
  }
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(target.host, target.port);
  const bool refresh = o.mode == "refresh";

  Run run{o};
  std::vector<std::unique_ptr<Connection<kTls>>> connections;
  std::vector<std::string> tokens(static_cast<std::size_t>(o.connections));
  for (int i = 0; i < o.connections; ++i) {
    connections.push_back(std::make_unique<Connection<kTls>>(
        io, tls ? &*tls : nullptr, target, endpoints, std::chrono::seconds(o.timeout_s)));
  }

  // Setup, not measured: connect every connection and, for refresh, give each its own family.
  // Logins queue up in the server's password pool, so allow time for all of them.
  const auto setup_deadline = Clock::now() + std::chrono::seconds(60 + o.connections);
  int ready = 0;
  for (int i = 0; i < o.connections; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto& c = *connections[static_cast<std::size_t>(i)];
          if (auto ec = co_await c.connect()) {
            std::cerr << "v4load: connection " << i << ": connect to " << o.url << ": "
                      << ec.message() << "\n";
            co_return;
          }
          if (refresh) {
            auto token = co_await login(c, run, i, setup_deadline);
            if (!token) co_return;
            tokens[static_cast<std::size_t>(i)] = std::move(*token);
          }
          ++ready;
        },
        rethrow);
  }
  io.run();
  if (ready != o.connections) {
    std::cerr << "v4load: only " << ready << " of " << o.connections
              << " connections could be set up\n";
    return 1;
  }

  io.restart();
  const auto start = Clock::now();
  run.window_start = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o.warmup_s));
  run.window_end = run.window_start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(o.duration_s));
  for (int i = 0; i < o.connections; ++i) {
    auto& c = *connections[static_cast<std::size_t>(i)];
    if (refresh) {
      asio::co_spawn(io, refresh_loop(c, run, i, std::move(tokens[static_cast<std::size_t>(i)])),
                     rethrow);
    } else {
      asio::co_spawn(io, password_loop(c, run, i), rethrow);
    }
  }
  // CPU used inside the window by this client (on a small machine, taken from the server) and
  // by the server: server CPU per request does not depend on how fast the client is.
  struct Marks {
    double client = 0, server = -1;
  } at_start, at_end;
  auto take = [&](Marks& m) {
    m.client = cpu_seconds();
    if (o.server_pid > 0) m.server = process_cpu_seconds(o.server_pid);
  };
  asio::steady_timer start_mark(io, run.window_start);
  start_mark.async_wait([&](error_code) { take(at_start); });
  asio::steady_timer end_mark(io, run.window_end);
  end_mark.async_wait([&](error_code) { take(at_end); });
  io.run();
  const double client_cpu = at_end.client - at_start.client;

  json::object out{
      {"mode", o.mode},
      {"url", o.url},
      {"path", target.path},
      {"transport", kTls ? "https" : "http"},
      {"connections", o.connections},
      {"duration_s", o.duration_s},
      {"warmup_s", o.warmup_s},
      {"rps", round3(static_cast<double>(run.window.ok) / o.duration_s)},
      {"latency_ms", to_json(percentiles_ms(std::move(run.latencies_us)))},
      {"window", run.window.to_json()},
      {"whole_run", run.whole.to_json()},
      {"error_samples", std::move(run.error_samples)},
      {"client_cpu_s", round3(client_cpu)},
  };
  if (at_start.server >= 0 && at_end.server >= 0) {
    const double server_cpu = at_end.server - at_start.server;
    out["server_cpu_s"] = round3(server_cpu);
    out["server_cpu_us_per_ok"] =
        run.window.ok ? std::round(server_cpu * 1e6 / static_cast<double>(run.window.ok)) : 0.0;
  }
  if (refresh) {
    out["relogins"] = run.relogins;
    out["chained_refreshes"] = run.chained_total;
    out["longest_chain"] = run.longest_chain;
  } else {
    out["scope"] = o.offline ? "OFFLINE_ACCESS" : "";
  }
  std::cout << json::serialize(out) << std::endl;
  return 0;
}

// argon2 mode: the raw rate of libsodium's argon2id at the server's parameters, one hash after
// another on each of --threads threads (the server's password pool has one worker per core).
int run_argon2(const Options& o) {
  if (sodium_init() < 0) {
    std::cerr << "v4load: sodium_init failed\n";
    return 1;
  }
  const std::string password = "bench-password-argon2";
  const auto ops = static_cast<unsigned long long>(o.iterations);
  const auto mem = static_cast<std::size_t>(o.memory_kib) * 1024;
  const auto start = Clock::now();
  const auto window_start = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o.warmup_s));
  const auto window_end = window_start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(o.duration_s));
  std::vector<std::vector<std::uint32_t>> latencies(static_cast<std::size_t>(o.threads));
  std::atomic<int> failures{0};
  std::string encoded_prefix;
  std::vector<std::thread> threads;
  const double cpu0 = cpu_seconds();
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&, i] {
      std::array<char, crypto_pwhash_STRBYTES> hash{};
      auto& mine = latencies[static_cast<std::size_t>(i)];
      while (Clock::now() < window_end) {
        const auto t0 = Clock::now();
        if (crypto_pwhash_str_alg(hash.data(), password.data(), password.size(), ops, mem,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0) {
          ++failures;
          return;
        }
        const auto t1 = Clock::now();
        if (t1 >= window_start && t1 < window_end) {
          mine.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
        }
        if (i == 0 && encoded_prefix.empty()) {
          // "$argon2id$v=19$m=19456,t=2,p=1": the parameters, to compare with the stored hash.
          std::string s(hash.data());
          encoded_prefix = s.substr(0, s.find('$', s.find("m=")));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double cpu = cpu_seconds() - cpu0;
  if (failures > 0) {
    std::cerr << "v4load: crypto_pwhash_str_alg failed (out of memory?)\n";
    return 1;
  }
  std::vector<std::uint32_t> all;
  json::array per_thread;
  for (const auto& l : latencies) {
    all.insert(all.end(), l.begin(), l.end());
    per_thread.push_back(round3(static_cast<double>(l.size()) / o.duration_s));
  }
  json::object out{
      {"mode", "argon2"},
      {"threads", o.threads},
      {"memory_kib", o.memory_kib},
      {"iterations", o.iterations},
      {"parallelism", 1},
      {"encoded_parameters", encoded_prefix},
      {"duration_s", o.duration_s},
      {"warmup_s", o.warmup_s},
      {"hashes", all.size()},
      {"rate", round3(static_cast<double>(all.size()) / o.duration_s)},
      {"per_thread_rate", per_thread},
      {"latency_ms", to_json(percentiles_ms(std::move(all)))},
      {"cpu_s", round3(cpu)},
  };
  std::cout << json::serialize(out) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Load generator for POST /rest/v4/oauth/token, and the raw argon2id rate."};
  app.add_option("mode", o.mode, "refresh | password | argon2")
      ->required()
      ->check(CLI::IsMember({"refresh", "password", "argon2"}));
  app.add_option("--url", o.url,
                 "server base URL, e.g. https://127.0.0.1:8443 (a path replaces "
                 "/rest/v4/oauth/token)");
  app.add_option("--ca", o.ca_file, "PEM file of the CA that signed the server's certificate");
  app.add_option("--user", o.user, "userName (the password comes from V4LOAD_PASSWORD)");
  app.add_option("-c,--connections", o.connections, "keep-alive connections")
      ->check(CLI::Range(1, 10000));
  app.add_option("-d,--duration", o.duration_s, "measured seconds")->check(CLI::Range(0.1, 3600.0));
  app.add_option("-w,--warmup", o.warmup_s, "seconds of load before the measurement")
      ->check(CLI::Range(0.0, 600.0));
  app.add_flag("--offline", o.offline,
               "password mode: send scope OFFLINE_ACCESS (each login creates a refresh family)");
  app.add_option("--timeout", o.timeout_s, "seconds allowed per connect or request")
      ->check(CLI::Range(1, 600));
  app.add_option("--threads", o.threads, "argon2 mode: hashing threads")->check(CLI::Range(1, 256));
  app.add_option("--memory-kib", o.memory_kib, "argon2 mode: m in KiB")
      ->check(CLI::Range(std::int64_t{8}, std::int64_t{4} * 1024 * 1024));
  app.add_option("--iterations", o.iterations, "argon2 mode: t")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
  app.add_option("--server-pid", o.server_pid,
                 "report this process's CPU time during the window (the server under test)");
  app.add_option("--error-samples", o.error_samples, "error answers to quote in the JSON")
      ->check(CLI::Range(0, 1000));
  CLI11_PARSE(app, argc, argv);

  try {
    if (o.mode == "argon2") return run_argon2(o);
    if (o.url.empty() || o.user.empty()) {
      std::cerr << "v4load: " << o.mode << " needs --url and --user\n";
      return 2;
    }
    const char* password = std::getenv("V4LOAD_PASSWORD");
    if (password == nullptr || *password == '\0') {
      std::cerr << "v4load: set V4LOAD_PASSWORD to the user's password\n";
      return 2;
    }
    o.password = password;
    const auto target = parse_target(o.url);
    if (!target) {
      std::cerr << "v4load: cannot parse --url " << o.url << "\n";
      return 2;
    }
    return target->tls ? run_http<true>(o, *target) : run_http<false>(o, *target);
  } catch (const std::exception& e) {
    std::cerr << "v4load: " << e.what() << "\n";
    return 1;
  }
}
