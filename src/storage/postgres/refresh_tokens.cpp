// Refresh tokens on PostgreSQL: the RefreshTokenStore methods and the refresh statements. A
// redemption is one READ COMMITTED transaction under the family's row lock, committed (durably,
// with the server's synchronous_commit) before the store returns.
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/row_codec.h"

namespace connect_auth::storage::postgres {

Result<RefreshTokenStatus> PgStore::inspect_refresh_token(const tokens::TokenHash& token_hash) {
  return runner_->read<RefreshTokenStatus>(kRefreshText, [&](PgConnection& conn) {
    return Result<RefreshTokenStatus>(read_refresh_token(conn, token_hash, false));
  });
}

Result<void> PgStore::prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) {
  return runner_->write_statements<void>(kRefreshText, [&](PgConnection& conn) {
    PgParams p;
    p.int64(before_ms);
    // A family's tokens go with it (ON DELETE CASCADE).
    run(conn, "refresh_families_prune",
        "DELETE FROM refresh_families WHERE revoked_at_ms < $1 OR absolute_expires_at_ms < $1", p);
    // A token idle-expires at issued_at_ms + idle_ms (refresh_rules.h). Retired tokens are not
    // deleted sooner: they serve grace-period retries and reuse detection.
    PgParams q;
    q.int64(before_ms).int64(idle_ms);
    run(conn, "refresh_tokens_prune", "DELETE FROM refresh_tokens WHERE issued_at_ms + $2 < $1", q);
    return Result<void>(Ok{});
  });
}

RefreshTokenStatus read_refresh_token(PgConnection& conn, const tokens::TokenHash& hash,
                                      bool lock) {
  RefreshTokenStatus status;
  PgParams by_hash;
  by_hash.bytes(hash);
  // The family first, locked when asked: the token row is read only once we hold the lock, so
  // it reflects every redemption that committed before ours (READ COMMITTED reads afresh).
  static constexpr const char* kFamily =
      "SELECT f.id, f.user_id, f.current_generation, f.rotated_at_ms, "
      "  f.absolute_expires_at_ms, f.revoked_at_ms IS NOT NULL, f.scope, u.user_name, u.disabled "
      "FROM refresh_families f JOIN users u ON u.id = f.user_id "
      "WHERE f.id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)";
  const PgResult family =
      lock ? run(conn, "refresh_family_for_update", std::string(kFamily) + " FOR UPDATE OF f",
                 by_hash, kRefreshText)
           : run(conn, "refresh_family_of_token", kFamily, by_hash, kRefreshText);
  if (family.rows() == 0) return status;
  const PgResult token =
      run(conn, "refresh_token_by_hash",
          "SELECT family_id, generation, issued_at_ms, retired_at_ms IS NOT NULL "
          "FROM refresh_tokens WHERE token_hash = $1",
          by_hash, kRefreshText);
  if (token.rows() == 0) return status;  // pruned in between
  status.token = RefreshTokenRow{token.get_int64(0, 0), token.get_int64(0, 1),
                                 token.get_int64(0, 2), token.get_bool(0, 3)};
  status.family =
      RefreshFamilyRow{family.get_int64(0, 0), family.get_int64(0, 1), family.get_int64(0, 2),
                       family.get_int64(0, 3), family.get_int64(0, 4), family.get_bool(0, 5)};
  status.scope = family.get_text(0, 6);
  status.user_name = family.get_key(0, 7);
  status.user_disabled = family.get_bool(0, 8);
  return status;
}

RefreshTokenStatus PgWriteTransaction::read_refresh_token_for_update(
    const tokens::TokenHash& hash) {
  return read_refresh_token(conn_, hash, true);
}

std::optional<std::int64_t> PgWriteTransaction::refresh_family_of(const tokens::TokenHash& hash) {
  PgParams p;
  p.bytes(hash);
  const PgResult r =
      exec("refresh_token_family", "SELECT family_id FROM refresh_tokens WHERE token_hash = $1", p);
  if (r.rows() == 0) return std::nullopt;
  return r.get_int64(0, 0);
}

std::int64_t PgWriteTransaction::insert_refresh_family(const NewRefreshFamily& family) {
  PgParams p;
  p.int64(family.user_id)
      .text(family.scope)
      .int64(family.now_ms)
      .int64(family.absolute_expires_at_ms);
  return exec("refresh_family_insert",
              "INSERT INTO refresh_families (user_id, scope, current_generation, rotated_at_ms, "
              "created_at_ms, absolute_expires_at_ms) VALUES ($1, $2, 1, $3, $3, $4) RETURNING id",
              p)
      .get_int64(0, 0);
}

void PgWriteTransaction::insert_refresh_token(const tokens::TokenHash& hash, std::int64_t family_id,
                                              std::int64_t generation, std::int64_t issued_at_ms) {
  PgParams p;
  p.bytes(hash).int64(family_id).int64(generation).int64(issued_at_ms);
  exec("refresh_token_insert",
       "INSERT INTO refresh_tokens (token_hash, family_id, generation, issued_at_ms) "
       "VALUES ($1, $2, $3, $4)",
       p);
}

bool PgWriteTransaction::retire_refresh_token(const tokens::TokenHash& hash, std::int64_t now_ms) {
  PgParams p;
  p.bytes(hash).int64(now_ms);
  return exec("refresh_token_retire",
              "UPDATE refresh_tokens SET retired_at_ms = $2 "
              "WHERE token_hash = $1 AND retired_at_ms IS NULL",
              p)
             .affected_rows() == 1;
}

bool PgWriteTransaction::advance_refresh_family(std::int64_t family_id,
                                                std::int64_t from_generation, std::int64_t now_ms) {
  PgParams p;
  p.int64(family_id).int64(from_generation).int64(from_generation + 1).int64(now_ms);
  return exec("refresh_family_advance",
              "UPDATE refresh_families SET current_generation = $3, rotated_at_ms = $4 "
              "WHERE id = $1 AND current_generation = $2 AND revoked_at_ms IS NULL",
              p)
             .affected_rows() == 1;
}

void PgWriteTransaction::revoke_refresh_family(std::int64_t family_id, std::int64_t now_ms) {
  PgParams p;
  p.int64(family_id).int64(now_ms);
  exec("refresh_family_revoke",
       "UPDATE refresh_families SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL", p);
}

void PgWriteTransaction::revoke_refresh_families_of(std::int64_t user_id, std::int64_t now_ms) {
  PgParams p;
  p.int64(user_id).int64(now_ms);
  exec("refresh_families_revoke_of_user",
       "UPDATE refresh_families SET revoked_at_ms = $2 "
       "WHERE user_id = $1 AND revoked_at_ms IS NULL",
       p);
}

}  // namespace connect_auth::storage::postgres
