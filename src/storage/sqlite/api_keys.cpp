// API keys on SQLite: the ApiKeyStore methods and the key statements.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

Result<ApiKey> SqliteStore::find_api_key(std::string_view api_id) {
  return runner_->read<ApiKey>(kApiKeyText, [&](SQLite::Database& db) -> Result<ApiKey> {
    SQLite::Statement st(db, sql("SELECT ", kApiKeyColumns, " FROM api_keys WHERE api_id = ?1"));
    bind_text(st, 1, api_id);
    if (!st.executeStep()) return make_error(ErrorCode::kStorageNotFound, "api key not found");
    ApiKey key = api_key_from(st);
    SQLite::Statement accounts(db,
                               "SELECT account_guid FROM api_key_accounts WHERE api_id = ?1 "
                               "ORDER BY account_guid");
    bind_text(accounts, 1, api_id);
    key.account_guids = texts_of(accounts);
    return key;
  });
}

Result<std::vector<ApiKey>> SqliteStore::list_api_keys(std::optional<std::int64_t> user_id) {
  return runner_->read<std::vector<ApiKey>>(kApiKeyText, [&](SQLite::Database& db) {
    return Result<std::vector<ApiKey>>(read_api_keys(db, user_id));
  });
}

void SqliteWriteTransaction::insert_api_key(const ApiKey& key) {
  SQLite::Statement st(db_,
                       "INSERT INTO api_keys (api_id, user_id, secret_hash, generation, "
                       "created_at, updated_at, may_introspect) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  bind_text(st, 1, key.api_id);
  st.bind(2, key.user_id);
  bind_bytes(st, 3, key.secret_hash);
  st.bind(4, key.generation);
  st.bind(5, key.created_at);
  st.bind(6, key.updated_at);
  bind_bool(st, 7, key.may_introspect);
  st.exec();
}

void SqliteWriteTransaction::insert_api_key_account(std::string_view api_id,
                                                    std::string_view account_guid) {
  SQLite::Statement st(db_, "INSERT INTO api_key_accounts (api_id, account_guid) VALUES (?1, ?2)");
  bind_text(st, 1, api_id);
  bind_text(st, 2, account_guid);
  st.exec();
}

std::optional<std::int64_t> SqliteWriteTransaction::replace_api_key_secret(
    std::string_view api_id, const tokens::SecretHash& new_hash, std::int64_t now_unix_s) {
  // One statement replaces the hash and bumps the generation, so no reader can see the new hash
  // with the old generation or the reverse.
  SQLite::Statement st(db_,
                       "UPDATE api_keys SET secret_hash = ?1, generation = generation + 1, "
                       "updated_at = ?2 WHERE api_id = ?3 RETURNING generation");
  bind_bytes(st, 1, new_hash);
  st.bind(2, now_unix_s);
  bind_text(st, 3, api_id);
  if (!st.executeStep()) return std::nullopt;
  const std::int64_t generation = int_at(st, 0);
  st.reset();  // finished before COMMIT
  return generation;
}

std::vector<std::string> SqliteWriteTransaction::advance_api_key_generations_of(
    std::int64_t user_id) {
  SQLite::Statement st(db_,
                       "UPDATE api_keys SET generation = generation + 1 "
                       "WHERE user_id = ?1 RETURNING api_id");
  st.bind(1, user_id);
  return texts_of(st);
}

bool SqliteWriteTransaction::delete_api_key_row(std::string_view api_id) {
  // api_key_accounts rows go with it (ON DELETE CASCADE).
  SQLite::Statement st(db_, "DELETE FROM api_keys WHERE api_id = ?1");
  bind_text(st, 1, api_id);
  return st.exec() != 0;
}

bool SqliteWriteTransaction::update_api_key_introspection(std::string_view api_id, bool allowed) {
  SQLite::Statement st(db_, "UPDATE api_keys SET may_introspect = ?2 WHERE api_id = ?1");
  bind_text(st, 1, api_id);
  bind_bool(st, 2, allowed);
  return st.exec() != 0;
}

}  // namespace connect_auth::storage::sqlite
