// Users and roles on PostgreSQL: the UserStore methods and the user statements.
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/row_codec.h"
#include "storage/record_names.h"

namespace connect_auth::storage::postgres {
namespace {

const std::string kSelectUser = std::string("SELECT ") + kUserColumns + " FROM users";

template <class Bind>
Result<User> find_user(PgRunner& runner, std::string_view name, const std::string& sql, Bind bind) {
  return runner.read<User>(kUserText, [&](PgConnection& conn) -> Result<User> {
    PgParams p;
    bind(p);
    const PgResult r = run(conn, name, sql, p);
    if (r.rows() == 0) return make_error(ErrorCode::kStorageNotFound, "user not found");
    return user_from(r, 0);
  });
}

}  // namespace

Result<User> PgStore::find_user_by_name(std::string_view user_name) {
  return find_user(*runner_, "user_by_name", kSelectUser + " WHERE user_name = $1",
                   [&](PgParams& p) { p.key(user_name); });
}

Result<User> PgStore::find_user_by_id(std::int64_t user_id) {
  return find_user(*runner_, "user_by_id", kSelectUser + " WHERE id = $1",
                   [&](PgParams& p) { p.int64(user_id); });
}

Result<std::vector<User>> PgStore::list_users() {
  return runner_->read<std::vector<User>>(kUserText, [&](PgConnection& conn) {
    const PgResult r = run(conn, "users_all", kSelectUser + " ORDER BY id");
    std::vector<User> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(user_from(r, i));
    return Result<std::vector<User>>(std::move(out));
  });
}

Result<std::vector<RoleGrant>> PgStore::list_roles(std::int64_t user_id) {
  return runner_->read<std::vector<RoleGrant>>(kUserText, [&](PgConnection& conn) {
    PgParams p;
    p.int64(user_id);
    const PgResult r = run(conn, "roles_of_user",
                           "SELECT user_id, account_guid, role FROM user_roles "
                           "WHERE user_id = $1 ORDER BY account_guid",
                           p);
    std::vector<RoleGrant> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(grant_from(r, i));
    return Result<std::vector<RoleGrant>>(std::move(out));
  });
}

bool PgWriteTransaction::user_exists(std::int64_t user_id) {
  PgParams p;
  p.int64(user_id);
  return exec("user_exists", "SELECT 1 FROM users WHERE id = $1", p).rows() > 0;
}

std::int64_t PgWriteTransaction::insert_user(std::string_view user_name,
                                             std::string_view password_hash) {
  PgParams p;
  p.key(user_name).text(password_hash);
  return exec("user_insert",
              "INSERT INTO users (user_name, password_hash, disabled) VALUES ($1, $2, false) "
              "RETURNING id",
              p)
      .get_int64(0, 0);
}

bool PgWriteTransaction::update_user_disabled(std::int64_t user_id, bool disabled) {
  PgParams p;
  p.boolean(disabled).int64(user_id);
  return exec("user_set_disabled", "UPDATE users SET disabled = $1 WHERE id = $2", p)
             .affected_rows() != 0;
}

bool PgWriteTransaction::update_password_hash(std::int64_t user_id,
                                              std::string_view password_hash) {
  PgParams p;
  p.text(password_hash).int64(user_id);
  return exec("user_set_password", "UPDATE users SET password_hash = $1 WHERE id = $2", p)
             .affected_rows() != 0;
}

void PgWriteTransaction::raise_sessions_not_before(std::int64_t user_id,
                                                   std::int64_t not_before_unix_s) {
  PgParams p;
  p.int64(user_id).int64(not_before_unix_s);
  exec("user_raise_sessions_not_before",
       "UPDATE users SET sessions_not_before = GREATEST(sessions_not_before, $2) WHERE id = $1", p);
}

void PgWriteTransaction::upsert_role(std::int64_t user_id, std::string_view account_guid,
                                     Role role) {
  PgParams p;
  p.int64(user_id).key(account_guid).text(role_name(role));
  exec("role_upsert",
       "INSERT INTO user_roles (user_id, account_guid, role) VALUES ($1, $2, $3) "
       "ON CONFLICT (user_id, account_guid) DO UPDATE SET role = excluded.role",
       p);
}

}  // namespace connect_auth::storage::postgres
