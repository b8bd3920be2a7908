#include "internal.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <limits>

namespace connect_auth::client::detail {
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// ------------------------------------------------------------------ retries

milliseconds backoff_ceiling(const RetryPolicy& policy, int retry_index) {
  const std::int64_t max = std::max<std::int64_t>(0, policy.max_backoff.count());
  std::int64_t delay = std::max<std::int64_t>(0, policy.initial_backoff.count());
  for (int i = 0; i < retry_index && delay < max; ++i) delay *= 2;  // stops before overflowing
  return milliseconds(std::min(delay, max));
}

milliseconds backoff_delay(const RetryPolicy& policy, int retry_index, std::uint64_t random) {
  const auto ceiling = static_cast<std::uint64_t>(backoff_ceiling(policy, retry_index).count());
  return milliseconds(static_cast<std::int64_t>(random % (ceiling + 1)));
}

milliseconds retry_after_limit(const RetryPolicy& policy) {
  return std::max<milliseconds>(policy.max_backoff * 4, seconds(1));
}

std::optional<seconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;  // > 30 years: not a delay
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 0) return std::nullopt;
  return seconds(n);
}

bool is_retryable_status(int status) { return status == 429 || (status >= 500 && status <= 599); }

bool is_retryable(const Error& error) {
  switch (error.kind) {
    case Error::Kind::kNetwork:
    case Error::Kind::kTimeout: return true;
    case Error::Kind::kHttp:
    case Error::Kind::kOAuth:
      // An OAuth error on a 503 (e.g. "temporarily_unavailable") is still the server's trouble,
      // not the request's; a 4xx OAuth error (other than 429) never gets better.
      return is_retryable_status(error.http_status);
    default: return false;
  }
}

// ------------------------------------------------------------------ answers

namespace {

Error protocol_error(int status, std::string what) {
  Error e;
  e.kind = Error::Kind::kProtocol;
  e.http_status = status;
  e.description = std::move(what);
  return e;
}

std::optional<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

const json::string* string_member(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr ? v->if_string() : nullptr;
}

// A lifetime in seconds, as the documented string ("1200") or as a JSON number.
std::optional<seconds> lifetime_member(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return std::nullopt;
  std::int64_t n = -1;
  if (const auto* s = v->if_string()) {
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec != std::errc() || end != s->data() + s->size()) return std::nullopt;
  } else if (const auto* i = v->if_int64()) {
    n = *i;
  } else if (const auto* u = v->if_uint64()) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
      return std::nullopt;
    }
    n = static_cast<std::int64_t>(*u);
  } else if (const auto* d = v->if_double()) {
    if (!(*d >= 0 && *d < 1e9)) return std::nullopt;
    n = static_cast<std::int64_t>(*d);
  }
  // Ten years is more than any server means; beyond it the arithmetic is not worth trusting.
  if (n <= 0 || n > 10LL * 366 * 86'400) return std::nullopt;
  return seconds(n);
}

bool is_bearer(const json::object& o, std::string_view name) {
  const auto* type = string_member(o, name);
  if (type == nullptr) return true;  // absent: the bearer type is the only one there is
  std::string lower(type->begin(), type->end());
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "bearer";
}

Result<TokenAnswer> parse_token_answer(std::string_view body, int status, const char* access,
                                       const char* expires, const char* type, const char* refresh) {
  auto object = parse_object(body);
  if (!object) return protocol_error(status, "the token answer is not a JSON object");
  const auto* token = string_member(*object, access);
  if (token == nullptr || token->empty()) {
    return protocol_error(status, std::string("the token answer has no ") + access);
  }
  auto lifetime = lifetime_member(*object, expires);
  if (!lifetime) {
    return protocol_error(status, std::string("the token answer has no valid ") + expires);
  }
  if (!is_bearer(*object, type)) {
    return protocol_error(status, "the token answer is not a Bearer token");
  }
  TokenAnswer answer;
  answer.access_token.assign(token->begin(), token->end());
  answer.expires_in = *lifetime;
  if (refresh != nullptr) {
    if (const auto* r = string_member(*object, refresh); r != nullptr && !r->empty()) {
      answer.refresh_token.emplace(r->begin(), r->end());
    }
  }
  // The parsed tree held the token too; overwrite it before it is freed.
  for (auto& [key, value] : *object) {
    if (auto* s = value.if_string()) std::fill(s->begin(), s->end(), '\0');
  }
  return answer;
}

}  // namespace

Result<TokenAnswer> parse_v3_answer(std::string_view body, int status) {
  return parse_token_answer(body, status, "access_token", "expires_in", "token_type", nullptr);
}

Result<TokenAnswer> parse_v4_answer(std::string_view body, int status) {
  return parse_token_answer(body, status, "accessToken", "expiresIn", "tokenType", "refreshToken");
}

