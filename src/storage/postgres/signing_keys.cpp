// Signing keys on PostgreSQL: the SigningKeyStore methods and the signing-key statements.
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/row_codec.h"

namespace connect_auth::storage::postgres {

Result<std::vector<SigningKey>> PgStore::list_signing_keys() {
  return runner_->read<std::vector<SigningKey>>(kSigningKeyText, [&](PgConnection& conn) {
    const PgResult r = run(conn, "signing_keys_all",
                           std::string("SELECT ") + kSigningKeyColumns +
                               " FROM signing_keys ORDER BY created_at, kid");
    std::vector<SigningKey> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(signing_key_from(r, i));
    return Result<std::vector<SigningKey>>(std::move(out));
  });
}

void PgWriteTransaction::insert_signing_key_row(const SigningKey& key) {
  PgParams p;
  p.key(key.kid)
      .text(key.algorithm)
      .bytes(key.sealed_material)
      .int64(key.created_at)
      .boolean(key.active);
  if (key.retired_at) {
    p.int64(*key.retired_at);
  } else {
    p.null();
  }
  p.int64(key.activates_at);
  exec("signing_key_insert",
       "INSERT INTO signing_keys (kid, algorithm, sealed_material, created_at, active, "
       "retired_at, activates_at) VALUES ($1, $2, $3, $4, $5, $6::bigint, $7)",
       p);
}

void PgWriteTransaction::lock_signing_keys(std::string_view algorithm) {
  // A transaction-scoped advisory lock keyed by the algorithm: two nodes finding a rotation due
  // at once take turns, and the second then sees the first one's key.
  PgParams p;
  p.text(std::string("connect-auth signing keys ") + std::string(algorithm));
  exec("signing_keys_lock", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", p);
}

std::optional<std::int64_t> PgWriteTransaction::newest_live_signer_created_at(
    std::string_view algorithm, std::int64_t at_unix_s) {
  PgParams p;
  p.text(algorithm).int64(at_unix_s);
  const PgResult r = exec("signing_keys_newest_live",
                          "SELECT max(created_at) FROM signing_keys WHERE algorithm = $1 "
                          "AND active AND (retired_at IS NULL OR retired_at > $2)",
                          p);
  if (r.is_null(0, 0)) return std::nullopt;
  return r.get_int64(0, 0);
}

std::vector<std::string> PgWriteTransaction::retire_other_signing_keys(std::string_view algorithm,
                                                                       std::string_view keep_kid,
                                                                       std::int64_t at_unix_s) {
  // Only rows this changes: a key already retired by then keeps its retired_at.
  PgParams p;
  p.text(algorithm).key(keep_kid).int64(at_unix_s);
  return keys_of(exec("signing_keys_retire_others",
                      "UPDATE signing_keys SET active = false, "
                      "  retired_at = CASE WHEN retired_at IS NULL OR retired_at > $3 THEN $3 "
                      "                    ELSE retired_at END "
                      "WHERE algorithm = $1 AND kid <> $2 "
                      "  AND (active OR retired_at IS NULL OR retired_at > $3) "
                      "RETURNING kid",
                      p));
}

std::vector<std::string> PgWriteTransaction::delete_signing_keys_retired_before(
    std::int64_t before_unix_s) {
  PgParams p;
  p.int64(before_unix_s);
  return keys_of(exec("signing_keys_delete_retired",
                      "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1 "
                      "RETURNING kid",
                      p));
}

}  // namespace connect_auth::storage::postgres
