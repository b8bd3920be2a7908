// Parses the storage URL from the config into an engine and a location. Kept apart from
// open_store() so the accepted forms are testable without touching a file system.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace connect_auth::storage {

enum class StoreEngine : std::uint8_t { kSqlite, kPostgres };

struct StoreUrl {
  StoreEngine engine = StoreEngine::kSqlite;
  // kSqlite: a file path (absolute for "sqlite:///abs", relative to the working directory for
  // "sqlite:rel"). kPostgres: the URL unchanged, for libpq.
  std::string location;
};

// Accepted: "sqlite:///abs/path.db", "sqlite:relative/path.db", "postgresql://…"/"postgres://…".
// Anything else is kInvalidRequest. Descriptions name the scheme but never echo the whole URL
// (a PostgreSQL URL may carry a password).
Result<StoreUrl> parse_store_url(std::string_view url);

}  // namespace connect_auth::storage
