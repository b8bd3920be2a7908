// open_store(): the one place that picks a storage engine from the configured URL.
#include <memory>

#include "storage/sqlite/sqlite_store.h"
#include "storage/store.h"
#include "storage/store_url.h"

namespace connect_auth::storage {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  auto parsed = parse_store_url(url);
  if (!parsed) return std::move(parsed).error();
  switch (parsed->engine) {
    case StoreEngine::kSqlite: {
      auto store = SqliteStore::open(parsed->location);
      if (!store) return std::move(store).error();
      return std::unique_ptr<Store>(std::move(store).value());
    }
    case StoreEngine::kPostgres:
      return make_error(ErrorCode::kInvalidRequest,
                        "the PostgreSQL storage backend is not available in this build");
  }
  return make_error(ErrorCode::kInternal, "unknown storage engine");
}

}  // namespace connect_auth::storage
