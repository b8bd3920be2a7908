#include "storage/sqlite/migrator.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <string>

#include "storage/sqlite/migrations.h"
#include "storage/sqlite/sqlite_error.h"

namespace connect_auth::storage::sqlite {

Result<void> apply_migrations(SQLite::Database& db, std::int64_t now_unix_s) {
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
  const std::int64_t current =
      db.execAndGet("SELECT coalesce(max(version), 0) FROM schema_migrations").getInt64();
  const int latest = latest_schema_version();
  if (current > latest) {
    // Written by a newer connect-auth: its tables may mean things this build does not know.
    return make_error(ErrorCode::kStorageUnavailable,
                      "database schema version " + std::to_string(current) +
                          " is newer than this build supports (" + std::to_string(latest) +
                          "); upgrade connect-auth");
  }
  for (const Migration& m : migrations()) {
    if (m.version <= current) continue;
    db.exec(m.sql);
    SQLite::Statement record(db,
                             "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
    record.bind(1, m.version);
    record.bind(2, now_unix_s);
    record.exec();
  }
  tx.commit();
  return Ok{};
}

Result<int> read_schema_version(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return 0;
  try {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    if (!db.tableExists("schema_migrations")) return 0;
    return db.execAndGet("SELECT coalesce(max(version), 0) FROM schema_migrations").getInt();
  } catch (const SQLite::Exception& e) {
    return error_from_exception(e, {});
  }
}

}  // namespace connect_auth::storage::sqlite
