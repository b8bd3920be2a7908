#include "app/open_store.h"

#include "storage/postgres/pg_store.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/store_url.h"

namespace connect_auth::app {

Result<std::unique_ptr<storage::Store>> open_store(std::string_view url, std::size_t pool_size) {
  auto parsed = storage::parse_store_url(url);
  if (!parsed) return std::move(parsed).error();
  switch (parsed->engine) {
    case storage::StoreEngine::kSqlite: {
      auto store = storage::sqlite::SqliteStore::open(parsed->location, nullptr, pool_size);
      if (!store) return std::move(store).error();
      return std::unique_ptr<storage::Store>(std::move(store).value());
    }
    case storage::StoreEngine::kPostgres: {
      storage::postgres::PgPoolOptions options;
      options.max_connections = pool_size;
      auto store = storage::postgres::PgStore::open(parsed->location, nullptr, options);
      if (!store) return std::move(store).error();
      return std::unique_ptr<storage::Store>(std::move(store).value());
    }
  }
  return make_error(ErrorCode::kInternal, "unknown storage engine");
}

}  // namespace connect_auth::app
