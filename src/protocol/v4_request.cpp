#include "protocol/v4_request.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "http/message.h"

namespace connect_auth::protocol {

void wipe_string(std::string& secret) noexcept {
  // resize() to the capacity makes every byte a valid element, so the wipe also covers what an
  // earlier, longer value left behind, and what a move out of a short string leaves in place.
  secret.resize(secret.capacity());
  sodium_memzero(secret.data(), secret.size());
  secret.clear();
}

V4TokenRequest::~V4TokenRequest() {
  wipe_string(password);
  wipe_string(refresh_token);
}

namespace {

namespace json = boost::json;

Error invalid(std::string description) {
  return make_error(ErrorCode::kInvalidRequest, std::move(description));
}

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kWhitespace) - first + 1);
}

// RFC 9110 §8.3: media-type *( OWS ";" OWS parameter ), type and parameter names
// case-insensitive. RFC 8259 §11 defines no charset parameter; one that says anything but UTF-8
// contradicts the body's required encoding, so it is refused rather than ignored.
bool is_json_content_type(std::string_view value) {
  std::size_t semicolon = value.find(';');
  if (!http::iequals(trim(value.substr(0, semicolon)), "application/json")) return false;
  while (semicolon != std::string_view::npos) {
    value.remove_prefix(semicolon + 1);
    semicolon = value.find(';');
    const std::string_view parameter = trim(value.substr(0, semicolon));
    if (parameter.empty()) continue;  // "application/json;" is harmless
    const std::size_t eq = parameter.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    if (!http::iequals(parameter.substr(0, eq), "charset")) continue;
    std::string_view charset = parameter.substr(eq + 1);
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!http::iequals(charset, "utf-8")) return false;
  }
  return true;
}

// The top-level members the endpoint reads. Everything else is skipped without being copied.
enum class Member : std::uint8_t { kGrantType, kUserName, kPassword, kRefreshToken, kScope };
constexpr std::size_t kMemberCount = 5;
constexpr std::array<std::string_view, kMemberCount> kMemberNames = {
    "grantType", "userName", "password", "refreshToken", "scope"};
// Longer than any accepted grant type, so an over-long value is still told apart from a missing
// one.
constexpr std::size_t kMaxGrantTypeBytes = 32;
constexpr std::array<std::size_t, kMemberCount> kMemberCaps = {
    kMaxGrantTypeBytes, kMaxUserNameBytes, kMaxPasswordBytes, kMaxRefreshTokenBytes,
    kMaxV4ScopeBytes};

struct Field {
  enum class State : std::uint8_t { kAbsent, kString, kWrongType };
  State state = State::kAbsent;
  bool too_long = false;  // value holds nothing then: bytes beyond a cap are never copied
  std::string value;
};

