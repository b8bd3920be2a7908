// The pieces of the client that need no network: backoff arithmetic, header and JSON answer
// parsing, request bodies. Private to the library; the unit tests include it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connect_auth/client/client.h"

namespace connect_auth::client::detail {

// ------------------------------------------------------------------ retries

// The upper bound of the n-th retry's delay (n = 0 for the first retry):
// min(max_backoff, initial_backoff * 2^n), without overflow for any n.
std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int retry_index);
// Full jitter: a delay uniform in [0, backoff_ceiling], picked with `random` (any 64-bit value).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_index,
                                        std::uint64_t random);
// The longest Retry-After the library waits for inside a call: 4 × max_backoff, at least 1 s
// (20 s with the defaults). A longer one ends the call at once with the 429/503 error and its
// retry_after set, so the caller decides instead of blocking a thread for minutes.
std::chrono::milliseconds retry_after_limit(const RetryPolicy& policy);
// Retry-After in its delta-seconds form (RFC 9110 §10.2.3). The HTTP-date form, negative or
// malformed values give nullopt (the ordinary backoff applies then).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);
// Worth asking again: no answer at all (kNetwork, kTimeout), 5xx, 429.
bool is_retryable(const Error& error);
bool is_retryable_status(int status);

// ------------------------------------------------------------------ answers

struct TokenAnswer {
  std::string access_token;
  std::chrono::seconds expires_in{0};
  std::optional<std::string> refresh_token;  // v4 with OFFLINE_ACCESS
};

// {"expires_in":"1200","token_type":"Bearer","access_token":"…"}; expires_in may be a string or
// a number. Anything else is a kProtocol error (which never quotes the body: it holds a token).
Result<TokenAnswer> parse_v3_answer(std::string_view body, int status = 200);
// {"tokenType":"Bearer","expiresIn":"3600","accessToken":"…","scope":…,"refreshToken":"…"}.
Result<TokenAnswer> parse_v4_answer(std::string_view body, int status = 200);
// [{"accountGuid":…,"companyName":…,"countryCode":…}, …]; unknown members are ignored.
Result<std::vector<Account>> parse_accounts(std::string_view body, int status = 200);

// The Error for a non-2xx answer: kOAuth when the body is an RFC 6749 §5.2 error object (or
// WWW-Authenticate carries error="…"), kHttp otherwise; retry_after from Retry-After on 429/503.
Error error_from_response(const HttpResponse& response);
// The value of a header (names are lower-case in HttpResponse), if present.
std::optional<std::string_view> find_header(const HttpResponse& response, std::string_view name);

// ------------------------------------------------------------------ requests

// base64(api_id:api_secret), the value of the v3 `user` header.
std::string v3_user_header_value(std::string_view api_id, std::string_view api_secret);
// The v4 bodies, serialized by Boost.JSON (user input is escaped, never concatenated).
std::string v4_password_body(std::string_view user_name, std::string_view password);
std::string v4_refresh_body(std::string_view refresh_token);

// When a token fetched now should be renewed: renew_before_expiry before its end, but never
// before half its lifetime has passed (a token shorter than the margin is still used).
std::chrono::system_clock::time_point renew_time(std::chrono::system_clock::time_point fetched,
                                                 std::chrono::system_clock::time_point expires,
                                                 std::chrono::seconds renew_before_expiry);

// Overwrites a string's bytes before it is freed (secrets copied by the library).
void wipe(std::string& secret) noexcept;

}  // namespace connect_auth::client::detail
