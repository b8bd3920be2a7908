// Small, strict readers for the parts of a request that OAuth endpoints look at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/message.h"

namespace connect_auth::protocol {

// The decoded value of a query parameter that must appear at most once. nullopt when absent;
// kInvalidRequest when repeated or not decodable (RFC 6749 §3.1: parameters MUST NOT repeat).
Result<std::optional<std::string>> single_query_param(std::string_view query,
                                                      std::string_view name);

// Decodes one application/x-www-form-urlencoded component (%XX and '+'); nullopt if a %
// escape is incomplete or not hex.
std::optional<std::string> form_decode(std::string_view text);

// A decoded application/x-www-form-urlencoded body (RFC 6749 §3.2, Appendix B). Values are
// wiped when it is destroyed: they include passwords, secrets and refresh tokens.
class FormParams {
 public:
  FormParams() = default;
  FormParams(FormParams&&) noexcept = default;
  FormParams& operator=(FormParams&&) noexcept = default;
  FormParams(const FormParams&) = delete;
  FormParams& operator=(const FormParams&) = delete;
  ~FormParams();

  // The value of `name`; nullopt when absent or empty ("parameters sent without a value MUST
  // be treated as if they were omitted", RFC 6749 §3.1).
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

  // Reserve before adding: a reallocation would move short (inline) strings by copying and
  // leave unwiped copies of secrets behind.
  void reserve(std::size_t count) { params_.reserve(count); }
  void add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  // Every parameter in body order, empty values included.
  const std::vector<std::pair<std::string, std::string>>& entries() const { return params_; }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// More parameters than any OAuth request needs: a bigger form is refused before it is decoded,
// so a hostile body cannot make the duplicate check (quadratic) or the copies costly.
constexpr std::size_t kMaxFormParameters = 64;

// Parses a form body. kInvalidRequest when a parameter is repeated (RFC 6749 §3.2: MUST NOT be
// included more than once), a name or value does not decode, there are more than
// kMaxFormParameters, or the body is not a form at all.
Result<FormParams> parse_form(std::string_view body);

// True if the Content-Type is application/x-www-form-urlencoded (parameters such as charset
// allowed; the media type is matched case-insensitively).
bool is_form_content_type(std::string_view content_type);

// The value of a header that must appear at most once (bad-inputs.md §A: duplicates of user,
// Authorization or Host are refused, never first- or last-wins).
Result<std::optional<std::string_view>> single_header(const http::Request& request,
                                                      std::string_view name);

// Splits "Scheme credentials" (RFC 9110 §11.4); the scheme is matched case-insensitively.
// Returns the credentials part if the scheme matches, nullopt otherwise.
std::optional<std::string_view> credentials_for_scheme(std::string_view authorization,
                                                       std::string_view scheme);

}  // namespace connect_auth::protocol
