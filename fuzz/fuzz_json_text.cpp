// Fuzzes the JSON string escaper used for every response body and log line (bad-inputs.md §G).
// Invariants: the output always parses as exactly one JSON string (Boost.JSON validates UTF-8);
// it contains no raw control byte or DEL (no forged log lines, no terminal escapes); valid UTF-8
// input comes back byte for byte; invalid input comes back with U+FFFD in place of bad bytes.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_text.h"
#include "fuzz_check.h"

namespace {

// Independent UTF-8 check (RFC 3629 §4): shortest form, no surrogates, at most U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t n = 0;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if ((b0 & 0xe0) == 0xc0) {
      cp = b0 & 0x1f;
      n = 1;
    } else if ((b0 & 0xf0) == 0xe0) {
      cp = b0 & 0x0f;
      n = 2;
    } else if ((b0 & 0xf8) == 0xf0) {
      cp = b0 & 0x07;
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string out = "prefix";
  connect_auth::append_json_string(out, input);
  FUZZ_CHECK(out.compare(0, 6, "prefix") == 0);  // appends, never overwrites
  const std::string_view literal = std::string_view(out).substr(6);
  FUZZ_CHECK(literal == connect_auth::json_string(input));
  FUZZ_CHECK(literal.size() >= 2 && literal.front() == '"' && literal.back() == '"');
  FUZZ_CHECK(literal.size() <= 2 + 6 * size);  // at most \uXXXX per input byte

  for (char c : literal) {
    const auto byte = static_cast<unsigned char>(c);
    FUZZ_CHECK(byte >= 0x20 && byte != 0x7f);
  }

  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(literal, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(parsed.is_string());
  const std::string_view text(parsed.get_string().data(), parsed.get_string().size());
  FUZZ_CHECK(is_valid_utf8(text));
  if (is_valid_utf8(input)) {
    FUZZ_CHECK(text == input);
  } else {
    FUZZ_CHECK(text != input);
    FUZZ_CHECK(text.find("\xef\xbf\xbd") != std::string_view::npos);
  }
  return 0;
}
