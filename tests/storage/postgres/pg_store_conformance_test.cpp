// The PostgreSQL backend: the one conformance suite every engine passes, and the concurrency
// cases, each test on a fresh database of the fixture's server (pg_test_database.h).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "pg_test_database.h"
#include "storage/postgres/pg_store.h"
#include "storage/store_concurrency_conformance.h"
#include "storage/store_conformance.h"

namespace connect_auth::storage::conformance {

struct PostgresBackend {
  static std::optional<std::string> unavailable_reason() {
    if (!::connect_auth::testing::postgres_test_url())
      return std::string(::connect_auth::testing::kNoPostgres);
    return std::nullopt;
  }

  Result<std::unique_ptr<Store>> open(std::shared_ptr<const Clock> clock) {
    if (!database) database.emplace(*::connect_auth::testing::postgres_test_url());
    if (!database->ok()) return make_error(ErrorCode::kStorageUnavailable, database->error());
    auto store = postgres::PgStore::open(database->url(), std::move(clock));
    if (!store) return std::move(store).error();
    return std::unique_ptr<Store>(std::move(store).value());
  }

  std::optional<::connect_auth::testing::PgTestDatabase> database;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreConformanceTest, PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreConcurrencyTest, PostgresBackend);

}  // namespace connect_auth::storage::conformance
