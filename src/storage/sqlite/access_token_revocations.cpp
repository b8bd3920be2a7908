// Revoked access tokens on SQLite: the AccessTokenRevocationStore methods and statements.
#include <SQLiteCpp/Statement.h>

#include "storage/error_texts.h"
#include "storage/sqlite/row_codec.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/sqlite/transaction_runner.h"

namespace connect_auth::storage::sqlite {

Result<RevokedAccessToken> SqliteStore::find_revoked_access_token(std::string_view jti) {
  return runner_->read<RevokedAccessToken>(
      kRevokedText, [&](SQLite::Database& db) -> Result<RevokedAccessToken> {
        SQLite::Statement st(db, "SELECT expires_at FROM revoked_access_tokens WHERE jti = ?1");
        bind_text(st, 1, jti);
        if (!st.executeStep()) {
          return make_error(ErrorCode::kStorageNotFound, std::string(kRevokedText.not_found));
        }
        return RevokedAccessToken{std::string(jti), int_at(st, 0)};
      });
}

Result<void> SqliteStore::prune_revoked_access_tokens(std::int64_t expired_before_unix_s) {
  return runner_->write_statements<void>(kRevokedText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "DELETE FROM revoked_access_tokens WHERE expires_at < ?1");
    st.bind(1, expired_before_unix_s);
    st.exec();
    return Result<void>(Ok{});
  });
}

bool SqliteWriteTransaction::insert_revoked_access_token(const RevokedAccessToken& token) {
  SQLite::Statement st(db_,
                       "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?1, ?2) "
                       "ON CONFLICT (jti) DO NOTHING");
  bind_text(st, 1, token.jti);
  st.bind(2, token.expires_at);
  return st.exec() == 1;
}

}  // namespace connect_auth::storage::sqlite
