// Refresh tokens on SQLite: the RefreshTokenStore methods and the refresh statements. Every
// write goes through group commit (transaction_runner.h), so concurrent refreshes share fsyncs.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

Result<RefreshTokenStatus> SqliteStore::inspect_refresh_token(const tokens::TokenHash& token_hash) {
  return runner_->read<RefreshTokenStatus>(kRefreshText, [&](SQLite::Database& db) {
    return Result<RefreshTokenStatus>(read_refresh_token(db, token_hash));
  });
}

Result<void> SqliteStore::prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) {
  return runner_->write_statements<void>(kRefreshText, [&](SQLite::Database& db) {
    // A family's tokens go with it (ON DELETE CASCADE).
    SQLite::Statement families(db,
                               "DELETE FROM refresh_families "
                               "WHERE revoked_at_ms < ?1 OR absolute_expires_at_ms < ?1");
    families.bind(1, before_ms);
    families.exec();
    // A token idle-expires at issued_at_ms + idle_ms (refresh_rules.h). Retired tokens are
    // not deleted sooner: they serve grace-period retries and reuse detection.
    SQLite::Statement tokens(db, "DELETE FROM refresh_tokens WHERE issued_at_ms + ?2 < ?1");
    tokens.bind(1, before_ms);
    tokens.bind(2, idle_ms);
    tokens.exec();
    return Result<void>(Ok{});
  });
}

RefreshTokenStatus read_refresh_token(SQLite::Database& db, const tokens::TokenHash& hash) {
  RefreshTokenStatus status;
  {
    SQLite::Statement st(db,
                         "SELECT family_id, generation, issued_at_ms, retired_at_ms IS NOT NULL "
                         "FROM refresh_tokens WHERE token_hash = ?1");
    bind_bytes(st, 1, hash);
    if (st.executeStep()) {
      status.token = RefreshTokenRow{int_at(st, 0), int_at(st, 1), int_at(st, 2), bool_at(st, 3)};
    }
  }
  if (status.token) {
    SQLite::Statement st(db,
                         "SELECT f.id, f.user_id, f.current_generation, f.rotated_at_ms, "
                         "  f.absolute_expires_at_ms, f.revoked_at_ms IS NOT NULL, f.scope, "
                         "  u.user_name, u.disabled "
                         "FROM refresh_families f JOIN users u ON u.id = f.user_id "
                         "WHERE f.id = ?1");
    st.bind(1, status.token->family_id);
    if (st.executeStep()) {
      status.family = RefreshFamilyRow{int_at(st, 0), int_at(st, 1), int_at(st, 2),
                                       int_at(st, 3), int_at(st, 4), bool_at(st, 5)};
      status.scope = text_at(st, 6);
      status.user_name = text_at(st, 7);
      status.user_disabled = bool_at(st, 8);
    }
  }
  return status;
}

RefreshTokenStatus SqliteWriteTransaction::read_refresh_token_for_update(
    const tokens::TokenHash& hash) {
  return read_refresh_token(db_, hash);  // the write lock is the family lock (see the header)
}

std::optional<std::int64_t> SqliteWriteTransaction::refresh_family_of(
    const tokens::TokenHash& hash) {
  SQLite::Statement st(db_, "SELECT family_id FROM refresh_tokens WHERE token_hash = ?1");
  bind_bytes(st, 1, hash);
  if (!st.executeStep()) return std::nullopt;
  return int_at(st, 0);
}

std::int64_t SqliteWriteTransaction::insert_refresh_family(const NewRefreshFamily& family) {
  SQLite::Statement st(db_,
                       "INSERT INTO refresh_families (user_id, scope, current_generation, "
                       "rotated_at_ms, created_at_ms, absolute_expires_at_ms) "
                       "VALUES (?1, ?2, 1, ?3, ?3, ?4)");
  st.bind(1, family.user_id);
  bind_text(st, 2, family.scope);
  st.bind(3, family.now_ms);
  st.bind(4, family.absolute_expires_at_ms);
  st.exec();
  return db_.getLastInsertRowid();
}

void SqliteWriteTransaction::insert_refresh_token(const tokens::TokenHash& hash,
                                                  std::int64_t family_id, std::int64_t generation,
                                                  std::int64_t issued_at_ms) {
  SQLite::Statement st(db_,
                       "INSERT INTO refresh_tokens (token_hash, family_id, generation, "
                       "issued_at_ms) VALUES (?1, ?2, ?3, ?4)");
  bind_bytes(st, 1, hash);
  st.bind(2, family_id);
  st.bind(3, generation);
  st.bind(4, issued_at_ms);
  st.exec();
}

bool SqliteWriteTransaction::retire_refresh_token(const tokens::TokenHash& hash,
                                                  std::int64_t now_ms) {
  SQLite::Statement st(db_,
                       "UPDATE refresh_tokens SET retired_at_ms = ?2 "
                       "WHERE token_hash = ?1 AND retired_at_ms IS NULL");
  bind_bytes(st, 1, hash);
  st.bind(2, now_ms);
  return st.exec() == 1;
}

bool SqliteWriteTransaction::advance_refresh_family(std::int64_t family_id,
                                                    std::int64_t from_generation,
                                                    std::int64_t now_ms) {
  SQLite::Statement st(db_,
                       "UPDATE refresh_families SET current_generation = ?3, rotated_at_ms = ?4 "
                       "WHERE id = ?1 AND current_generation = ?2 AND revoked_at_ms IS NULL");
  st.bind(1, family_id);
  st.bind(2, from_generation);
  st.bind(3, from_generation + 1);
  st.bind(4, now_ms);
  return st.exec() == 1;
}

void SqliteWriteTransaction::revoke_refresh_family(std::int64_t family_id, std::int64_t now_ms) {
  SQLite::Statement st(db_,
                       "UPDATE refresh_families SET revoked_at_ms = ?2 "
                       "WHERE id = ?1 AND revoked_at_ms IS NULL");
  st.bind(1, family_id);
  st.bind(2, now_ms);
  st.exec();
}

void SqliteWriteTransaction::revoke_refresh_families_of(std::int64_t user_id, std::int64_t now_ms) {
  SQLite::Statement st(db_,
                       "UPDATE refresh_families SET revoked_at_ms = ?2 "
                       "WHERE user_id = ?1 AND revoked_at_ms IS NULL");
  st.bind(1, user_id);
  st.bind(2, now_ms);
  st.exec();
}

}  // namespace connect_auth::storage::sqlite
