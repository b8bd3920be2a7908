// Accounts on SQLite: the AccountStore methods and the account statements.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

Result<Account> SqliteStore::find_account(std::string_view guid) {
  return runner_->read<Account>(kAccountText, [&](SQLite::Database& db) -> Result<Account> {
    SQLite::Statement st(db, sql("SELECT ", kAccountColumns, " FROM accounts WHERE guid = ?1"));
    bind_text(st, 1, guid);
    if (!st.executeStep()) return make_error(ErrorCode::kStorageNotFound, "account not found");
    return account_from(st);
  });
}

Result<std::vector<Account>> SqliteStore::list_accounts() {
  return runner_->read<std::vector<Account>>(kAccountText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, sql("SELECT ", kAccountColumns, " FROM accounts ORDER BY guid"));
    std::vector<Account> out;
    while (st.executeStep()) out.push_back(account_from(st));
    return Result<std::vector<Account>>(std::move(out));
  });
}

bool SqliteWriteTransaction::account_exists(std::string_view guid) {
  SQLite::Statement st(db_, "SELECT 1 FROM accounts WHERE guid = ?1");
  bind_text(st, 1, guid);
  return st.executeStep();
}

void SqliteWriteTransaction::insert_account(const Account& account) {
  SQLite::Statement st(db_,
                       "INSERT INTO accounts (guid, company_name, country_code, active) "
                       "VALUES (?1, ?2, ?3, ?4)");
  bind_text(st, 1, account.guid);
  bind_text(st, 2, account.company_name);
  bind_text(st, 3, account.country_code);
  bind_bool(st, 4, account.active);
  st.exec();
}

bool SqliteWriteTransaction::update_account_active(std::string_view guid, bool active) {
  SQLite::Statement st(db_, "UPDATE accounts SET active = ?1 WHERE guid = ?2");
  bind_bool(st, 1, active);
  bind_text(st, 2, guid);
  return st.exec() != 0;
}

}  // namespace connect_auth::storage::sqlite
