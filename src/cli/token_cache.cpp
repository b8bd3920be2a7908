#include "cli/token_cache.h"

#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace connect_auth::cli {
namespace {

namespace api = connect_auth::client;
namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

fs::path cache_dir() {
  const std::string xdg = env_or("XDG_CACHE_HOME", "");
  if (!xdg.empty()) return fs::path(xdg) / "connect-auth";
  return fs::path(env_or("HOME", ".")) / ".cache" / "connect-auth";
}

// The cache directory must be ours and private: a token must never sit where another user can
// read it or swap the file. Returns false (no caching) otherwise.
bool private_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);  // ours if just created; checked below either way
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::getuid() ||
      (info.st_mode & 077) != 0) {
    std::fprintf(stderr, "warning: not caching tokens: %s is not a private directory of yours\n",
                 dir.c_str());
    return false;
  }
  return true;
}

}  // namespace

// One file per (base URL, principal); the name is a hash so neither appears in a listing.
fs::path cache_file(std::string_view base_url, std::string_view principal) {
  const std::string key = std::string(base_url) + "\n" + std::string(principal);
  unsigned char digest[crypto_generichash_BYTES_MIN];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), nullptr, 0);
  std::string name = "token-";
  for (unsigned char byte : digest) name += fmt::format("{:02x}", byte);
  return cache_dir() / (name + ".json");
}

CachedTokens load_cache(const fs::path& file) {
  CachedTokens cached;
  std::ifstream in(file);
  if (!in) return cached;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text.str(), ec);
  if (ec || !parsed.is_object()) return cached;  // a damaged cache is only a cache miss
  const auto& object = parsed.as_object();
  const auto* access = object.if_contains("accessToken");
  const auto* expires = object.if_contains("expiresAt");
  if (access != nullptr && access->is_string() && expires != nullptr && expires->is_int64()) {
    api::AccessToken token;
    token.value = std::string(access->as_string());
    token.expires_at =
        std::chrono::system_clock::time_point(std::chrono::seconds(expires->as_int64()));
    const auto* user = object.if_contains("user");
    token.from_user_login = user != nullptr && user->is_bool() && user->as_bool();
    cached.access = std::move(token);
  }
  if (const auto* refresh = object.if_contains("refreshToken"); refresh && refresh->is_string()) {
    cached.refresh = std::string(refresh->as_string());
  }
  return cached;
}

// Written to a new private file (mkstemp: mode 0600, never an existing file or link), flushed to
// disk, then renamed over the old one: never half a file, never readable by other users.
void save_cache(const fs::path& file, const std::optional<api::AccessToken>& token,
                const std::optional<std::string>& refresh) {
  if (!private_directory(file.parent_path())) return;
  boost::json::object object;
  if (token) {
    object["accessToken"] = token->value;
    object["expiresAt"] =
        std::chrono::duration_cast<std::chrono::seconds>(token->expires_at.time_since_epoch())
            .count();
    object["user"] = token->from_user_login;
  }
  if (refresh) object["refreshToken"] = *refresh;
  std::string text = boost::json::serialize(object);
  std::string temporary = (file.parent_path() / ".token-XXXXXX").string();
  const int fd = ::mkstemp(temporary.data());
  bool written = fd >= 0;
  for (std::size_t done = 0; written && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    written = n > 0;
    if (written) done += static_cast<std::size_t>(n);
  }
  written = written && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  sodium_memzero(text.data(), text.size());
  std::error_code ec;
  if (written) fs::rename(temporary, file, ec);
  if (!written || ec) {
    fs::remove(temporary, ec);
    std::fprintf(stderr, "warning: could not write the token cache %s\n", file.c_str());
  }
}

void forget_cache(const fs::path& file) {
  std::error_code ec;
  if (!file.empty()) fs::remove(file, ec);
}

}  // namespace connect_auth::cli
