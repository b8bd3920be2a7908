#include "storage/postgres/row_codec.h"

#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/record_names.h"

namespace connect_auth::storage::postgres {

Account account_from(const PgResult& r, int row) {
  return Account{r.get_key(row, 0), r.get_text(row, 1), r.get_text(row, 2), r.get_bool(row, 3)};
}

User user_from(const PgResult& r, int row) {
  return User{r.get_int64(row, 0), r.get_key(row, 1), r.get_text(row, 2), r.get_bool(row, 3),
              r.get_int64(row, 4)};
}

RoleGrant grant_from(const PgResult& r, int row) {
  const auto role = role_from_name(r.get_text(row, 2));
  if (!role) throw MalformedRow("unknown role");
  return RoleGrant{r.get_int64(row, 0), r.get_key(row, 1), *role};
}

ApiKey api_key_from(const PgResult& r, int row) {
  ApiKey key;
  key.api_id = r.get_key(row, 0);
  key.user_id = r.get_int64(row, 1);
  key.secret_hash = r.get_fixed_bytes<32>(row, 2);
  key.generation = r.get_int64(row, 3);
  key.created_at = r.get_int64(row, 4);
  key.updated_at = r.get_int64(row, 5);
  key.may_introspect = r.get_bool(row, 6);
  return key;
}

SigningKey signing_key_from(const PgResult& r, int row) {
  SigningKey key;
  key.kid = r.get_key(row, 0);
  key.algorithm = r.get_text(row, 1);
  key.sealed_material = r.get_bytes(row, 2);
  key.created_at = r.get_int64(row, 3);
  key.active = r.get_bool(row, 4);
  key.retired_at = r.get_optional_int64(row, 5);
  key.activates_at = r.get_int64(row, 6);
  return key;
}

std::vector<std::string> keys_of(const PgResult& r) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.get_key(i, 0));
  return out;
}

std::vector<ApiKey> read_api_keys(PgConnection& conn, std::optional<std::int64_t> user_id) {
  const std::string columns = kApiKeyColumns;
  PgParams params;
  if (user_id) params.int64(*user_id);
  const PgResult key_rows =
      user_id ? run(conn, "api_keys_of_user",
                    "SELECT " + columns + " FROM api_keys WHERE user_id = $1 ORDER BY api_id",
                    params, kApiKeyText)
              : run(conn, "api_keys_all", "SELECT " + columns + " FROM api_keys ORDER BY api_id",
                    params, kApiKeyText);
  std::vector<ApiKey> keys;
  keys.reserve(static_cast<std::size_t>(key_rows.rows()));
  for (int i = 0; i < key_rows.rows(); ++i) keys.push_back(api_key_from(key_rows, i));

  const PgResult account_rows =
      user_id ? run(conn, "api_key_accounts_of_user",
                    "SELECT a.api_id, a.account_guid FROM api_key_accounts a "
                    "JOIN api_keys k ON k.api_id = a.api_id WHERE k.user_id = $1 "
                    "ORDER BY a.api_id, a.account_guid",
                    params, kApiKeyText)
              : run(conn, "api_key_accounts_all",
                    "SELECT api_id, account_guid FROM api_key_accounts "
                    "ORDER BY api_id, account_guid",
                    params, kApiKeyText);
  // Both ordered by api_id (COLLATE "C" on both sides), so one pass attaches every account.
  std::size_t k = 0;
  for (int i = 0; i < account_rows.rows(); ++i) {
    const std::string api_id = account_rows.get_key(i, 0);
    while (k < keys.size() && keys[k].api_id != api_id) ++k;
    if (k == keys.size()) throw MalformedRow("api key account without its key");
    keys[k].account_guids.push_back(account_rows.get_key(i, 1));
  }
  return keys;
}

}  // namespace connect_auth::storage::postgres
