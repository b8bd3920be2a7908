// Accounts on PostgreSQL: the AccountStore methods and the account statements.
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/row_codec.h"

namespace connect_auth::storage::postgres {
namespace {
const std::string kSelectAccount = std::string("SELECT ") + kAccountColumns + " FROM accounts";
}  // namespace

Result<Account> PgStore::find_account(std::string_view guid) {
  return runner_->read<Account>(kAccountText, [&](PgConnection& conn) -> Result<Account> {
    PgParams p;
    p.key(guid);
    const PgResult r = run(conn, "account_by_guid", kSelectAccount + " WHERE guid = $1", p);
    if (r.rows() == 0) return make_error(ErrorCode::kStorageNotFound, "account not found");
    return account_from(r, 0);
  });
}

Result<std::vector<Account>> PgStore::list_accounts() {
  return runner_->read<std::vector<Account>>(kAccountText, [&](PgConnection& conn) {
    const PgResult r = run(conn, "accounts_all", kSelectAccount + " ORDER BY guid");
    std::vector<Account> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(account_from(r, i));
    return Result<std::vector<Account>>(std::move(out));
  });
}

bool PgWriteTransaction::account_exists(std::string_view guid) {
  PgParams p;
  p.key(guid);
  return exec("account_exists", "SELECT 1 FROM accounts WHERE guid = $1", p).rows() > 0;
}

void PgWriteTransaction::insert_account(const Account& account) {
  PgParams p;
  p.key(account.guid).text(account.company_name).text(account.country_code).boolean(account.active);
  exec("account_insert",
       "INSERT INTO accounts (guid, company_name, country_code, active) VALUES ($1, $2, $3, $4)",
       p);
}

bool PgWriteTransaction::update_account_active(std::string_view guid, bool active) {
  PgParams p;
  p.boolean(active).key(guid);
  return exec("account_set_active", "UPDATE accounts SET active = $1 WHERE guid = $2", p)
             .affected_rows() != 0;
}

}  // namespace connect_auth::storage::postgres
