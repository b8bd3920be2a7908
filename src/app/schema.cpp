#include "app/schema.h"

#include "app/open_store.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/migrator.h"
#include "storage/store_url.h"

namespace connect_auth::app {
namespace {

Result<SchemaStatus> postgres_status(std::string_view url) {
  auto conn = storage::postgres::PgConnection::connect(url);
  if (!conn) return std::move(conn).error();
  auto version = storage::postgres::read_schema_version(**conn);
  if (!version) return std::move(version).error();
  return SchemaStatus{"postgresql", version->current, version->latest};
}

}  // namespace

Result<SchemaStatus> schema_status(std::string_view store_url) {
  auto parsed = storage::parse_store_url(store_url);
  if (!parsed) return std::move(parsed).error();
  switch (parsed->engine) {
    case storage::StoreEngine::kSqlite: {
      auto current = storage::sqlite::read_schema_version(parsed->location);
      if (!current) return std::move(current).error();
      return SchemaStatus{"sqlite", *current, storage::sqlite::latest_schema_version()};
    }
    case storage::StoreEngine::kPostgres: return postgres_status(parsed->location);
  }
  return make_error(ErrorCode::kInternal, "unknown storage engine");
}

Result<SchemaStatus> migrate_schema(std::string_view store_url) {
  // Opening a store applies its migrations; the status is then read back.
  if (auto opened = open_store(store_url); !opened) return std::move(opened).error();
  return schema_status(store_url);
}

}  // namespace connect_auth::app
