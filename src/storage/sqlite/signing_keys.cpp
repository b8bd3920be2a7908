// Signing keys on SQLite: the SigningKeyStore methods and the signing-key statements.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

Result<std::vector<SigningKey>> SqliteStore::list_signing_keys() {
  return runner_->read<std::vector<SigningKey>>(kSigningKeyText, [&](SQLite::Database& db) {
    SQLite::Statement st(
        db, sql("SELECT ", kSigningKeyColumns, " FROM signing_keys ORDER BY created_at, kid"));
    std::vector<SigningKey> out;
    while (st.executeStep()) out.push_back(signing_key_from(st));
    return Result<std::vector<SigningKey>>(std::move(out));
  });
}

void SqliteWriteTransaction::insert_signing_key_row(const SigningKey& key) {
  SQLite::Statement st(db_,
                       "INSERT INTO signing_keys (kid, algorithm, sealed_material, created_at, "
                       "active, retired_at, activates_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  bind_text(st, 1, key.kid);
  bind_text(st, 2, key.algorithm);
  bind_bytes(st, 3, key.sealed_material);
  st.bind(4, key.created_at);
  bind_bool(st, 5, key.active);
  if (key.retired_at) {
    st.bind(6, *key.retired_at);
  } else {
    st.bind(6);  // NULL
  }
  st.bind(7, key.activates_at);
  st.exec();
}

void SqliteWriteTransaction::lock_signing_keys(std::string_view) {
  // Nothing to do: the write transaction holds SQLite's one write lock.
}

std::optional<std::int64_t> SqliteWriteTransaction::newest_live_signer_created_at(
    std::string_view algorithm, std::int64_t at_unix_s) {
  SQLite::Statement st(db_,
                       "SELECT max(created_at) FROM signing_keys WHERE algorithm = ?1 "
                       "AND active = 1 AND (retired_at IS NULL OR retired_at > ?2)");
  bind_text(st, 1, algorithm);
  st.bind(2, at_unix_s);
  if (!st.executeStep() || st.isColumnNull(0)) return std::nullopt;
  return int_at(st, 0);
}

std::vector<std::string> SqliteWriteTransaction::retire_other_signing_keys(
    std::string_view algorithm, std::string_view keep_kid, std::int64_t at_unix_s) {
  // Only rows this changes: a key already retired by then keeps its retired_at.
  SQLite::Statement st(db_,
                       "UPDATE signing_keys SET active = 0, "
                       "  retired_at = CASE WHEN retired_at IS NULL OR retired_at > ?3 THEN ?3 "
                       "                    ELSE retired_at END "
                       "WHERE algorithm = ?1 AND kid <> ?2 "
                       "  AND (active = 1 OR retired_at IS NULL OR retired_at > ?3) "
                       "RETURNING kid");
  bind_text(st, 1, algorithm);
  bind_text(st, 2, keep_kid);
  st.bind(3, at_unix_s);
  return texts_of(st);
}

std::vector<std::string> SqliteWriteTransaction::delete_signing_keys_retired_before(
    std::int64_t before_unix_s) {
  SQLite::Statement st(db_,
                       "DELETE FROM signing_keys "
                       "WHERE retired_at IS NOT NULL AND retired_at < ?1 RETURNING kid");
  st.bind(1, before_unix_s);
  return texts_of(st);
}

}  // namespace connect_auth::storage::sqlite
