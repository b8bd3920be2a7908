#include "connect_auth/client/client.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "http.h"
#include "internal.h"

namespace connect_auth::client {

using detail::HttpRequest;
using std::chrono::system_clock;

std::string Error::message() const {
  std::string out;
  const std::string status = http_status != 0 ? "HTTP " + std::to_string(http_status) : "";
  switch (kind) {
    case Kind::kNetwork: out = "network error"; break;
    case Kind::kTimeout: out = "timeout"; break;
    case Kind::kHttp: out = status.empty() ? "HTTP error" : status; break;
    case Kind::kOAuth:
      out = error.empty() ? "OAuth error" : error;
      if (!status.empty()) out += " (" + status + ")";
      break;
    case Kind::kProtocol:
      out = "unreadable answer";
      if (!status.empty()) out += " (" + status + ")";
      break;
    case Kind::kUsage: out = "usage error"; break;
  }
  if (!description.empty()) out += ": " + description;
  if (retry_after) out += " (retry after " + std::to_string(retry_after->count()) + " s)";
  return out;
}

namespace {

Error usage_error(std::string what) {
  Error e;
  e.kind = Error::Kind::kUsage;
  e.description = std::move(what);
  return e;
}

// scheme://host[:port] with an optional trailing '/'. User info is refused: it would be a
// credential inside a URL, which libcurl and proxies may echo.
std::optional<std::string> checked_base_url(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  const bool http = url.starts_with("http://");
  if (!http && !url.starts_with("https://")) return std::nullopt;
  const std::string_view authority = std::string_view(url).substr(http ? 7 : 8);
  if (authority.empty() || authority.find_first_of("@?# ") != std::string_view::npos) {
    return std::nullopt;
  }
  return url;
}

// Removes every occurrence of a secret from text (server descriptions may echo a request).
void redact(std::string& text, std::string_view secret) {
  if (secret.size() < 6) return;  // too short to be a credential; would mangle ordinary words
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
}

std::uint64_t random_u64() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine();
}

}  // namespace

class Client::Impl {
 public:
  Impl(Options options, Credentials credentials)
      : options_(std::move(options)), credentials_(std::move(credentials)), http_(options_) {
    if (auto url = checked_base_url(options_.base_url)) {
      base_url_ = std::move(*url);
    } else {
      setup_error_ = usage_error("base_url must be http(s)://host[:port] without user info");
    }
    if (options_.timeout.count() <= 0) setup_error_ = usage_error("timeout must be positive");
    if (options_.retry.max_attempts < 1) options_.retry.max_attempts = 1;
    if (const auto* key = std::get_if<ApiKey>(&credentials_)) {
      if (key->api_id.empty() || key->api_secret.empty()) {
        setup_error_ = usage_error("the API key needs an id and a secret");
      } else {
        user_header_ = "user: " + detail::v3_user_header_value(key->api_id, key->api_secret);
      }
    } else if (const auto* login = std::get_if<UserLogin>(&credentials_)) {
      if (login->user_name.empty()) setup_error_ = usage_error("the user login needs a user name");
    } else if (auto* stored = std::get_if<StoredRefreshToken>(&credentials_)) {
      if (stored->refresh_token.empty()) {
        setup_error_ = usage_error("the stored refresh token is empty");
      } else {
        refresh_token_ = stored->refresh_token;
      }
    }
    if (options_.cached_token) {
      // Adopted only while it has life left and fits the credentials (a v3 token for an API
      // key, a v4 one for a user); its issue time is unknown, so the half-life clamp of the
      // margin counts from now.
      AccessToken& cached = *options_.cached_token;
      const bool user = !std::holds_alternative<ApiKey>(credentials_);
      const auto now = system_clock::now();
      if (!cached.value.empty() && cached.from_user_login == user && now < cached.expires_at) {
        renew_at_ = detail::renew_time(now, cached.expires_at, options_.renew_before_expiry);
        token_ = std::move(cached);
      } else {
        detail::wipe(cached.value);
      }
      options_.cached_token.reset();
    }
  }

  ~Impl() {
    if (auto* key = std::get_if<ApiKey>(&credentials_)) detail::wipe(key->api_secret);
    if (auto* login = std::get_if<UserLogin>(&credentials_)) detail::wipe(login->password);
    if (auto* stored = std::get_if<StoredRefreshToken>(&credentials_)) {
      detail::wipe(stored->refresh_token);
    }
    detail::wipe(user_header_);
    if (token_) detail::wipe(token_->value);
    if (refresh_token_) detail::wipe(*refresh_token_);
  }

