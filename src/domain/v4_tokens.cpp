#include "domain/v4_tokens.h"

#include <charconv>

#include "core/json_text.h"
#include "tokens/jwt_claims.h"

namespace connect_auth::domain {
namespace {

constexpr std::string_view kJtiPrefix = "AT.";
constexpr std::size_t kJtiRandomBytes = 16;  // 128 bits
constexpr std::size_t kMaxUserIdDigits = 19;

Error invalid_token(std::string description) {
  return make_error(ErrorCode::kInvalidToken, std::move(description));
}

// A positive decimal int64 without sign, leading zeros or anything else.
bool parse_user_id(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > kMaxUserIdDigits || text.front() == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out > 0;
}

}  // namespace

V4TokenCodec::V4TokenCodec(V4TokenSettings settings)
    : settings_(std::move(settings)),
      issuer_json_(json_string(settings_.issuer)),
      audience_json_(json_string(settings_.audience)),
      client_id_json_(json_string(settings_.client_id)) {}

std::string V4TokenCodec::mint(const tokens::JwsKey& key, std::int64_t user_id,
                               std::string_view user_name, std::span<const std::string_view> scopes,
                               std::int64_t issued_at, Random& random) const {
  std::string payload;
  payload.reserve(192 + issuer_json_.size() + audience_json_.size() + client_id_json_.size() +
                  user_name.size());
  payload.append(R"({"ver":1,"jti":")");
  payload.append(kJtiPrefix);
  payload.append(random_base64url(random, kJtiRandomBytes));  // base64url: nothing to escape
  payload.append(R"(","iss":)");
  payload.append(issuer_json_);
  payload.append(R"(,"aud":)");
  payload.append(audience_json_);
  payload.append(R"(,"iat":)");
  payload.append(std::to_string(issued_at));
  payload.append(R"(,"exp":)");
  payload.append(std::to_string(issued_at + settings_.lifetime_seconds));
  payload.append(R"(,"cid":)");
  payload.append(client_id_json_);
  payload.append(R"(,"uid":")");
  payload.append(std::to_string(user_id));
  payload.append(R"(","scp":[)");
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (i > 0) payload.push_back(',');
    append_json_string(payload, scopes[i]);
  }
  payload.append(R"(],"sub":)");
  append_json_string(payload, user_name);
  payload.push_back('}');
  return key.sign(payload);
}

Result<V4TokenClaims> V4TokenCodec::verify(std::string_view token, const tokens::KeyRing& keys,
                                           std::int64_t now) const {
  auto verified = tokens::verify_jws(token, keys, tokens::JwsAlgorithm::kRs256);
  if (!verified) return std::move(verified).error();
  return verify_claims(verified->payload_json, now);
}

Result<V4TokenClaims> V4TokenCodec::verify_claims(std::string_view payload_json,
                                                  std::int64_t now) const {
  const tokens::ClaimsObject parsed(payload_json);
  const boost::json::object* claims = parsed.object();
  if (claims == nullptr) return invalid_token("token claims are malformed");

  const auto version = tokens::integer_claim(*claims, "ver");
  if (!version || *version != 1) return invalid_token("token version is not accepted");

  std::string jti, iss, aud, cid, uid;
  V4TokenClaims result;
  if (!tokens::string_claim(*claims, "jti", jti) || !tokens::string_claim(*claims, "iss", iss) ||
      !tokens::string_claim(*claims, "aud", aud) || !tokens::string_claim(*claims, "cid", cid) ||
      !tokens::string_claim(*claims, "uid", uid) ||
      !tokens::string_claim(*claims, "sub", result.user_name)) {
    return invalid_token("token claims are malformed");
  }
  // An access token's jti starts with "AT." and carries its random part after it.
  if (jti.size() <= kJtiPrefix.size() || jti.compare(0, kJtiPrefix.size(), kJtiPrefix) != 0) {
    return invalid_token("token claims are malformed");
  }
  const boost::json::value* scp = claims->if_contains("scp");
  if (scp == nullptr || !scp->is_array()) return invalid_token("token claims are malformed");
  result.scopes.reserve(scp->get_array().size());
  for (const boost::json::value& scope : scp->get_array()) {
    if (!scope.is_string()) return invalid_token("token claims are malformed");
    result.scopes.emplace_back(scope.get_string().data(), scope.get_string().size());
  }
  if (!parse_user_id(uid, result.user_id)) return invalid_token("token claims are malformed");

  auto times = tokens::check_time_claims(*claims, now, settings_.leeway_seconds);
  if (!times) return std::move(times).error();
  if (iss != settings_.issuer) return invalid_token("token issuer is not accepted");
  if (aud != settings_.audience) return invalid_token("token audience is not accepted");
  result.issued_at = times->iat;
  result.expires_at = times->exp;
  result.jti = std::move(jti);
  return result;
}

}  // namespace connect_auth::domain
