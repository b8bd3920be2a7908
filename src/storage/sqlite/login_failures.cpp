// Failed-login counters on SQLite. No rule beyond the counting itself, which is one statement:
// these methods run statements directly. Writes go through group commit.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

Result<std::vector<FailureCount>> SqliteStore::read_failures(std::span<const std::string> keys) {
  return runner_->read<std::vector<FailureCount>>(kFailureText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "SELECT count, last_failure_ms FROM login_failures WHERE key = ?1");
    std::vector<FailureCount> out;
    out.reserve(keys.size());
    for (const std::string& key : keys) {
      st.reset();
      bind_text(st, 1, key);
      out.push_back(st.executeStep() ? FailureCount{int_at(st, 0), int_at(st, 1)} : FailureCount{});
    }
    return Result<std::vector<FailureCount>>(std::move(out));
  });
}

Result<std::vector<FailureCount>> SqliteStore::record_failures(std::span<const std::string> keys,
                                                               std::int64_t now_ms,
                                                               std::int64_t window_ms) {
  return runner_->write_statements_batched<std::vector<FailureCount>>(
      kFailureText, [&](SQLite::Database& db) {
        // SET expressions see the row as it was, so the window test uses the old timestamp.
        SQLite::Statement st(
            db,
            "INSERT INTO login_failures (key, count, last_failure_ms) VALUES (?1, 1, ?2) "
            "ON CONFLICT (key) DO UPDATE SET "
            "  count = CASE WHEN ?2 - last_failure_ms >= ?3 THEN 1 ELSE count + 1 END, "
            "  last_failure_ms = max(last_failure_ms, ?2) "
            "RETURNING count, last_failure_ms");
        std::vector<FailureCount> out;
        out.reserve(keys.size());
        for (const std::string& key : keys) {
          st.reset();
          bind_text(st, 1, key);
          st.bind(2, now_ms);
          st.bind(3, window_ms);
          if (!st.executeStep()) throw MalformedRow{};
          out.push_back(FailureCount{int_at(st, 0), int_at(st, 1)});
        }
        return Result<std::vector<FailureCount>>(std::move(out));
      });
}

Result<void> SqliteStore::clear_failures(std::span<const std::string> keys) {
  return runner_->write_statements_batched<void>(kFailureText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "DELETE FROM login_failures WHERE key = ?1");
    for (const std::string& key : keys) {
      st.reset();
      bind_text(st, 1, key);
      st.exec();
    }
    return Result<void>(Ok{});
  });
}

Result<void> SqliteStore::prune_failures(std::int64_t last_failure_before_ms) {
  return runner_->write_statements<void>(kFailureText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "DELETE FROM login_failures WHERE last_failure_ms < ?1");
    st.bind(1, last_failure_before_ms);
    st.exec();
    return Result<void>(Ok{});
  });
}

}  // namespace connect_auth::storage::sqlite
