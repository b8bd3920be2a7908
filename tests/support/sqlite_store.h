// A real store for tests of the layers above storage: SQLite at the given "sqlite:" URL, opened
// directly (the composition root's engine choice is tested in tests/app).
#pragma once

#include <memory>
#include <string_view>

#include "core/result.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/store_url.h"

namespace connect_auth::test {

inline Result<std::unique_ptr<storage::Store>> open_sqlite_store(std::string_view url) {
  auto parsed = storage::parse_store_url(url);
  if (!parsed) return std::move(parsed).error();
  auto store = storage::sqlite::SqliteStore::open(parsed->location);
  if (!store) return std::move(store).error();
  return std::unique_ptr<storage::Store>(std::move(store).value());
}

}  // namespace connect_auth::test
