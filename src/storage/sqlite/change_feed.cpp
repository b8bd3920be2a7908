// The change feed on SQLite, and the snapshot the auth cache loads. SQLite admits one writer at
// a time, so seqs (AUTOINCREMENT, never reused) become visible in commit order by construction.
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <limits>

#include "storage/error_texts.h"
#include "storage/record_names.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

void SqliteWriteTransaction::append_change(ChangeKind kind, std::string_view ref) {
  SQLite::Statement st(db_, "INSERT INTO changes (kind, ref, at) VALUES (?1, ?2, ?3)");
  bind_text(st, 1, change_kind_name(kind));
  bind_text(st, 2, ref);
  st.bind(3, clock_.now_seconds());
  st.exec();
}

namespace {
std::int64_t pruned_through(SQLite::Database& db) {
  return db.execAndGet("SELECT pruned_through FROM change_feed WHERE id = 1").getInt64();
}
}  // namespace

Result<std::vector<Change>> SqliteStore::changes_since(std::int64_t after_seq, std::size_t limit) {
  return runner_->read<std::vector<Change>>(
      kChangeText, [&](SQLite::Database& db) -> Result<std::vector<Change>> {
        // Every change with seq > pruned_through is still stored, so a reader at `after_seq`
        // has missed nothing exactly when after_seq >= pruned_through. Same transaction as the
        // read below, so a prune in between cannot slip through.
        if (after_seq < pruned_through(db)) {
          return make_error(ErrorCode::kStorageNotFound,
                            "change feed position has been pruned; reload the snapshot");
        }
        SQLite::Statement st(db,
                             "SELECT seq, kind, ref FROM changes WHERE seq > ?1 "
                             "ORDER BY seq LIMIT ?2");
        st.bind(1, after_seq);
        st.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(
                       limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
        std::vector<Change> out;
        while (st.executeStep()) {
          const auto kind = change_kind_from_name(text_view_at(st, 1));
          if (!kind) throw MalformedRow{};
          out.push_back(Change{int_at(st, 0), *kind, text_at(st, 2)});
        }
        return out;
      });
}

Result<AuthSnapshot> SqliteStore::load_auth_snapshot() {
  // One deferred transaction: in WAL mode its first SELECT pins a snapshot of the database,
  // so every table below, and change_seq, come from the same instant. One query per table.
  return runner_->read<AuthSnapshot>({}, [&](SQLite::Database& db) {
    AuthSnapshot snap;
    snap.change_seq = db.execAndGet(
                            "SELECT max(coalesce((SELECT max(seq) FROM changes), 0), "
                            "(SELECT pruned_through FROM change_feed WHERE id = 1))")
                          .getInt64();
    {
      SQLite::Statement st(db, sql("SELECT ", kAccountColumns, " FROM accounts ORDER BY guid"));
      while (st.executeStep()) snap.accounts.push_back(account_from(st));
    }
    {
      // No password hash: the cache never verifies passwords, so it should never hold them.
      SQLite::Statement st(
          db, "SELECT id, user_name, disabled, sessions_not_before FROM users ORDER BY id");
      while (st.executeStep()) {
        snap.users.push_back(
            User{int_at(st, 0), text_at(st, 1), {}, bool_at(st, 2), int_at(st, 3)});
      }
    }
    {
      SQLite::Statement st(db,
                           "SELECT user_id, account_guid, role FROM user_roles "
                           "ORDER BY user_id, account_guid");
      while (st.executeStep()) snap.grants.push_back(grant_from(st));
    }
    snap.api_keys = read_api_keys(db, std::nullopt);
    {
      SQLite::Statement st(db, "SELECT jti, expires_at FROM revoked_access_tokens ORDER BY jti");
      while (st.executeStep()) {
        snap.revoked_access_tokens.push_back(RevokedAccessToken{text_at(st, 0), int_at(st, 1)});
      }
    }
    return Result<AuthSnapshot>(std::move(snap));
  });
}

Result<void> SqliteStore::prune_changes(std::int64_t keep_after_unix_s) {
  return runner_->write_statements<void>(kChangeText, [&](SQLite::Database& db) -> Result<void> {
    // Prune by position, not by time: everything up to the newest old-enough change goes, so
    // the retained feed never has a hole even if the clock stepped back (a newer change stamped
    // earlier is pruned too, which only makes readers reload sooner).
    SQLite::Statement newest_old(db, "SELECT max(seq) FROM changes WHERE at < ?1");
    newest_old.bind(1, keep_after_unix_s);
    if (!newest_old.executeStep() || newest_old.isColumnNull(0)) return Ok{};
    const std::int64_t through = int_at(newest_old, 0);
    newest_old.reset();

    SQLite::Statement remove(db, "DELETE FROM changes WHERE seq <= ?1");
    remove.bind(1, through);
    remove.exec();
    SQLite::Statement mark(db,
                           "UPDATE change_feed SET pruned_through = max(pruned_through, ?1) "
                           "WHERE id = 1");
    mark.bind(1, through);
    mark.exec();
    return Ok{};
  });
}

}  // namespace connect_auth::storage::sqlite
