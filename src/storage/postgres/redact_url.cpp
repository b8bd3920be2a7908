#include "storage/postgres/redact_url.h"

#include <algorithm>
#include <cctype>

namespace connect_auth::storage::postgres {
namespace {

constexpr std::string_view kMask = "***";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoded and lower-cased: libpq decodes query keywords, so "%70assword" is a password.
std::string normalised_key(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '%' && i + 2 < key.size()) {
      const int hi = hex_value(key[i + 1]);
      const int lo = hex_value(key[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_secret_key(std::string_view key) {
  const std::string k = normalised_key(key);
  return k.ends_with("password");
}

// "k=v&k=v…": every secret value becomes the mask.
std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_key(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1)).append(kMask);
    } else {
      out.append(pair);
    }
    if (end == query.size()) break;
    out += '&';
    start = end + 1;
  }
  return out;
}

std::string redact_uri(std::string_view url, std::size_t rest_at) {
  std::string_view rest = url.substr(rest_at);
  std::string out(url.substr(0, rest_at));

  // libpq ends the userinfo at the first '@' before the first '/', and allows '?' in a
  // password. To stay safe with an unencoded '@' or '/' in a password too, take the last '@'
  // before the query, where the query is the first '?' after the first '/' (with no '/', a
  // '?' may belong to the password, so the whole string is searched).
  const std::size_t slash = rest.find('/');
  const std::size_t query_limit =
      slash == std::string_view::npos ? rest.size() : std::min(rest.find('?', slash), rest.size());
  std::size_t at = rest.substr(0, query_limit).rfind('@');
  // A password with both '/' and '?' ("u:p/x?y@host") hides its '@' beyond that limit. If what
  // precedes the first '/' has a ':' (a password or a port) and an '@' follows anywhere, hide
  // up to it: at worst a port and path are hidden with a query value that held an '@'.
  if (at == std::string_view::npos && rest.substr(0, slash).find(':') != std::string_view::npos) {
    at = rest.rfind('@');
  }
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon + 1)).append(kMask);
    } else {
      out.append(userinfo);
    }
    out += '@';
    rest = rest.substr(at + 1);
  }

  const std::size_t q = rest.find('?');
  if (q == std::string_view::npos) return out.append(rest);
  out.append(rest.substr(0, q + 1));
  // A fragment is not part of a libpq URI; it would be read as part of the last value, so it is
  // redacted along with it rather than split off.
  return out.append(redact_query(rest.substr(q + 1)));
}

// libpq's keyword/value form: key = value, values optionally single-quoted with backslash
// escapes. Unquoted values end at white space.
std::string redact_keyword_value(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i])) != 0) {
      out += s[i++];
      continue;
    }
    const std::size_t key_start = i;
    while (i < s.size() && s[i] != '=' && std::isspace(static_cast<unsigned char>(s[i])) == 0) {
      ++i;
    }
    const std::string_view key = s.substr(key_start, i - key_start);
    out.append(key);
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) out += s[i++];
    if (i >= s.size() || s[i] != '=') continue;
    out += s[i++];
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) out += s[i++];
    const std::size_t value_start = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      if (i < s.size()) ++i;  // closing quote
    } else {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0) {
        i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
      }
    }
    if (is_secret_key(key)) {
      out.append(kMask);
    } else {
      out.append(s.substr(value_start, std::min(i, s.size()) - value_start));
    }
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    bool is_scheme = scheme_end > 0;
    for (std::size_t i = 0; i < scheme_end; ++i) {
      const auto c = static_cast<unsigned char>(url[i]);
      if (std::isalnum(c) == 0 && c != '+' && c != '-' && c != '.') is_scheme = false;
    }
    if (is_scheme) return redact_uri(url, scheme_end + 3);
  }
  return redact_keyword_value(url);
}

}  // namespace connect_auth::storage::postgres
