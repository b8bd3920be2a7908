// The one place that picks a storage engine from the configured URL (store.url), and the only
// code that links a backend.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "core/result.h"
#include "storage/store.h"

namespace connect_auth::app {

// "sqlite:///abs/path.db", "sqlite:relative/path.db" or "postgresql://user@host:port/db?…"
// (libpq's URI; TLS as sslmode asks). Runs pending migrations. Unknown
// schemes are an error naming the scheme.
// `pool_size` bounds the connections this process opens.
Result<std::unique_ptr<storage::Store>> open_store(std::string_view url, std::size_t pool_size = 8);

}  // namespace connect_auth::app
