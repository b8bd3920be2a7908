#include "tokens/jwt_claims.h"

#include <boost/json/parse.hpp>
#include <cstdint>

namespace connect_auth::tokens {
namespace {

Error invalid_token(std::string description) {
  return make_error(ErrorCode::kInvalidToken, std::move(description));
}

}  // namespace

ClaimsObject::ClaimsObject(std::string_view payload_json)
    : memory_(stack_.data(), stack_.size()), value_(boost::json::storage_ptr(&memory_)) {
  boost::system::error_code ec;
  // Assignment keeps value_'s allocator, so the parse result lands in the stack buffer.
  value_ = boost::json::parse(payload_json, ec, value_.storage());
  if (ec) value_ = nullptr;
}

std::optional<std::int64_t> integer_claim(const boost::json::object& claims,
                                          std::string_view name) {
  const boost::json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64()) {
    if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;  // doubles, strings, booleans are not NumericDates here
}

bool string_claim(const boost::json::object& claims, std::string_view name, std::string& out) {
  const boost::json::value* v = claims.if_contains(name);
  if (v == nullptr || !v->is_string()) return false;
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

Result<TimeClaims> check_time_claims(const boost::json::object& claims, std::int64_t now,
                                     std::int64_t leeway_seconds) {
  auto exp = integer_claim(claims, "exp");
  auto iat = integer_claim(claims, "iat");
  if (!exp || !iat) return invalid_token("token claims are malformed");
  if (claims.contains("nbf")) {
    auto nbf = integer_claim(claims, "nbf");
    if (!nbf) return invalid_token("token claims are malformed");
    if (now + leeway_seconds < *nbf) return invalid_token("token is not yet valid");
  }
  // Only our own now/leeway take part in arithmetic; claim values are only compared, so no
  // claim value can overflow anything.
  if (now - leeway_seconds >= *exp) return invalid_token("token has expired");
  if (*iat > now + leeway_seconds) return invalid_token("token is not yet valid");
  return TimeClaims{*iat, *exp};
}

}  // namespace connect_auth::tokens