// SAX handler for basic_parser. Memory is bounded by the limits in v4_request.h, whatever the
// body's size: strings of unknown members are skipped, known ones are copied up to their cap, and
// the keys kept for duplicate detection are those of the objects currently open.
class BodyHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = kMaxV4ObjectMembers;
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = kMaxV4KeyBytes;

  BodyHandler() = default;
  BodyHandler(const BodyHandler&) = delete;
  BodyHandler& operator=(const BodyHandler&) = delete;
  ~BodyHandler() {
    for (Field& field : fields_) wipe_string(field.value);
  }

  // Set when the handler itself refused the input; takes precedence over the parser's error code.
  const std::string& failure() const { return failure_; }
  std::array<Field, kMemberCount>& fields() { return fields_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) {
    if (!begin_value(Kind::kObject, ec)) return false;
    if (open_objects_ == key_stack_.size()) key_stack_.emplace_back();
    key_stack_[open_objects_++].clear();
    ++depth_;
    return true;
  }

  bool on_object_end(std::size_t, json::error_code& ec) {
    // Sorting at the end keeps duplicate detection O(n log n) per object, n ≤ kMaxV4ObjectMembers,
    // with no hash table an attacker could flood.
    std::vector<std::string>& keys = key_stack_[--open_objects_];
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
      return fail("the JSON body repeats a member name", ec);
    }
    keys.clear();
    --depth_;
    return true;
  }

  bool on_array_begin(json::error_code& ec) {
    if (!begin_value(Kind::kArray, ec)) return false;
    ++depth_;
    return true;
  }

  bool on_array_end(std::size_t, json::error_code&) {
    --depth_;
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }

  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    pending_.reset();
    if (depth_ == 1) {
      for (std::size_t i = 0; i < kMemberCount; ++i) {
        if (key_ != kMemberNames[i]) continue;
        // Caught here as well as at the object's end, so a repeated secret is never appended to
        // the first one's buffer.
        if (seen_[i]) return fail("the JSON body repeats a member name", ec);
        seen_[i] = true;
        pending_ = static_cast<Member>(i);
        break;
      }
    }
    key_stack_[open_objects_ - 1].push_back(std::move(key_));
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (!in_string_) {
      if (!begin_value(Kind::kString, ec)) return false;
      in_string_ = true;
    }
    append_to_pending(s);
    return true;
  }

  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (!in_string_ && !begin_value(Kind::kString, ec)) return false;
    in_string_ = false;
    append_to_pending(s);
    if (pending_) field(*pending_).state = Field::State::kString;
    pending_.reset();
    return true;
  }

  bool on_number_part(json::string_view s, json::error_code& ec) {
    if (number_chars_ == 0 && !begin_value(Kind::kOther, ec)) return false;
    return count_number_chars(s, ec);
  }
  bool on_int64(std::int64_t, json::string_view s, json::error_code& ec) {
    return end_number(s, ec);
  }
  bool on_uint64(std::uint64_t, json::string_view s, json::error_code& ec) {
    return end_number(s, ec);
  }
  bool on_double(double d, json::string_view s, json::error_code& ec) {
    if (!end_number(s, ec)) return false;
    if (!std::isfinite(d)) return fail("the JSON body holds a number out of range", ec);
    return true;
  }

  bool on_bool(bool, json::error_code& ec) { return begin_value(Kind::kOther, ec); }
  bool on_null(json::error_code& ec) { return begin_value(Kind::kOther, ec); }

  // Comments are refused by the parse options; these only satisfy the handler concept.
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  enum class Kind : std::uint8_t { kObject, kArray, kString, kOther };

  Field& field(Member member) { return fields_[static_cast<std::size_t>(member)]; }

  bool fail(std::string description, json::error_code& ec) {
    failure_ = std::move(description);
    ec = json::error::syntax;  // any failing code; failure_ says what went wrong
    return false;
  }

  // Every value starts here: the document must be an object, and a value that is not a string
  // marks the member it belongs to as wrongly typed (its contents are then skipped).
  bool begin_value(Kind kind, json::error_code& ec) {
    if (depth_ == 0 && kind != Kind::kObject) {
      return fail("the request body must be a JSON object", ec);
    }
    if (pending_ && kind != Kind::kString) {
      field(*pending_).state = Field::State::kWrongType;
      pending_.reset();
    }
    return true;
  }

  void append_to_pending(json::string_view s) {
    if (!pending_) return;
    Field& f = field(*pending_);
    if (f.too_long) return;
    const std::size_t cap = kMemberCaps[static_cast<std::size_t>(*pending_)];
    if (f.value.size() + s.size() > cap) {
      f.too_long = true;
      wipe_string(f.value);
      return;
    }
    // Reserved once at the cap, so appending never reallocates and leaves no stray copy of a
    // secret in freed memory.
    if (f.value.capacity() < cap) f.value.reserve(cap);
    f.value.append(s.data(), s.size());
  }

  bool count_number_chars(json::string_view s, json::error_code& ec) {
    number_chars_ += s.size();
    if (number_chars_ > kMaxV4NumberChars) {
      return fail("the JSON body holds a number out of range", ec);
    }
    return true;
  }

  bool end_number(json::string_view s, json::error_code& ec) {
    if (number_chars_ == 0 && !begin_value(Kind::kOther, ec)) return false;
    if (!count_number_chars(s, ec)) return false;
    number_chars_ = 0;
    return true;
  }

  std::array<Field, kMemberCount> fields_{};
  std::array<bool, kMemberCount> seen_{};
  std::optional<Member> pending_;  // the top-level member whose value comes next
  std::size_t depth_ = 0;          // objects and arrays currently open
  bool in_string_ = false;
  std::size_t number_chars_ = 0;
  std::string key_;
  std::vector<std::vector<std::string>> key_stack_;  // keys of each open object, reused
  std::size_t open_objects_ = 0;
  std::string failure_;
};

Error json_error(const BodyHandler& handler, const json::error_code& ec) {
  if (!handler.failure().empty()) return invalid(handler.failure());
  if (ec == json::error::too_deep) return invalid("the JSON body is nested too deeply");
  if (ec == json::error::object_too_large) {
    return invalid("a JSON object in the body has too many members");
  }
  if (ec == json::error::key_too_large)
    return invalid("a member name in the JSON body is too long");
  if (ec == json::error::exponent_overflow) {
    return invalid("the JSON body holds a number out of range");
  }
  return invalid("the request body is not valid JSON");
}