  Result<AccessToken> token() {
    if (setup_error_) return *setup_error_;
    std::unique_lock lock(mutex_);
    for (;;) {
      if (token_ && system_clock::now() < renew_at_) return *token_;
      if (!flight_) break;
      // Each waiter keeps its own flight: the outcome it reads is that flight's, even when the
      // next flight has already started by the time it wakes.
      const std::shared_ptr<Flight> awaited = flight_;
      flight_done_.wait(lock, [&] { return awaited->done; });
      if (awaited->outcome) return *awaited->outcome;
    }

    // This thread fetches; the others wait on flight_done_ for its result. The flight ends (and
    // the waiters wake) however this function is left, an exception included.
    auto flight = std::make_shared<Flight>();
    flight_ = flight;
    struct EndFlight {
      Impl* self;
      Flight* flight;
      ~EndFlight() {
        if (!flight->outcome) {
          flight->outcome.emplace(
              Error{Error::Kind::kNetwork, 0, "", "the token request failed", std::nullopt});
        }
        flight->done = true;
        self->flight_.reset();
        self->flight_done_.notify_all();
      }
    } end_flight{this, flight.get()};
    std::string refresh = refresh_token_.value_or(std::string());
    lock.unlock();
    Result<Fetched> fetched = fetch_guarded(refresh);
    detail::wipe(refresh);
    lock.lock();

    Result<AccessToken> result = finish_flight(std::move(fetched));
    flight->outcome.emplace(result);
    return result;
  }

  void invalidate_token() {
    std::lock_guard lock(mutex_);
    drop_token();
  }

  std::optional<std::string> refresh_token() const {
    std::lock_guard lock(mutex_);
    return refresh_token_;
  }

  Result<HttpResponse> call(std::string_view method, std::string_view path, std::string_view body,
                            std::string_view content_type) {
    if (setup_error_) return *setup_error_;
    if (method.empty() || method.find_first_of(" \r\n") != std::string_view::npos) {
      return usage_error("invalid HTTP method");
    }
    if (!path.starts_with('/') || path.find_first_of(" \r\n") != std::string_view::npos) {
      return usage_error("the path must start with '/' and hold no spaces or line breaks");
    }
    if (content_type.find_first_of("\r\n") != std::string_view::npos) {
      return usage_error("invalid content type");
    }
    // A 401 with a token that was valid a moment ago: the token was revoked or the key
    // regenerated; one new token is worth a try, more would only hammer the server.
    for (int round = 0;; ++round) {
      auto access = token();
      if (!access) return std::move(access).error();
      HttpRequest request;
      request.method = method;
      request.url = base_url_ + std::string(path);
      request.headers.push_back("Authorization: Bearer " + access->value);
      request.headers.emplace_back("Accept: application/json");
      if (!content_type.empty())
        request.headers.push_back("Content-Type: " + std::string(content_type));
      request.body = body;
      request.has_body = !body.empty();
      // Token requests are safe to repeat (a refresh retried inside the grace period is
      // answered normally); a caller's request is only if its method is idempotent.
      const bool replayable = method == "GET" || method == "HEAD" || method == "PUT" ||
                              method == "DELETE" || method == "OPTIONS";
      auto response = exchange(request, replayable);
      for (auto& h : request.headers) detail::wipe(h);
      if (!response) {
        Error e = std::move(response).error();
        redact_secrets(e, access->value);
        detail::wipe(access->value);
        return e;
      }
      if (response->status == 401 && round == 0) {
        invalidate_if_current(access->value);
        detail::wipe(access->value);
        continue;
      }
      detail::wipe(access->value);
      return response;
    }
  }

  Result<std::vector<Account>> accounts() {
    auto response = call("GET", "/rest/v3/accounts", {}, {});
    if (!response) return std::move(response).error();
    if (response->status < 200 || response->status > 299) {
      Error e = detail::error_from_response(*response);
      redact_secrets(e, {});
      return e;
    }
    return detail::parse_accounts(response->body, response->status);
  }

 private:
  struct Fetched {
    detail::TokenAnswer answer;
    system_clock::time_point requested_at;
    bool from_user_login = false;
    bool refresh_rejected = false;  // the refresh token got invalid_grant (a fallback followed)
  };

  void drop_token() {
    if (token_) detail::wipe(token_->value);
    token_.reset();
  }

  void invalidate_if_current(const std::string& used) {
    std::lock_guard lock(mutex_);
    // Another thread may have renewed it already; its new token must not be thrown away.
    if (token_ && token_->value == used) drop_token();
  }