Result<std::vector<Account>> parse_accounts(std::string_view body, int status) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_array()) return protocol_error(status, "the accounts answer is not a JSON array");
  std::vector<Account> accounts;
  for (const auto& item : v.as_array()) {
    const auto* o = item.if_object();
    const json::string* guid = o != nullptr ? string_member(*o, "accountGuid") : nullptr;
    if (guid == nullptr) return protocol_error(status, "an account has no accountGuid");
    Account a;
    a.account_guid.assign(guid->begin(), guid->end());
    if (const auto* s = string_member(*o, "companyName"))
      a.company_name.assign(s->begin(), s->end());
    if (const auto* s = string_member(*o, "countryCode"))
      a.country_code.assign(s->begin(), s->end());
    accounts.push_back(std::move(a));
  }
  return accounts;
}

std::optional<std::string_view> find_header(const HttpResponse& response, std::string_view name) {
  for (const auto& [n, value] : response.headers) {
    if (n == name) return std::string_view(value);
  }
  return std::nullopt;
}

namespace {

// Printable ASCII only, at most 300 characters: a description goes into log lines.
std::string clean_text(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 300)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// error="…" from a WWW-Authenticate: Bearer challenge (RFC 6750 §3).
std::optional<std::string> challenge_error(std::string_view header) {
  const auto at = header.find("error=\"");
  if (at == std::string_view::npos) return std::nullopt;
  const auto start = at + 7;
  const auto end = header.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  return clean_text(header.substr(start, end - start));
}

}  // namespace

Error error_from_response(const HttpResponse& response) {
  Error e;
  e.kind = Error::Kind::kHttp;
  e.http_status = response.status;
  if (auto object = parse_object(response.body)) {
    if (const auto* code = string_member(*object, "error"); code != nullptr && !code->empty()) {
      e.kind = Error::Kind::kOAuth;
      e.error = clean_text(*code);
      if (const auto* d = string_member(*object, "error_description")) {
        e.description = clean_text(*d);
      }
    }
  }
  if (e.kind == Error::Kind::kHttp) {
    if (auto challenge = find_header(response, "www-authenticate")) {
      if (auto code = challenge_error(*challenge)) {
        e.kind = Error::Kind::kOAuth;
        e.error = std::move(*code);
      }
    }
  }
  if (e.kind == Error::Kind::kHttp) e.description = "unexpected HTTP status";
  if (response.status == 429 || response.status == 503) {
    if (auto value = find_header(response, "retry-after"))
      e.retry_after = parse_retry_after(*value);
  }
  return e;
}

// ------------------------------------------------------------------ requests

std::string v3_user_header_value(std::string_view api_id, std::string_view api_secret) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain;
  plain.reserve(api_id.size() + 1 + api_secret.size());
  plain.append(api_id).append(1, ':').append(api_secret);
  std::string out;
  out.reserve((plain.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= plain.size(); i += 3) {
    const std::uint32_t n = (static_cast<std::uint8_t>(plain[i]) << 16) |
                            (static_cast<std::uint8_t>(plain[i + 1]) << 8) |
                            static_cast<std::uint8_t>(plain[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = plain.size() - i; rest > 0) {
    std::uint32_t n = static_cast<std::uint8_t>(plain[i]) << 16;
    if (rest == 2) n |= static_cast<std::uint8_t>(plain[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  wipe(plain);
  return out;
}

namespace {

std::string serialize_and_wipe(json::object& body) {
  std::string out = json::serialize(body);
  for (auto& [key, value] : body) {
    if (auto* s = value.if_string()) std::fill(s->begin(), s->end(), '\0');
  }
  return out;
}

}  // namespace

std::string v4_password_body(std::string_view user_name, std::string_view password) {
  json::object body;
  body["scope"] = "OFFLINE_ACCESS";
  body["userName"] = user_name;
  body["password"] = password;
  body["grantType"] = "PASSWORD";
  return serialize_and_wipe(body);
}

std::string v4_refresh_body(std::string_view refresh_token) {
  json::object body;
  body["scope"] = "OFFLINE_ACCESS";
  body["refreshToken"] = refresh_token;
  body["grantType"] = "REFRESH_TOKEN";
  return serialize_and_wipe(body);
}

std::chrono::system_clock::time_point renew_time(std::chrono::system_clock::time_point fetched,
                                                 std::chrono::system_clock::time_point expires,
                                                 std::chrono::seconds renew_before_expiry) {
  const auto lifetime = std::max(expires - fetched, std::chrono::system_clock::duration::zero());
  const auto margin = std::clamp<std::chrono::system_clock::duration>(
      renew_before_expiry, std::chrono::system_clock::duration::zero(), lifetime / 2);
  return expires - margin;
}

void wipe(std::string& secret) noexcept {
  // volatile: the stores must happen even though the memory is about to be freed.
  volatile char* p = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) p[i] = '\0';
  secret.clear();
}

}  // namespace connect_auth::client::detail
