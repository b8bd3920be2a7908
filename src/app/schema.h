// The schema of the configured store, for `connect-auth migrate`: which version it holds, which
// this build knows, and applying the difference. Every engine numbers its own migrations.
#pragma once

#include <string_view>

#include "core/result.h"

namespace connect_auth::app {

struct SchemaStatus {
  std::string_view engine;  // "sqlite" or "postgresql"
  int current = 0;          // 0: no schema yet
  int latest = 0;           // the newest version this build knows
};

// Reads the version without creating or changing anything.
Result<SchemaStatus> schema_status(std::string_view store_url);

// Applies every pending migration (under the engine's lock, so nodes starting at once take
// turns) and returns the status after. A schema newer than this build is refused, naming both.
Result<SchemaStatus> migrate_schema(std::string_view store_url);

}  // namespace connect_auth::app