  // One request with the retry policy: network errors, 5xx and 429 are tried again after a
  // full-jitter backoff (at least Retry-After when the server sends one). The last answer, of
  // any status, is returned as a value; no answer at all as the error. A request that must not
  // run twice (`replayable` false: a caller's POST or PATCH) is retried only after 429 or 503,
  // the answers that say it was not processed; after a timeout or another 5xx it may have been.
  Result<HttpResponse> exchange(const HttpRequest& request, bool replayable = true) {
    const RetryPolicy& policy = options_.retry;
    for (int attempt = 0;; ++attempt) {
      HttpRequest copy = request;  // perform() wipes the header lines it sent
      auto result = http_.perform(copy);
      Error failure;
      if (!result) {
        if (!replayable) return result;
        failure = result.error();
      } else if (detail::is_retryable_status(result->status)) {
        if (!replayable && result->status != 429 && result->status != 503) return result;
        failure = detail::error_from_response(*result);
      } else {
        return result;
      }
      if (!detail::is_retryable(failure) || attempt + 1 >= policy.max_attempts) return result;
      auto delay = detail::backoff_delay(policy, attempt, random_u64());
      if (failure.retry_after) {
        if (*failure.retry_after > detail::retry_after_limit(policy)) return result;
        delay = std::max<std::chrono::milliseconds>(delay, *failure.retry_after);
      }
      std::this_thread::sleep_for(delay);
    }
  }

  // A token request: a 2xx answer parsed by `parse`, anything else as a typed error.
  template <class Parse>
  Result<detail::TokenAnswer> token_request(HttpRequest& request, Parse parse) {
    auto response = exchange(request);
    for (auto& h : request.headers) detail::wipe(h);
    if (!response) return std::move(response).error();
    if (response->status < 200 || response->status > 299) {
      return detail::error_from_response(*response);
    }
    auto answer = parse(response->body, response->status);
    detail::wipe(response->body);
    return answer;
  }

  Result<detail::TokenAnswer> v3_grant() {
    HttpRequest request;
    request.method = "POST";
    request.url = base_url_ + "/rest/v3/oauth/token?grant_type=client_credentials";
    request.headers.push_back(user_header_);
    request.headers.emplace_back("Accept: application/json");
    return token_request(request, [](std::string_view body, int status) {
      return detail::parse_v3_answer(body, status);
    });
  }

  Result<detail::TokenAnswer> v4_grant(std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.url = base_url_ + "/rest/v4/oauth/token";
    request.headers.emplace_back("Content-Type: application/json");
    request.headers.emplace_back("Accept: application/json");
    request.body = body;
    request.has_body = true;
    auto answer = token_request(request, [](std::string_view text, int status) {
      return detail::parse_v4_answer(text, status);
    });
    detail::wipe(body);
    return answer;
  }

  // Runs without the lock, in the one thread that owns the flight.
  Result<Fetched> fetch(const std::string& refresh) {
    Fetched fetched;
    fetched.requested_at = system_clock::now();  // the lifetime counts from before the request
    if (std::holds_alternative<ApiKey>(credentials_)) {
      auto answer = v3_grant();
      if (!answer) return std::move(answer).error();
      fetched.answer = std::move(*answer);
      return fetched;
    }
    fetched.from_user_login = true;
    const auto* login = std::get_if<UserLogin>(&credentials_);
    if (!refresh.empty()) {
      auto answer = v4_grant(detail::v4_refresh_body(refresh));
      if (answer) {
        fetched.answer = std::move(*answer);
        return fetched;
      }
      const Error& e = answer.error();
      // The refresh token is dead (expired, revoked, or its family was): a password login is
      // the only way on, and it is tried once; without a password the caller must log in again.
      if (login == nullptr || e.kind != Error::Kind::kOAuth || e.error != "invalid_grant") {
        return std::move(answer).error();
      }
      fetched.refresh_rejected = true;
      refresh_rejected_ = true;
      fetched.requested_at = system_clock::now();
    } else if (login == nullptr) {
      return usage_error("no refresh token and no password to log in with");
    }
    auto answer = v4_grant(detail::v4_password_body(login->user_name, login->password));
    if (!answer) {
      Error e = std::move(answer).error();
      if (fetched.refresh_rejected) e.description += " (after the refresh token was rejected)";
      return e;
    }
    fetched.answer = std::move(*answer);
    return fetched;
  }

  Result<Fetched> fetch_guarded(const std::string& refresh) {
    try {
      return fetch(refresh);
    } catch (...) {  // bad_alloc and the like: the flight still ends with an answer
      Error e;
      e.kind = Error::Kind::kNetwork;
      e.description = "internal failure while fetching a token";
      return e;
    }
  }

