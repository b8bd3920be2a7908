// Strict reader of the v4 token request body (wire-contract.md §3, bad-inputs.md §C).
//
// The body is streamed through a SAX parser once, in linear time and bounded memory: no DOM is
// built, nesting deeper than kMaxV4JsonDepth is refused at the first bracket too many, duplicate
// keys are refused in every object (never first- or last-wins), and only the members the grant
// needs are copied, each up to its cap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace connect_auth::protocol {

constexpr std::size_t kMaxUserNameBytes = 256;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr std::size_t kMaxRefreshTokenBytes = 512;

// Hardening limits on the parts of the body nobody reads. A real request is one flat object of
// four members; these leave generous room for clients that send extra members while keeping the
// parser's memory independent of the body size (at most depth × members × key bytes of keys).
constexpr std::size_t kMaxV4JsonDepth = 16;       // the top-level object is depth 1
constexpr std::size_t kMaxV4ObjectMembers = 128;  // per object, at any depth
constexpr std::size_t kMaxV4KeyBytes = 256;       // any member name
constexpr std::size_t kMaxV4NumberChars = 64;     // any number literal (no 1e999 or 10^6 digits)
constexpr std::size_t kMaxV4ScopeBytes = 1024;

// An aggregate, so designated initializers work. That rules out declaring a move constructor:
// "moves" copy, and every copy wipes its own secrets when destroyed.
struct V4TokenRequest {
  enum class Grant : std::uint8_t { kPassword, kRefreshToken };
  Grant grant = Grant::kPassword;
  std::string user_name;        // kPassword
  std::string password;         // kPassword; wiped in the destructor
  std::string refresh_token;    // kRefreshToken; wiped in the destructor
  bool scope_present = false;   // the "scope" member was given
  bool offline_access = false;  // scope lists OFFLINE_ACCESS (case-insensitive)

  ~V4TokenRequest();  // wipes password and refresh_token (their whole capacity)
};

// content_type: the request's Content-Type header value (may be empty). It must be
// application/json (media type case-insensitive; parameters allowed, but a charset other than
// UTF-8 is refused). Errors: kInvalidRequest (content type, malformed or hostile JSON, missing or
// wrongly typed member, empty or over-long value), kUnsupportedGrantType, kInvalidScope. Error
// descriptions name the offending member but never echo a value.
Result<V4TokenRequest> parse_v4_token_request(std::string_view content_type, std::string_view body);

// An RFC 6749 §3.3 scope: space-delimited (repeated spaces tolerated, other whitespace not).
// offline_access, matched case-insensitively, is the only scope there is: true if it is asked
// for, kInvalidScope for anything else (the description names it as `spelling`, the dialect's).
// Shared by the v4 JSON body and the standard form endpoint.
Result<bool> asks_for_offline_access(std::string_view scope, std::string_view spelling);

// Overwrites a string's whole capacity with zeros, then empties it.
void wipe_string(std::string& secret) noexcept;

}  // namespace connect_auth::protocol
