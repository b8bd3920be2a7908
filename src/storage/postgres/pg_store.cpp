// Opening a PostgreSQL store; the Store methods live in one file per aggregate (pg_store.h).
#include "storage/postgres/pg_store.h"

#include <utility>

#include "storage/postgres/change_listener.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/pg_runner.h"

namespace connect_auth::storage::postgres {

Result<std::unique_ptr<PgStore>> PgStore::open(std::string url, std::shared_ptr<const Clock> clock,
                                               PgPoolOptions options) {
  if (!clock) clock = std::make_shared<SystemClock>();
  auto listener = std::make_unique<ChangeListener>(url, options.connect);
  auto pool = std::make_unique<PgPool>(std::move(url), options);
  {
    auto lease = pool->acquire();
    if (!lease) return std::move(lease).error();
    auto migrated = migrate(lease->conn(), clock->now_seconds());
    if (!migrated) return std::move(migrated).error();
  }
  return std::unique_ptr<PgStore>(new PgStore(
      std::make_unique<PgRunner>(std::move(pool), std::move(clock)), std::move(listener)));
}

PgStore::PgStore(std::unique_ptr<PgRunner> runner, std::unique_ptr<ChangeListener> listener)
    : runner_(std::move(runner)), listener_(std::move(listener)) {}

// Both paths alike: PostgreSQL groups concurrent commits' WAL flushes by itself.
Result<void> PgStore::run_write(const ErrorText& text, WritePath, const Body& body) {
  return runner_->write<void>(text, body);
}

std::int64_t PgStore::now_ms() const { return runner_->clock().now_millis(); }

void PgStore::wait_for_changes(std::chrono::milliseconds max_wait, std::stop_token stop) {
  listener_->wait(max_wait, stop);
}

PgStore::~PgStore() = default;

}  // namespace connect_auth::storage::postgres
