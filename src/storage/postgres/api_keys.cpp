// API keys on PostgreSQL: the ApiKeyStore methods and the key statements.
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/row_codec.h"

namespace connect_auth::storage::postgres {

Result<ApiKey> PgStore::find_api_key(std::string_view api_id) {
  return runner_->read<ApiKey>(kApiKeyText, [&](PgConnection& conn) -> Result<ApiKey> {
    PgParams p;
    p.key(api_id);
    const PgResult r =
        run(conn, "api_key_by_id",
            std::string("SELECT ") + kApiKeyColumns + " FROM api_keys WHERE api_id = $1", p);
    if (r.rows() == 0) return make_error(ErrorCode::kStorageNotFound, "api key not found");
    ApiKey key = api_key_from(r, 0);
    key.account_guids = keys_of(run(conn, "api_key_accounts_of_key",
                                    "SELECT account_guid FROM api_key_accounts "
                                    "WHERE api_id = $1 ORDER BY account_guid",
                                    p));
    return key;
  });
}

Result<std::vector<ApiKey>> PgStore::list_api_keys(std::optional<std::int64_t> user_id) {
  return runner_->read<std::vector<ApiKey>>(kApiKeyText, [&](PgConnection& conn) {
    return Result<std::vector<ApiKey>>(read_api_keys(conn, user_id));
  });
}

void PgWriteTransaction::insert_api_key(const ApiKey& key) {
  PgParams p;
  p.key(key.api_id)
      .int64(key.user_id)
      .bytes(key.secret_hash)
      .int64(key.generation)
      .int64(key.created_at)
      .int64(key.updated_at)
      .boolean(key.may_introspect);
  exec("api_key_insert",
       "INSERT INTO api_keys (api_id, user_id, secret_hash, generation, created_at, updated_at, "
       "may_introspect) VALUES ($1, $2, $3, $4, $5, $6, $7)",
       p);
}

void PgWriteTransaction::insert_api_key_account(std::string_view api_id,
                                                std::string_view account_guid) {
  PgParams p;
  p.key(api_id).key(account_guid);
  exec("api_key_account_insert",
       "INSERT INTO api_key_accounts (api_id, account_guid) VALUES ($1, $2)", p);
}

std::optional<std::int64_t> PgWriteTransaction::replace_api_key_secret(
    std::string_view api_id, const tokens::SecretHash& new_hash, std::int64_t now_unix_s) {
  // One statement replaces the hash and bumps the generation, so no reader can see the new hash
  // with the old generation or the reverse.
  PgParams p;
  p.bytes(new_hash).int64(now_unix_s).key(api_id);
  const PgResult r = exec("api_key_replace_secret",
                          "UPDATE api_keys SET secret_hash = $1, generation = generation + 1, "
                          "updated_at = $2 WHERE api_id = $3 RETURNING generation",
                          p);
  if (r.rows() == 0) return std::nullopt;
  return r.get_int64(0, 0);
}

std::vector<std::string> PgWriteTransaction::advance_api_key_generations_of(std::int64_t user_id) {
  PgParams p;
  p.int64(user_id);
  return keys_of(exec("api_keys_advance_generation_of_user",
                      "UPDATE api_keys SET generation = generation + 1 WHERE user_id = $1 "
                      "RETURNING api_id",
                      p));
}

bool PgWriteTransaction::delete_api_key_row(std::string_view api_id) {
  // api_key_accounts rows go with it (ON DELETE CASCADE).
  PgParams p;
  p.key(api_id);
  return exec("api_key_delete", "DELETE FROM api_keys WHERE api_id = $1", p).affected_rows() != 0;
}

bool PgWriteTransaction::update_api_key_introspection(std::string_view api_id, bool allowed) {
  PgParams p;
  p.key(api_id).boolean(allowed);
  return exec("api_key_set_introspection",
              "UPDATE api_keys SET may_introspect = $2 WHERE api_id = $1", p)
             .affected_rows() != 0;
}

}  // namespace connect_auth::storage::postgres
