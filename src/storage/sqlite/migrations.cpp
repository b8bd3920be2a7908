#include "storage/sqlite/migrations.h"

#include <array>

namespace connect_auth::storage::sqlite {
namespace {

// Design notes for version 1:
// - STRICT tables (SQLite ≥ 3.37) refuse a value of the wrong type instead of silently
//   storing it, so a binding mistake is an error, not corrupted data.
// - Text keys use the BINARY collation (the default, spelled out where it matters): user names
//   and ids compare as exact bytes, so "Ops@acme.test" never matches "ops@acme.test" and
//   Unicode look-alikes never match each other.
// - users.id is AUTOINCREMENT so an id is never reused: v4 tokens carry it in `uid`.
// - changes.seq is AUTOINCREMENT so a sequence number is never reused after pruning, and
//   sqlite serialises writers, so seqs become visible in commit order (the feed has no holes).
// - change_feed.pruned_through: every change with seq > pruned_through is still stored, so
//   changes_since() can tell exactly when a reader's position has been pruned away.
// - Child-side indexes on foreign keys keep FK checks from scanning the child table.
constexpr const char* kV1InitialSchema = R"sql(
CREATE TABLE accounts (
  guid         TEXT    NOT NULL PRIMARY KEY COLLATE BINARY,
  company_name TEXT    NOT NULL,
  country_code TEXT    NOT NULL,
  active       INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  user_name     TEXT    NOT NULL COLLATE BINARY UNIQUE,
  password_hash TEXT    NOT NULL,
  disabled      INTEGER NOT NULL CHECK (disabled IN (0, 1))
) STRICT;

CREATE TABLE user_roles (
  user_id      INTEGER NOT NULL REFERENCES users (id),
  account_guid TEXT    NOT NULL REFERENCES accounts (guid),
  role         TEXT    NOT NULL CHECK (role IN ('ADMINISTRATOR', 'MANAGER', 'REPORTING')),
  PRIMARY KEY (user_id, account_guid)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_roles_by_account ON user_roles (account_guid);

CREATE TABLE api_keys (
  api_id      TEXT    NOT NULL PRIMARY KEY COLLATE BINARY,
  user_id     INTEGER NOT NULL REFERENCES users (id),
  secret_hash BLOB    NOT NULL CHECK (length(secret_hash) = 32),
  generation  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX api_keys_by_user ON api_keys (user_id);

CREATE TABLE api_key_accounts (
  api_id       TEXT NOT NULL REFERENCES api_keys (api_id) ON DELETE CASCADE,
  account_guid TEXT NOT NULL REFERENCES accounts (guid),
  PRIMARY KEY (api_id, account_guid)
) STRICT, WITHOUT ROWID;
CREATE INDEX api_key_accounts_by_account ON api_key_accounts (account_guid);

CREATE TABLE signing_keys (
  kid             TEXT    NOT NULL PRIMARY KEY COLLATE BINARY,
  algorithm       TEXT    NOT NULL,
  sealed_material BLOB    NOT NULL,
  created_at      INTEGER NOT NULL,
  active          INTEGER NOT NULL CHECK (active IN (0, 1)),
  retired_at      INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE changes (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT    NOT NULL CHECK (kind IN ('api_key', 'account', 'user', 'signing_key')),
  ref  TEXT    NOT NULL,
  at   INTEGER NOT NULL
) STRICT;

CREATE TABLE change_feed (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  pruned_through INTEGER NOT NULL
) STRICT;
INSERT INTO change_feed (id, pruned_through) VALUES (1, 0);
)sql";

// Version 2: v4 sign-in (wire-contract §3, bad-inputs §E/§F).
// - users.sessions_not_before: access tokens issued before it are refused (store.h).
// - signing_keys.activates_at: existing keys get created_at, so "the latest activates_at signs"
//   keeps choosing the key that signed before the upgrade.
// - refresh_families / refresh_tokens: a family is one login's chain of rotated tokens. Tokens
//   are keyed by their hash (no rowid: the hash is the only way in); deleting a family deletes
//   its tokens. families.id is AUTOINCREMENT so an id is never reused after pruning.
// - login_failures: throttling counters shared by every node, keyed by caller-chosen text.
constexpr const char* kV2SignIn = R"sql(
ALTER TABLE users ADD COLUMN sessions_not_before INTEGER NOT NULL DEFAULT 0;

ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;
UPDATE signing_keys SET activates_at = created_at;

CREATE TABLE refresh_families (
  id                     INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id                INTEGER NOT NULL REFERENCES users (id),
  scope                  TEXT    NOT NULL,
  current_generation     INTEGER NOT NULL CHECK (current_generation >= 1),
  rotated_at_ms          INTEGER NOT NULL,
  created_at_ms          INTEGER NOT NULL,
  absolute_expires_at_ms INTEGER NOT NULL,
  revoked_at_ms          INTEGER
) STRICT;
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

CREATE TABLE refresh_tokens (
  token_hash    BLOB    NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),
  family_id     INTEGER NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
  generation    INTEGER NOT NULL CHECK (generation >= 1),
  issued_at_ms  INTEGER NOT NULL,
  retired_at_ms INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

CREATE TABLE login_failures (
  key             TEXT    NOT NULL PRIMARY KEY COLLATE BINARY,
  count           INTEGER NOT NULL CHECK (count >= 1),
  last_failure_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// Version 3: the standard OAuth surface (wire-contract §6).
// - api_keys.may_introspect: the RFC 7662 permission, off for existing keys.
// - revoked_access_tokens: RFC 7009 revocation of access tokens by jti, until their exp.
// - changes.kind gains 'access_token' (a revocation reaches every node's cache through the
//   feed). SQLite cannot alter a CHECK, so the table is rebuilt with the same rows, and the
//   AUTOINCREMENT counter is carried over so no feed position is ever handed out twice.
constexpr const char* kV3StandardOAuth = R"sql(
ALTER TABLE api_keys ADD COLUMN may_introspect INTEGER NOT NULL DEFAULT 0
  CHECK (may_introspect IN (0, 1));

CREATE TABLE revoked_access_tokens (
  jti        TEXT    NOT NULL PRIMARY KEY COLLATE BINARY,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE changes_v3 (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT    NOT NULL
       CHECK (kind IN ('api_key', 'account', 'user', 'signing_key', 'access_token')),
  ref  TEXT    NOT NULL,
  at   INTEGER NOT NULL
) STRICT;
INSERT INTO changes_v3 (seq, kind, ref, at) SELECT seq, kind, ref, at FROM changes;
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'changes_v3', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'changes_v3');
UPDATE sqlite_sequence
  SET seq = max(seq,
                coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0),
                (SELECT pruned_through FROM change_feed WHERE id = 1))
  WHERE name = 'changes_v3';
DROP TABLE changes;
ALTER TABLE changes_v3 RENAME TO changes;
)sql";

constexpr std::array<Migration, 3> kMigrations{{
    {1, kV1InitialSchema},
    {2, kV2SignIn},
    {3, kV3StandardOAuth},
}};

constexpr bool versions_are_dense() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(versions_are_dense(), "migration versions must be 1, 2, 3, … in order");

}  // namespace

std::span<const Migration> migrations() noexcept { return kMigrations; }

int latest_schema_version() noexcept { return kMigrations.back().version; }

}  // namespace connect_auth::storage::sqlite
