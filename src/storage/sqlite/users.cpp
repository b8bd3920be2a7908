// Users and roles on SQLite: the UserStore methods and the user statements.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/record_names.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

namespace {
Result<User> find_user(TransactionRunner& runner, const char* where, auto bind) {
  return runner.read<User>(kUserText, [&](SQLite::Database& db) -> Result<User> {
    SQLite::Statement st(db, sql("SELECT ", kUserColumns, where));
    bind(st);
    if (!st.executeStep()) return make_error(ErrorCode::kStorageNotFound, "user not found");
    return user_from(st);
  });
}
}  // namespace

Result<User> SqliteStore::find_user_by_name(std::string_view user_name) {
  return find_user(*runner_, " FROM users WHERE user_name = ?1",
                   [&](SQLite::Statement& st) { bind_text(st, 1, user_name); });
}

Result<User> SqliteStore::find_user_by_id(std::int64_t user_id) {
  return find_user(*runner_, " FROM users WHERE id = ?1",
                   [&](SQLite::Statement& st) { st.bind(1, user_id); });
}

Result<std::vector<User>> SqliteStore::list_users() {
  return runner_->read<std::vector<User>>(kUserText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, sql("SELECT ", kUserColumns, " FROM users ORDER BY id"));
    std::vector<User> out;
    while (st.executeStep()) out.push_back(user_from(st));
    return Result<std::vector<User>>(std::move(out));
  });
}

Result<std::vector<RoleGrant>> SqliteStore::list_roles(std::int64_t user_id) {
  return runner_->read<std::vector<RoleGrant>>(kUserText, [&](SQLite::Database& db) {
    SQLite::Statement st(db,
                         "SELECT user_id, account_guid, role FROM user_roles "
                         "WHERE user_id = ?1 ORDER BY account_guid");
    st.bind(1, user_id);
    std::vector<RoleGrant> out;
    while (st.executeStep()) out.push_back(grant_from(st));
    return Result<std::vector<RoleGrant>>(std::move(out));
  });
}

bool SqliteWriteTransaction::user_exists(std::int64_t user_id) {
  SQLite::Statement st(db_, "SELECT 1 FROM users WHERE id = ?1");
  st.bind(1, user_id);
  return st.executeStep();
}

std::int64_t SqliteWriteTransaction::insert_user(std::string_view user_name,
                                                 std::string_view password_hash) {
  SQLite::Statement st(db_,
                       "INSERT INTO users (user_name, password_hash, disabled) "
                       "VALUES (?1, ?2, 0)");
  bind_text(st, 1, user_name);
  bind_text(st, 2, password_hash);
  st.exec();
  return db_.getLastInsertRowid();
}

bool SqliteWriteTransaction::update_user_disabled(std::int64_t user_id, bool disabled) {
  SQLite::Statement st(db_, "UPDATE users SET disabled = ?1 WHERE id = ?2");
  bind_bool(st, 1, disabled);
  st.bind(2, user_id);
  return st.exec() != 0;
}

bool SqliteWriteTransaction::update_password_hash(std::int64_t user_id,
                                                  std::string_view password_hash) {
  SQLite::Statement st(db_, "UPDATE users SET password_hash = ?1 WHERE id = ?2");
  bind_text(st, 1, password_hash);
  st.bind(2, user_id);
  return st.exec() != 0;
}

void SqliteWriteTransaction::raise_sessions_not_before(std::int64_t user_id,
                                                       std::int64_t not_before_unix_s) {
  SQLite::Statement st(
      db_, "UPDATE users SET sessions_not_before = max(sessions_not_before, ?2) WHERE id = ?1");
  st.bind(1, user_id);
  st.bind(2, not_before_unix_s);
  st.exec();
}

void SqliteWriteTransaction::upsert_role(std::int64_t user_id, std::string_view account_guid,
                                         Role role) {
  SQLite::Statement st(db_,
                       "INSERT INTO user_roles (user_id, account_guid, role) "
                       "VALUES (?1, ?2, ?3) "
                       "ON CONFLICT (user_id, account_guid) DO UPDATE SET role = excluded.role");
  st.bind(1, user_id);
  bind_text(st, 2, account_guid);
  bind_text(st, 3, role_name(role));
  st.exec();
}

}  // namespace connect_auth::storage::sqlite
