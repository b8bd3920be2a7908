#include "storage/store_url.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace connect_auth::storage {
namespace {

constexpr std::string_view kExpectedForms =
    "expected sqlite:///absolute/path.db or sqlite:relative/path.db";

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), compared
// case-insensitively.
bool is_scheme(std::string_view s) {
  if (s.empty() || s.size() > 32 || std::isalpha(static_cast<unsigned char>(s[0])) == 0) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error bad_sqlite_url(std::string_view why) {
  return make_error(ErrorCode::kInvalidRequest, "invalid sqlite storage URL: " + std::string(why) +
                                                    "; " + std::string(kExpectedForms));
}

Result<StoreUrl> parse_sqlite(std::string_view rest) {
  std::string_view path;
  if (rest.starts_with("//")) {
    // Only the empty-authority form "sqlite:///abs" is accepted: "sqlite://name" would read
    // as a host called "name", and guessing what the operator meant is worse than refusing.
    if (!rest.starts_with("///")) return bad_sqlite_url("a host part is not supported");
    path = rest.substr(2);  // keeps the leading '/'
    if (path.size() < 2) return bad_sqlite_url("the path is empty");
  } else {
    if (rest.empty()) return bad_sqlite_url("the path is empty");
    if (rest.front() == '/') return bad_sqlite_url("an absolute path needs three slashes");
    path = rest;
  }
  if (path.find('\0') != std::string_view::npos) return bad_sqlite_url("the path contains NUL");
  if (path.back() == '/') return bad_sqlite_url("the path names a directory");
  // ":memory:" would give every pooled connection its own empty database.
  if (path == ":memory:") return bad_sqlite_url("in-memory databases are not supported");
  return StoreUrl{StoreEngine::kSqlite, std::string(path)};
}

}  // namespace

Result<StoreUrl> parse_store_url(std::string_view url) {
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || !is_scheme(url.substr(0, colon))) {
    return make_error(ErrorCode::kInvalidRequest,
                      "storage URL has no scheme; " + std::string(kExpectedForms));
  }
  const std::string scheme = lower(url.substr(0, colon));
  if (scheme == "sqlite") return parse_sqlite(url.substr(colon + 1));
  if (scheme == "postgresql" || scheme == "postgres") {
    return StoreUrl{StoreEngine::kPostgres, std::string(url)};
  }
  // The scheme passed is_scheme(), so it is short and printable: safe to echo.
  return make_error(ErrorCode::kInvalidRequest, "unsupported storage URL scheme \"" + scheme +
                                                    "\"; " + std::string(kExpectedForms));
}

}  // namespace connect_auth::storage
