// Claim readers shared by every token codec (v3 here in verify_jwt, v4 in domain/), so the
// typing rules and the time-window arithmetic exist once (RFC 7519 §4.1).
#pragma once

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace connect_auth::tokens {

// A token payload parsed into a stack buffer, so typical claims need no heap. Not copyable or
// movable: the parsed value points into the buffer.
class ClaimsObject {
 public:
  explicit ClaimsObject(std::string_view payload_json);
  ClaimsObject(const ClaimsObject&) = delete;
  ClaimsObject& operator=(const ClaimsObject&) = delete;

  // nullptr unless the payload is a JSON object (duplicate names: the parser keeps the last).
  const boost::json::object* object() const { return value_.if_object(); }

 private:
  std::array<unsigned char, 2048> stack_;
  boost::json::monotonic_resource memory_;
  boost::json::value value_;
};

// An integral NumericDate or counter: int64 or a uint64 that fits. Doubles (1.5, 1e9), strings,
// booleans and absent claims are nullopt.
std::optional<std::int64_t> integer_claim(const boost::json::object& claims, std::string_view name);
// Copies a string claim into `out`; false if it is absent or not a string.
bool string_claim(const boost::json::object& claims, std::string_view name, std::string& out);

struct TimeClaims {
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

// exp and iat required and integral, nbf optional but integral when present, then the window:
// refused on or after exp (RFC 7519 §4.1.4), before nbf, or with iat in the future, each with
// `leeway_seconds` of clock skew. Every failure is kInvalidToken.
Result<TimeClaims> check_time_claims(const boost::json::object& claims, std::int64_t now,
                                     std::int64_t leeway_seconds);

}  // namespace connect_auth::tokens