// A required string member of the grant: present, a string, within its cap, not empty.
Result<void> check_required(const Field& field, std::string_view name) {
  switch (field.state) {
    case Field::State::kAbsent: return invalid(std::string(name) + " is missing");
    case Field::State::kWrongType: return invalid(std::string(name) + " must be a string");
    case Field::State::kString: break;
  }
  if (field.too_long) return invalid(std::string(name) + " is too long");
  if (field.value.empty()) return invalid(std::string(name) + " is empty");
  return Ok{};
}

Field& member(std::array<Field, kMemberCount>& fields, Member m) {
  return fields[static_cast<std::size_t>(m)];
}

}  // namespace

Result<V4TokenRequest> parse_v4_token_request(std::string_view content_type,
                                              std::string_view body) {
  if (!is_json_content_type(content_type)) {
    return invalid("the Content-Type must be application/json");
  }

  if (body.empty()) return invalid("the request body is empty");

  json::parse_options options;
  options.max_depth = kMaxV4JsonDepth;  // refused at the first bracket too deep, not at the end
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;  // also refuses lone surrogates in \u escapes
  json::basic_parser<BodyHandler> parser(options);
  json::error_code ec;
  const std::size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (ec) return json_error(parser.handler(), ec);
  // write_some stops after one complete value and its trailing whitespace; anything left is a
  // second document or garbage.
  if (consumed != body.size() || !parser.done()) {
    return invalid("the request body must hold exactly one JSON object");
  }

  auto& fields = parser.handler().fields();
  const Field& grant_type = member(fields, Member::kGrantType);
  switch (grant_type.state) {
    case Field::State::kAbsent: return invalid("grantType is missing");
    case Field::State::kWrongType: return invalid("grantType must be a string");
    case Field::State::kString: break;
  }
  if (!grant_type.too_long && grant_type.value.empty()) return invalid("grantType is empty");

  V4TokenRequest request;
  if (!grant_type.too_long && http::iequals(grant_type.value, "PASSWORD")) {
    request.grant = V4TokenRequest::Grant::kPassword;
    // Length caps come before anything that costs: no argon2 run for an over-long password.
    for (Member m : {Member::kUserName, Member::kPassword}) {
      auto checked = check_required(member(fields, m), kMemberNames[static_cast<std::size_t>(m)]);
      if (!checked) return std::move(checked).error();
    }
    request.user_name = std::move(member(fields, Member::kUserName).value);
    request.password = std::move(member(fields, Member::kPassword).value);
  } else if (!grant_type.too_long && http::iequals(grant_type.value, "REFRESH_TOKEN")) {
    request.grant = V4TokenRequest::Grant::kRefreshToken;
    const Field& token = member(fields, Member::kRefreshToken);
    // bad-inputs §E: an empty or huge token is a token we never issued, so invalid_grant like
    // any other unknown one (a missing or non-string member stays invalid_request).
    if (token.state == Field::State::kString && (token.too_long || token.value.empty())) {
      return make_error(ErrorCode::kInvalidGrant, "the refresh token is invalid or expired");
    }
    auto checked = check_required(token, "refreshToken");
    if (!checked) return std::move(checked).error();
    request.refresh_token = std::move(member(fields, Member::kRefreshToken).value);
  } else {
    return make_error(ErrorCode::kUnsupportedGrantType,
                      "grantType must be PASSWORD or REFRESH_TOKEN");
  }

  const Field& scope = member(fields, Member::kScope);
  switch (scope.state) {
    case Field::State::kAbsent: return request;
    case Field::State::kWrongType: return invalid("scope must be a string");
    case Field::State::kString: break;
  }
  if (scope.too_long) return invalid("scope is too long");
  request.scope_present = true;
  auto offline = asks_for_offline_access(scope.value, "OFFLINE_ACCESS");
  if (!offline) return std::move(offline).error();
  request.offline_access = *offline;
  return request;
}

Result<bool> asks_for_offline_access(std::string_view scope, std::string_view spelling) {
  bool offline = false;
  while (!scope.empty()) {
    const std::size_t space = scope.find(' ');
    const std::string_view entry = scope.substr(0, space);
    scope = space == std::string_view::npos ? std::string_view() : scope.substr(space + 1);
    if (entry.empty()) continue;
    if (!http::iequals(entry, "offline_access")) {
      return make_error(ErrorCode::kInvalidScope,
                        "the only supported scope is " + std::string(spelling));
    }
    offline = true;
  }
  return offline;
}

}  // namespace connect_auth::protocol
