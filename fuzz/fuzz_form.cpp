// Fuzzes the application/x-www-form-urlencoded readers of the standard OAuth endpoints
// (/oauth2/token, /oauth2/revoke, /oauth2/introspect): parse_form, form_decode and the
// Content-Type check. The first input line is the Content-Type, the rest the body.
// Invariants: never a crash; every refusal is invalid_request; an accepted form has non-empty,
// pairwise distinct names (RFC 6749 §3.2: no parameter twice), get() agrees with the entries
// (empty values read as absent), and re-encoding every byte as %XX parses back to exactly the same
// entries, so nothing is truncated, normalised or invented on the way.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "protocol/request_parsing.h"

using connect_auth::ErrorCode;
using connect_auth::protocol::form_decode;
using connect_auth::protocol::is_form_content_type;
using connect_auth::protocol::parse_form;

namespace {

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0f]);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  // Whatever the header says, the answer is a plain yes or no; the real media type always passes.
  (void)is_form_content_type(content_type);
  FUZZ_CHECK(is_form_content_type("application/x-www-form-urlencoded; charset=UTF-8"));

  if (auto decoded = form_decode(body)) {
    FUZZ_CHECK(decoded->size() <= body.size());
    FUZZ_CHECK(*form_decode(percent_encode(*decoded)) == *decoded);
  }

  auto form = parse_form(body);
  if (!form) {
    FUZZ_CHECK(form.error().code == ErrorCode::kInvalidRequest);
    return 0;
  }
  std::set<std::string> names;
  std::string reencoded;
  for (const auto& [name, value] : form->entries()) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(names.insert(name).second);
    const auto got = form->get(name);
    FUZZ_CHECK(value.empty() ? !got.has_value() : (got.has_value() && *got == value));
    if (!reencoded.empty()) reencoded.push_back('&');
    reencoded += percent_encode(name) + "=" + percent_encode(value);
  }
  auto again = parse_form(reencoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->entries() == form->entries());
  return 0;
}
