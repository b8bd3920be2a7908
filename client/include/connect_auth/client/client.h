// connect-auth client library: the client side of the LRS Connect API authentication, for C++
// integrators. Works against any server that speaks the API (connect-auth, or the hosted LRS
// Connect service): v3 API-key tokens, v4 user logins with rotating refresh tokens, and the data
// endpoints.
//
//   connect_auth::client::Client client({.base_url = "https://auth.example.com"},
//                                       connect_auth::client::ApiKey{api_id, api_secret});
//   auto accounts = client.accounts();
//   if (!accounts) std::cerr << accounts.error().message() << "\n";
//
// Thread-safe: one Client may be shared by any number of threads. No secret, token or password
// ever appears in an error message or in anything the library logs (it logs nothing).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace connect_auth::client {

// ------------------------------------------------------------------ errors

struct Error {
  enum class Kind : std::uint8_t {
    kNetwork,   // no answer: connect, TLS or transfer failure
    kTimeout,   // no answer within Options::timeout
    kHttp,      // an HTTP error status without an OAuth error body
    kOAuth,     // an OAuth error answer: `error` (and `description`) are set
    kProtocol,  // a 2xx answer we could not read (not the documented JSON)
    kUsage,     // the caller's mistake (bad option, missing credentials)
  };
  Kind kind = Kind::kNetwork;
  int http_status = 0;      // 0 when there was no HTTP answer
  std::string error;        // OAuth `error`, e.g. "invalid_client"; empty otherwise
  std::string description;  // OAuth `error_description`, or what went wrong; never a secret
  std::optional<std::chrono::seconds> retry_after;  // from Retry-After on 429/503

  // One line for people: "invalid_client (HTTP 401): client authentication failed".
  std::string message() const;
};

// std::expected-style result (std::expected is C++23): a value or an Error.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

struct Unit {};  // the value of a Result that only succeeds or fails

// ------------------------------------------------------------------ credentials

// v3: an API key, sent as the `user` header to POST /rest/v3/oauth/token.
struct ApiKey {
  std::string api_id;
  std::string api_secret;
};

// v4: a user login, POST /rest/v4/oauth/token with grantType PASSWORD and scope OFFLINE_ACCESS;
// the refresh token it yields is used for every renewal after that.
struct UserLogin {
  std::string user_name;
  std::string password;
};

// v4: only a stored refresh token (e.g. from an earlier run); no password to fall back on.
struct StoredRefreshToken {
  std::string refresh_token;
};

using Credentials = std::variant<ApiKey, UserLogin, StoredRefreshToken>;

// ------------------------------------------------------------------ options

struct AccessToken {
  std::string value;  // the bearer token
  std::chrono::system_clock::time_point expires_at;
  bool from_user_login = false;  // v4 (a user) rather than v3 (an API key)
};


struct RetryPolicy {
  int max_attempts = 4;  // per call, the first included; 1 disables retries
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  // Retried: network errors, timeouts, 5xx and 429 (after Retry-After when the server sends it).
  // Never an OAuth 4xx answer: a wrong secret does not get better by asking again. The delay
  // before retry n (0-based) is random in [0, min(max_backoff, initial_backoff * 2^n)] (full
  // jitter), and at least Retry-After. A Retry-After longer than max(4 * max_backoff, 1 s) is
  // not waited for: the call returns the 429/503 error at once, with retry_after set.
};

struct Options {
  std::string base_url = "https://127.0.0.1:8443";  // scheme://host[:port], no trailing path
  std::chrono::milliseconds timeout{10'000};         // per HTTP request, connect included
  bool verify_tls = true;    // false only for experiments; the CA file is the right fix
  std::string ca_file;       // PEM bundle to trust instead of the system's (development certs)
  std::chrono::seconds renew_before_expiry{60};  // a cached token is renewed this early
  RetryPolicy retry;
  std::string user_agent = "connect-auth-client/0.1";
  // Called with the new refresh token after every v4 login or refresh, before the new access
  // token is handed out: persist it here so a restarted process continues without a password.
  // Called under the library's lock: keep it short and do not call back into the Client. If it
  // throws, token() returns a kUsage error (the new refresh token is still kept in memory).
  std::function<void(const std::string& refresh_token)> on_refresh_token;
  // An access token kept from an earlier run (e.g. the CLI's token cache): used as the cached
  // token until it needs renewing, so a short-lived process does not log in every time.
  std::optional<AccessToken> cached_token;
};

// ------------------------------------------------------------------ values


struct Account {
  std::string account_guid;
  std::string company_name;
  std::string country_code;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
};

// ------------------------------------------------------------------ the client

class Client {
 public:
  Client(Options options, Credentials credentials);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // A valid access token: the cached one, or a new one when it is missing or within
  // renew_before_expiry of its end. Single flight: however many threads ask at once, at most one
  // token request is in flight; the others wait for its result (success or error).
  Result<AccessToken> token();
  // Drops the cached access token (e.g. after a 401 from a resource); the next token() fetches.
  void invalidate_token();
  // The current v4 refresh token, if any (after a user login or a refresh).
  std::optional<std::string> refresh_token() const;

  // GET /rest/v3/accounts with the bearer token. A 401 invalidates the token and retries once.
  Result<std::vector<Account>> accounts();
  // Any request with `Authorization: Bearer` attached, e.g. call("GET", "/rest/v3/accounts").
  // `path` is appended to base_url. Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) retry as
  // the RetryPolicy says; others (POST, PATCH) only after 429 or 503, never after a timeout or
  // another 5xx (they may have been processed). A 401 invalidates the token and retries once
  // with a new one. A non-2xx answer is returned as a value, not an error.
  Result<HttpResponse> call(std::string_view method, std::string_view path,
                            std::string_view body = {}, std::string_view content_type = {});

  // The Authorization header value for use with another HTTP stack: "Bearer <token>".
  Result<std::string> authorization_header();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace connect_auth::client
