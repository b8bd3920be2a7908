// Revoked access tokens on PostgreSQL: the AccessTokenRevocationStore methods and statements.
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"

namespace connect_auth::storage::postgres {

Result<RevokedAccessToken> PgStore::find_revoked_access_token(std::string_view jti) {
  return runner_->read<RevokedAccessToken>(
      kRevokedText, [&](PgConnection& conn) -> Result<RevokedAccessToken> {
        PgParams p;
        p.key(jti);
        const PgResult r = run(conn, "revoked_access_token_by_jti",
                               "SELECT expires_at FROM revoked_access_tokens WHERE jti = $1", p);
        if (r.rows() == 0) {
          return make_error(ErrorCode::kStorageNotFound, std::string(kRevokedText.not_found));
        }
        return RevokedAccessToken{std::string(jti), r.get_int64(0, 0)};
      });
}

Result<void> PgStore::prune_revoked_access_tokens(std::int64_t expired_before_unix_s) {
  return runner_->write_statements<void>(kRevokedText, [&](PgConnection& conn) {
    PgParams p;
    p.int64(expired_before_unix_s);
    run(conn, "revoked_access_tokens_prune",
        "DELETE FROM revoked_access_tokens WHERE expires_at < $1", p);
    return Result<void>(Ok{});
  });
}

bool PgWriteTransaction::insert_revoked_access_token(const RevokedAccessToken& token) {
  PgParams p;
  p.key(token.jti).int64(token.expires_at);
  return exec("revoked_access_token_insert",
              "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) "
              "ON CONFLICT (jti) DO NOTHING",
              p)
             .affected_rows() == 1;
}

}  // namespace connect_auth::storage::postgres
