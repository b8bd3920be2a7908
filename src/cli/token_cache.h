// The token cache of `connect-auth token` and `call`: one file per (base URL, principal) in
// $XDG_CACHE_HOME/connect-auth/ (default ~/.cache), so `call` in a loop does not log in every
// time and a user's refresh token spares the password prompt. The directory must be private and
// ours; files are 0600 and replaced atomically. A damaged or missing file is only a cache miss.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "connect_auth/client/client.h"

namespace connect_auth::cli {

struct CachedTokens {
  std::optional<client::AccessToken> access;
  std::optional<std::string> refresh;
};

// The file for this server and principal; its name is a hash, so neither shows in a listing.
std::filesystem::path cache_file(std::string_view base_url, std::string_view principal);

CachedTokens load_cache(const std::filesystem::path& file);

// Written to a new private file, flushed to disk, then renamed over the old one. Warns on
// standard error (and writes nothing) when the directory is not a private one of ours.
void save_cache(const std::filesystem::path& file, const std::optional<client::AccessToken>& token,
                const std::optional<std::string>& refresh);

void forget_cache(const std::filesystem::path& file);

}  // namespace connect_auth::cli
