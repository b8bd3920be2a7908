// Opening a SQLite store; the Store methods live in one file per aggregate (sqlite_store.h).
#include "storage/sqlite/sqlite_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <string>
#include <utility>

#include "storage/sqlite/connection_pool.h"
#include "storage/sqlite/database_file.h"
#include "storage/sqlite/migrator.h"
#include "storage/sqlite/sqlite_error.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {
namespace {

// STRICT tables need 3.37; RETURNING needs 3.35.
constexpr int kMinSqliteVersion = 3037000;

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       std::shared_ptr<const Clock> clock,
                                                       std::size_t max_connections) {
  if (sqlite3_libversion_number() < kMinSqliteVersion) {
    return make_error(ErrorCode::kStorageUnavailable, "SQLite 3.37 or newer is required");
  }
  if (!clock) clock = std::make_shared<SystemClock>();
  if (auto made = make_parent_directories(path); !made) return std::move(made).error();
  if (auto created = create_private_file(path); !created) return std::move(created).error();

  auto pool = std::make_unique<ConnectionPool>(path.string(), max_connections);
  {
    auto lease = pool->acquire();
    if (!lease) return std::move(lease).error();
    try {
      // WAL is a property of the file (it persists), so setting it once at open covers every
      // later connection, in this process and others. Readers then never block the writer.
      const std::string mode = lease->db().execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") {
        return make_error(ErrorCode::kStorageUnavailable,
                          "database unavailable: cannot enable write-ahead logging");
      }
      if (auto migrated = apply_migrations(lease->db(), clock->now_seconds()); !migrated) {
        return std::move(migrated).error();
      }
    } catch (const SQLite::Exception& e) {
      lease->discard();
      return error_from_exception(e, {});
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "unexpected storage failure");
    }
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<TransactionRunner>(std::move(pool), std::move(clock))));
}

SqliteStore::SqliteStore(std::unique_ptr<TransactionRunner> runner) : runner_(std::move(runner)) {}

SqliteStore::~SqliteStore() = default;

// Refresh-token writes share commits (and fsyncs) with whatever else arrives meanwhile.
Result<void> SqliteStore::run_write(const ErrorText& text, WritePath path, const Body& body) {
  if (path == WritePath::kHot) return runner_->write_batched<void>(text, body);
  return runner_->write<void>(text, body);
}

std::int64_t SqliteStore::now_ms() const { return runner_->clock().now_millis(); }

GroupCommitStats SqliteStore::group_commit_stats() const { return runner_->group_commit_stats(); }

}  // namespace connect_auth::storage::sqlite