  // Under the lock: stores the flight's outcome, persists a new refresh token first.
  Result<AccessToken> finish_flight(Result<Fetched> fetched) {
    if (refresh_rejected_) {
      // Dead for good: the next call goes straight to the password instead of asking again.
      refresh_rejected_ = false;
      if (refresh_token_) detail::wipe(*refresh_token_);
      refresh_token_.reset();
    }
    if (!fetched) {
      Error e = std::move(fetched).error();
      redact_secrets(e, {});
      // A renewal that failed for the server's or the network's sake: the cached token is still
      // good until it expires, and the next token() tries again. A 4xx (a deleted key, a
      // revoked login) is passed on: that token is about to be refused anyway.
      const auto now = system_clock::now();
      if (token_ && detail::is_retryable(e) && now < token_->expires_at) {
        // Not again at once: every call would otherwise start a flight (and sleep through its
        // backoff) against a server that asked for a pause. Retry-After, else max_backoff.
        const auto pause = std::max<std::chrono::milliseconds>(
            e.retry_after ? std::chrono::milliseconds(*e.retry_after) : options_.retry.max_backoff,
            std::chrono::seconds(1));
        renew_at_ = std::min(token_->expires_at,
                             now + std::chrono::duration_cast<system_clock::duration>(pause));
        return *token_;
      }
      return e;
    }
    Fetched& f = *fetched;
    if (f.answer.refresh_token) {
      // Rotation: the presented token is retired by the server; the new one replaces it here
      // and is handed to the caller's store before anyone sees the new access token.
      if (refresh_token_) detail::wipe(*refresh_token_);
      refresh_token_ = std::move(f.answer.refresh_token);
      if (options_.on_refresh_token) {
        try {
          options_.on_refresh_token(*refresh_token_);
        } catch (...) {
          drop_token();
          detail::wipe(f.answer.access_token);
          return usage_error("on_refresh_token threw; the new refresh token is kept in memory");
        }
      }
    }
    drop_token();
    AccessToken token;
    token.value = std::move(f.answer.access_token);
    token.expires_at = f.requested_at + f.answer.expires_in;
    token.from_user_login = f.from_user_login;
    renew_at_ = detail::renew_time(f.requested_at, token.expires_at, options_.renew_before_expiry);
    token_ = token;
    return token;
  }

  // Server descriptions may echo what was sent; nothing the library holds leaves in an Error.
  void redact_secrets(Error& e, std::string_view extra) const {
    std::vector<std::string_view> secrets{extra};
    if (const auto* key = std::get_if<ApiKey>(&credentials_)) {
      secrets.push_back(key->api_secret);
      secrets.push_back(
          std::string_view(user_header_).substr(std::min<std::size_t>(6, user_header_.size())));
    } else if (const auto* login = std::get_if<UserLogin>(&credentials_)) {
      secrets.push_back(login->password);
    } else if (const auto* stored = std::get_if<StoredRefreshToken>(&credentials_)) {
      secrets.push_back(stored->refresh_token);
    }
    for (auto s : secrets) {
      redact(e.description, s);
      redact(e.error, s);
    }
  }

  Options options_;
  Credentials credentials_;
  detail::HttpTransport http_;
  std::string base_url_;
  std::string user_header_;  // "user: base64(id:secret)", built once
  std::optional<Error> setup_error_;

  mutable std::mutex mutex_;
  // One token request in progress and what it came to; shared with the threads waiting for it.
  struct Flight {
    bool done = false;                           // guarded by mutex_
    std::optional<Result<AccessToken>> outcome;  // set before done
  };
  std::condition_variable flight_done_;
  std::shared_ptr<Flight> flight_;  // the flight in progress, if any
  std::optional<AccessToken> token_;
  system_clock::time_point renew_at_;
  std::optional<std::string> refresh_token_;
  // Set by the flight's owner when its refresh token got invalid_grant and a password login
  // followed; read and cleared by the same thread under the lock.
  bool refresh_rejected_ = false;
};

Client::Client(Options options, Credentials credentials)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(credentials))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

namespace {
Error moved_from() { return usage_error("this Client was moved from"); }
}  // namespace

Result<AccessToken> Client::token() { return impl_ ? impl_->token() : moved_from(); }
void Client::invalidate_token() {
  if (impl_) impl_->invalidate_token();
}
std::optional<std::string> Client::refresh_token() const {
  return impl_ ? impl_->refresh_token() : std::nullopt;
}
Result<std::vector<Account>> Client::accounts() { return impl_ ? impl_->accounts() : moved_from(); }
Result<HttpResponse> Client::call(std::string_view method, std::string_view path,
                                  std::string_view body, std::string_view content_type) {
  if (!impl_) return moved_from();
  return impl_->call(method, path, body, content_type);
}
Result<std::string> Client::authorization_header() {
  if (!impl_) return moved_from();
  auto access = impl_->token();
  if (!access) return std::move(access).error();
  return "Bearer " + access->value;
}

}  // namespace connect_auth::client
