#include "storage/sqlite/sqlite_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "storage/record_names.h"
#include "storage/refresh_rules.h"
#include "storage/sqlite/connection_pool.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/sqlite_error.h"
#include "storage/sqlite/writer_gate.h"

namespace connect_auth::storage {

using sqlite::ConnectionPool;
using sqlite::ErrorText;

namespace {

// STRICT tables need 3.37; RETURNING needs 3.35.
constexpr int kMinSqliteVersion = 3037000;

// Thrown while decoding a row the schema should have made impossible (a bad enum text, a hash
// of the wrong length); turned into kInternal before it can leave the store.
struct MalformedRow {};

enum class TxMode : std::uint8_t { kRead, kWrite };

// Runs `fn(db)` in one transaction on a pooled connection and converts every failure into the
// store's error contract: nothing thrown inside escapes. Writes use BEGIN IMMEDIATE, which
// takes the write lock up front (waiting up to the busy timeout): a deferred transaction that
// read first and then tried to write could fail with SQLITE_BUSY at the upgrade, which no busy
// timeout can fix. Reads use a deferred transaction, so several queries see one snapshot.
//
// Writers of one store also queue at `writers` first. SQLite admits one writer at a time
// anyway; without the gate, same-process writers would wait in SQLite's busy handler, which
// polls with sleeps of up to 100 ms, instead of being handed the turn at once. Other processes
// still meet the busy timeout. Correctness never depends on this gate, only latency.
template <class T, class Fn>
Result<T> transact(ConnectionPool& pool, sqlite::WriterGate& writers, TxMode mode,
                   const ErrorText& text, Fn&& fn) {
  std::optional<sqlite::WriterGate::Pass> pass;
  if (mode == TxMode::kWrite) {
    if (!writers.enter(std::chrono::milliseconds(sqlite::kBusyTimeoutMs))) {
      return make_error(ErrorCode::kStorageUnavailable,
                        "database unavailable: another write is taking too long");
    }
    pass.emplace(&writers);
  }
  auto lease = pool.acquire();
  if (!lease) return std::move(lease).error();
  try {
    SQLite::Transaction tx(lease->db(), mode == TxMode::kWrite
                                            ? SQLite::TransactionBehavior::IMMEDIATE
                                            : SQLite::TransactionBehavior::DEFERRED);
    Result<T> result = fn(lease->db());
    if (result.ok()) tx.commit();
    return result;  // on error, ~Transaction rolls back
  } catch (const SQLite::Exception& e) {
    Error error = sqlite::error_from_exception(e, text);
    if (error.code == ErrorCode::kStorageUnavailable) lease->discard();
    return error;
  } catch (const MalformedRow&) {
    return make_error(ErrorCode::kInternal, "stored data is malformed");
  } catch (const std::exception&) {
    return make_error(ErrorCode::kInternal, "unexpected storage failure");
  }
}

}  // namespace

// One caller's write in a group-commit batch (group_commit.h): `apply` runs the caller's
// statements inside the batch transaction and records its result, returning whether the writes
// stand; `fail` overwrites that result when the batch as a whole did not commit.
struct sqlite::BatchedWrite {
  std::function<bool(SQLite::Database&)> apply;
  std::function<void(const Error&)> fail;
};

namespace {

// At most this many requests share one transaction: bounds how long one batch holds the write
// lock and how much one failed commit takes down with it.
constexpr std::size_t kMaxBatch = 256;

using Batches = sqlite::GroupCommit<sqlite::BatchedWrite>;

// Runs one batch as one write transaction. Each request gets its own SAVEPOINT, so a request
// that fails (a uniqueness clash, a missing user) undoes only its own writes. An engine fault
// thrown by any request, or a failed BEGIN or COMMIT, fails every request of the batch with
// the transaction's error: nothing of it was committed, so no caller may act as if it had been.
void run_batch(ConnectionPool& pool, sqlite::WriterGate& writers,
               std::span<sqlite::BatchedWrite* const> batch) {
  const Result<void> committed =
      transact<void>(pool, writers, TxMode::kWrite, {}, [&](SQLite::Database& db) -> Result<void> {
        for (sqlite::BatchedWrite* write : batch) {
          db.exec("SAVEPOINT request");
          const bool keep = write->apply(db);
          // Some errors make SQLite roll back the whole transaction by itself. Going on would
          // run later requests in autocommit mode, and the requests before would be lost
          // while reported as done.
          if (sqlite3_get_autocommit(db.getHandle()) != 0) {
            return make_error(ErrorCode::kStorageUnavailable,
                              "database unavailable: the transaction was aborted");
          }
          if (keep) {
            db.exec("RELEASE request");
          } else {
            db.exec("ROLLBACK TO request");
            db.exec("RELEASE request");
          }
        }
        return Ok{};
      });
  if (!committed) {
    for (sqlite::BatchedWrite* write : batch) write->fail(committed.error());
  }
}

// Like transact(kWrite), but the transaction (and its fsync) is shared with whatever other
// batched writes arrive meanwhile. Returns once the batch holding this write has committed.
template <class T, class Fn>
Result<T> batched(Batches& batches, ConnectionPool& pool, sqlite::WriterGate& writers,
                  const ErrorText& text, Fn&& fn) {
  std::optional<Result<T>> result;
  sqlite::BatchedWrite write{
      [&](SQLite::Database& db) {
        try {
          result.emplace(fn(db));
        } catch (const SQLite::Exception& e) {
          Error error = sqlite::error_from_exception(e, text);
          // An engine fault may have cost the whole transaction: fail the batch as one.
          if (error.code == ErrorCode::kStorageUnavailable) throw;
          result.emplace(std::move(error));
        } catch (const MalformedRow&) {
          result.emplace(make_error(ErrorCode::kInternal, "stored data is malformed"));
        } catch (const std::exception&) {
          result.emplace(make_error(ErrorCode::kInternal, "unexpected storage failure"));
        }
        return result->ok();
      },
      [&](const Error& error) { result.emplace(error); }};
  batches.submit(write, [&](std::span<sqlite::BatchedWrite* const> batch) {
    run_batch(pool, writers, batch);
  });
  if (!result) return make_error(ErrorCode::kInternal, "unexpected storage failure");
  return std::move(*result);
}

Error not_found(std::string_view what) {
  return make_error(ErrorCode::kStorageNotFound, std::string(what));
}

// --- binding. Values are always bound, never spliced into SQL text (bad-inputs.md §G).

void bind_text(SQLite::Statement& st, int index, std::string_view value) {
  st.bind(index, std::string(value));  // bound with its length: embedded NULs are kept
}

void bind_bool(SQLite::Statement& st, int index, bool value) {
  st.bind(index, static_cast<std::int32_t>(value ? 1 : 0));
}

void bind_blob(SQLite::Statement& st, int index, const std::uint8_t* data, std::size_t size) {
  // A null pointer would bind SQL NULL, not an empty blob.
  static constexpr std::uint8_t kEmpty = 0;
  st.bind(index, size == 0 ? &kEmpty : data, static_cast<int>(size));
}

// --- decoding

std::string text_at(const SQLite::Statement& st, int index) {
  return st.getColumn(index).getString();
}

std::string_view text_view_at(const SQLite::Statement& st, int index) {
  const SQLite::Column column = st.getColumn(index);
  const char* text = column.getText();
  return {text, static_cast<std::size_t>(column.getBytes())};
}

std::int64_t int_at(const SQLite::Statement& st, int index) {
  return st.getColumn(index).getInt64();
}

bool bool_at(const SQLite::Statement& st, int index) { return int_at(st, index) != 0; }

std::vector<std::uint8_t> blob_at(const SQLite::Statement& st, int index) {
  const SQLite::Column column = st.getColumn(index);
  const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
  return {data, data + column.getBytes()};
}

SecretHash hash_at(const SQLite::Statement& st, int index) {
  const SQLite::Column column = st.getColumn(index);
  const void* data = column.getBlob();
  SecretHash hash{};
  if (column.getBytes() != static_cast<int>(hash.size())) throw MalformedRow{};
  std::memcpy(hash.data(), data, hash.size());
  return hash;
}

constexpr const char* kAccountColumns = "guid, company_name, country_code, active";
Account account_from(const SQLite::Statement& st) {
  return Account{text_at(st, 0), text_at(st, 1), text_at(st, 2), bool_at(st, 3)};
}

constexpr const char* kUserColumns = "id, user_name, password_hash, disabled, sessions_not_before";
User user_from(const SQLite::Statement& st) {
  return User{int_at(st, 0), text_at(st, 1), text_at(st, 2), bool_at(st, 3), int_at(st, 4)};
}

RoleGrant grant_from(const SQLite::Statement& st) {  // user_id, account_guid, role
  const auto role = role_from_name(text_view_at(st, 2));
  if (!role) throw MalformedRow{};
  return RoleGrant{int_at(st, 0), text_at(st, 1), *role};
}

constexpr const char* kApiKeyColumns =
    "api_id, user_id, secret_hash, generation, created_at, updated_at, may_introspect";
ApiKey api_key_from(const SQLite::Statement& st) {
  ApiKey key;
  key.api_id = text_at(st, 0);
  key.user_id = int_at(st, 1);
  key.secret_hash = hash_at(st, 2);
  key.generation = int_at(st, 3);
  key.created_at = int_at(st, 4);
  key.updated_at = int_at(st, 5);
  key.may_introspect = bool_at(st, 6);
  return key;
}

constexpr const char* kSigningKeyColumns =
    "kid, algorithm, sealed_material, created_at, active, retired_at, activates_at";
SigningKey signing_key_from(const SQLite::Statement& st) {
  SigningKey key;
  key.kid = text_at(st, 0);
  key.algorithm = text_at(st, 1);
  key.sealed_material = blob_at(st, 2);
  key.created_at = int_at(st, 3);
  key.active = bool_at(st, 4);
  if (!st.isColumnNull(5)) key.retired_at = int_at(st, 5);
  key.activates_at = int_at(st, 6);
  return key;
}

std::string sql(std::string_view head, const char* columns, std::string_view tail) {
  std::string out(head);
  out += columns;
  out += tail;
  return out;
}

// Fills each key's account_guids from `rows` (api_id, account_guid), which must be ordered by
// api_id like `keys`, then by account_guid: one pass, no query per key.
void attach_accounts(std::vector<ApiKey>& keys, SQLite::Statement& rows) {
  std::size_t i = 0;
  while (rows.executeStep()) {
    const std::string_view api_id = text_view_at(rows, 0);
    // Same collation on both sides, so equal ids line up; a row whose key is missing from
    // `keys` cannot exist (foreign key), so running off the end means corruption.
    while (i < keys.size() && keys[i].api_id != api_id) ++i;
    if (i == keys.size()) throw MalformedRow{};
    keys[i].account_guids.push_back(text_at(rows, 1));
  }
}

std::vector<ApiKey> read_api_keys(SQLite::Database& db, std::optional<std::int64_t> user_id) {
  std::vector<ApiKey> keys;
  SQLite::Statement key_rows(db, sql("SELECT ", kApiKeyColumns,
                                     user_id ? " FROM api_keys WHERE user_id = ?1 ORDER BY api_id"
                                             : " FROM api_keys ORDER BY api_id"));
  if (user_id) key_rows.bind(1, *user_id);
  while (key_rows.executeStep()) keys.push_back(api_key_from(key_rows));

  SQLite::Statement account_rows(
      db, user_id ? "SELECT a.api_id, a.account_guid FROM api_key_accounts a "
                    "JOIN api_keys k ON k.api_id = a.api_id WHERE k.user_id = ?1 "
                    "ORDER BY a.api_id, a.account_guid"
                  : "SELECT api_id, account_guid FROM api_key_accounts "
                    "ORDER BY api_id, account_guid");
  if (user_id) account_rows.bind(1, *user_id);
  attach_accounts(keys, account_rows);
  return keys;
}

bool row_exists(SQLite::Database& db, const char* query, std::string_view key) {
  SQLite::Statement st(db, query);
  bind_text(st, 1, key);
  return st.executeStep();
}

bool user_exists(SQLite::Database& db, std::int64_t user_id) {
  SQLite::Statement st(db, "SELECT 1 FROM users WHERE id = ?1");
  st.bind(1, user_id);
  return st.executeStep();
}

bool account_exists(SQLite::Database& db, std::string_view guid) {
  return row_exists(db, "SELECT 1 FROM accounts WHERE guid = ?1", guid);
}

void insert_signing_key_row(SQLite::Database& db, const SigningKey& key) {
  SQLite::Statement st(db,
                       "INSERT INTO signing_keys (kid, algorithm, sealed_material, created_at, "
                       "active, retired_at, activates_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  bind_text(st, 1, key.kid);
  bind_text(st, 2, key.algorithm);
  bind_blob(st, 3, key.sealed_material.data(), key.sealed_material.size());
  st.bind(4, key.created_at);
  bind_bool(st, 5, key.active);
  if (key.retired_at) {
    st.bind(6, *key.retired_at);
  } else {
    st.bind(6);  // NULL
  }
  st.bind(7, key.activates_at);
  st.exec();
}

// Ends every session of a user: access tokens issued up to now are refused (iat has one-second
// resolution, hence + 1; never moved backwards) and every live refresh family is revoked.
void end_sessions(SQLite::Database& db, std::int64_t user_id, const Clock& clock) {
  const std::int64_t now_ms = clock.now_millis();
  SQLite::Statement user(
      db, "UPDATE users SET sessions_not_before = max(sessions_not_before, ?2) WHERE id = ?1");
  user.bind(1, user_id);
  user.bind(2, clock.now_seconds() + 1);
  user.exec();
  SQLite::Statement families(db,
                             "UPDATE refresh_families SET revoked_at_ms = ?2 "
                             "WHERE user_id = ?1 AND revoked_at_ms IS NULL");
  families.bind(1, user_id);
  families.bind(2, now_ms);
  families.exec();
}

std::int64_t pruned_through(SQLite::Database& db) {
  return db.execAndGet("SELECT pruned_through FROM change_feed WHERE id = 1").getInt64();
}

// --- opening

// mkdir -p with mode 0700 for the directories we create: the database holds secret hashes.
Result<void> make_parent_directories(const std::filesystem::path& file) {
  const std::filesystem::path parent = file.parent_path();
  std::filesystem::path prefix;
  for (const auto& part : parent) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0700) == 0) continue;
    const int err = errno;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return make_error(ErrorCode::kStorageUnavailable,
                      std::string("cannot create the database directory: ") + std::strerror(err));
  }
  return Ok{};
}

// Creates the file with mode 0600 before SQLite sees it: SQLite would create it 0644 (less the
// umask), and it gives the -wal and -shm files the database file's mode, so all three stay
// private. An existing file keeps its mode: the operator may have chosen a shared group.
Result<void> create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    // The umask can only clear bits, but be explicit rather than trust that.
    ::fchmod(fd, 0600);
    ::close(fd);
    return Ok{};
  }
  const int err = errno;
  if (err == EEXIST) return Ok{};
  return make_error(ErrorCode::kStorageUnavailable,
                    std::string("cannot create the database file: ") + std::strerror(err));
}

Result<void> migrate(SQLite::Database& db, std::int64_t now) {
  // IMMEDIATE: two processes starting at once take turns; the second finds nothing to do.
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
  const std::int64_t current =
      db.execAndGet("SELECT coalesce(max(version), 0) FROM schema_migrations").getInt64();
  const int latest = sqlite::latest_schema_version();
  if (current > latest) {
    // Written by a newer connect-auth: its tables may mean things this build does not know.
    return make_error(ErrorCode::kStorageUnavailable,
                      "database schema version " + std::to_string(current) +
                          " is newer than this build supports (" + std::to_string(latest) +
                          "); upgrade connect-auth");
  }
  for (const sqlite::Migration& m : sqlite::migrations()) {
    if (m.version <= current) continue;
    db.exec(m.sql);
    SQLite::Statement record(db,
                             "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
    record.bind(1, m.version);
    record.bind(2, now);
    record.exec();
  }
  tx.commit();
  return Ok{};
}

}  // namespace

// ------------------------------------------------------------------ lifecycle

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                       std::shared_ptr<const Clock> clock) {
  if (sqlite3_libversion_number() < kMinSqliteVersion) {
    return make_error(ErrorCode::kStorageUnavailable, "SQLite 3.37 or newer is required");
  }
  if (!clock) clock = std::make_shared<SystemClock>();
  if (auto made = make_parent_directories(path); !made) return std::move(made).error();
  if (auto created = create_private_file(path); !created) return std::move(created).error();

  auto pool = std::make_unique<ConnectionPool>(path.string());
  {
    auto lease = pool->acquire();
    if (!lease) return std::move(lease).error();
    try {
      // WAL is a property of the file (it persists), so setting it once at open covers every
      // later connection, in this process and others. Readers then never block the writer.
      const std::string mode = lease->db().execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") {
        return make_error(ErrorCode::kStorageUnavailable,
                          "database unavailable: cannot enable write-ahead logging");
      }
      if (auto migrated = migrate(lease->db(), clock->now_seconds()); !migrated) {
        return std::move(migrated).error();
      }
    } catch (const SQLite::Exception& e) {
      lease->discard();
      return sqlite::error_from_exception(e, {});
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInternal, "unexpected storage failure");
    }
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(pool), std::move(clock)));
}

SqliteStore::SqliteStore(std::unique_ptr<ConnectionPool> pool, std::shared_ptr<const Clock> clock)
    : pool_(std::move(pool)),
      clock_(std::move(clock)),
      writer_(std::make_unique<sqlite::WriterGate>()),
      batches_(std::make_unique<Batches>(kMaxBatch)) {}

SqliteStore::~SqliteStore() = default;

sqlite::GroupCommitStats SqliteStore::group_commit_stats() const { return batches_->stats(); }

void SqliteStore::append_change(SQLite::Database& db, ChangeKind kind, std::string_view ref) {
  SQLite::Statement st(db, "INSERT INTO changes (kind, ref, at) VALUES (?1, ?2, ?3)");
  bind_text(st, 1, change_kind_name(kind));
  bind_text(st, 2, ref);
  st.bind(3, clock_->now_seconds());
  st.exec();
}

// ------------------------------------------------------------------ accounts

namespace {
constexpr ErrorText kAccountText{"account not found", "account already exists",
                                 "account not found"};
constexpr ErrorText kUserText{"user not found", "user name already exists",
                              "user or account not found"};
constexpr ErrorText kApiKeyText{"api key not found", "api key already exists",
                                "user or account not found"};
constexpr ErrorText kSigningKeyText{"signing key not found", "signing key already exists",
                                    "referenced record not found"};
constexpr ErrorText kRefreshText{"refresh token not found", "refresh token already exists",
                                 "user not found"};
constexpr ErrorText kFailureText{"failure count not found", "failure count already exists",
                                 "referenced record not found"};
constexpr ErrorText kChangeText{"change feed position has been pruned", "change already exists",
                                "referenced record not found"};
constexpr ErrorText kRevokedText{"revoked token not found", "revoked token already exists",
                                 "referenced record not found"};
}  // namespace

Result<void> SqliteStore::create_account(const Account& account) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kAccountText, [&](SQLite::Database& db) {
    SQLite::Statement st(db,
                         "INSERT INTO accounts (guid, company_name, country_code, active) "
                         "VALUES (?1, ?2, ?3, ?4)");
    bind_text(st, 1, account.guid);
    bind_text(st, 2, account.company_name);
    bind_text(st, 3, account.country_code);
    bind_bool(st, 4, account.active);
    st.exec();
    append_change(db, ChangeKind::kAccount, account.guid);
    return Result<void>(Ok{});
  });
}

Result<Account> SqliteStore::find_account(std::string_view guid) {
  return transact<Account>(
      *pool_, *writer_, TxMode::kRead, kAccountText, [&](SQLite::Database& db) -> Result<Account> {
        SQLite::Statement st(db, sql("SELECT ", kAccountColumns, " FROM accounts WHERE guid = ?1"));
        bind_text(st, 1, guid);
        if (!st.executeStep()) return not_found(kAccountText.not_found);
        return account_from(st);
      });
}

Result<std::vector<Account>> SqliteStore::list_accounts() {
  return transact<std::vector<Account>>(
      *pool_, *writer_, TxMode::kRead, kAccountText, [&](SQLite::Database& db) {
        SQLite::Statement st(db, sql("SELECT ", kAccountColumns, " FROM accounts ORDER BY guid"));
        std::vector<Account> out;
        while (st.executeStep()) out.push_back(account_from(st));
        return Result<std::vector<Account>>(std::move(out));
      });
}

Result<void> SqliteStore::set_account_active(std::string_view guid, bool active) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kAccountText, [&](SQLite::Database& db) -> Result<void> {
        SQLite::Statement st(db, "UPDATE accounts SET active = ?1 WHERE guid = ?2");
        bind_bool(st, 1, active);
        bind_text(st, 2, guid);
        if (st.exec() == 0) return not_found(kAccountText.not_found);
        append_change(db, ChangeKind::kAccount, guid);
        return Ok{};
      });
}

// ------------------------------------------------------------------ users

Result<std::int64_t> SqliteStore::create_user(std::string_view user_name,
                                              std::string_view password_hash) {
  return transact<std::int64_t>(
      *pool_, *writer_, TxMode::kWrite, kUserText, [&](SQLite::Database& db) {
        SQLite::Statement st(db,
                             "INSERT INTO users (user_name, password_hash, disabled) "
                             "VALUES (?1, ?2, 0)");
        bind_text(st, 1, user_name);
        bind_text(st, 2, password_hash);
        st.exec();
        const std::int64_t id = db.getLastInsertRowid();
        append_change(db, ChangeKind::kUser, std::to_string(id));
        return Result<std::int64_t>(id);
      });
}

Result<User> SqliteStore::find_user_by_name(std::string_view user_name) {
  return transact<User>(
      *pool_, *writer_, TxMode::kRead, kUserText, [&](SQLite::Database& db) -> Result<User> {
        SQLite::Statement st(db, sql("SELECT ", kUserColumns, " FROM users WHERE user_name = ?1"));
        bind_text(st, 1, user_name);
        if (!st.executeStep()) return not_found(kUserText.not_found);
        return user_from(st);
      });
}

Result<User> SqliteStore::find_user_by_id(std::int64_t user_id) {
  return transact<User>(
      *pool_, *writer_, TxMode::kRead, kUserText, [&](SQLite::Database& db) -> Result<User> {
        SQLite::Statement st(db, sql("SELECT ", kUserColumns, " FROM users WHERE id = ?1"));
        st.bind(1, user_id);
        if (!st.executeStep()) return not_found(kUserText.not_found);
        return user_from(st);
      });
}

Result<std::vector<User>> SqliteStore::list_users() {
  return transact<std::vector<User>>(
      *pool_, *writer_, TxMode::kRead, kUserText, [&](SQLite::Database& db) {
        SQLite::Statement st(db, sql("SELECT ", kUserColumns, " FROM users ORDER BY id"));
        std::vector<User> out;
        while (st.executeStep()) out.push_back(user_from(st));
        return Result<std::vector<User>>(std::move(out));
      });
}

Result<void> SqliteStore::set_user_disabled(std::int64_t user_id, bool disabled) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kUserText, [&](SQLite::Database& db) -> Result<void> {
        SQLite::Statement st(db, "UPDATE users SET disabled = ?1 WHERE id = ?2");
        bind_bool(st, 1, disabled);
        st.bind(2, user_id);
        if (st.exec() == 0) return not_found(kUserText.not_found);
        append_change(db, ChangeKind::kUser, std::to_string(user_id));
        if (disabled) {
          end_sessions(db, user_id, *clock_);
          // Disabling revokes every token of the user's keys for good: a
          // later enable must not bring them back (store.h).
          SQLite::Statement keys(db,
                                 "UPDATE api_keys SET generation = generation + 1 "
                                 "WHERE user_id = ?1 RETURNING api_id");
          keys.bind(1, user_id);
          std::vector<std::string> changed;
          while (keys.executeStep()) changed.push_back(keys.getColumn(0));
          for (const auto& api_id : changed) {
            append_change(db, ChangeKind::kApiKey, api_id);
          }
        }
        return Ok{};
      });
}

Result<void> SqliteStore::set_user_password(std::int64_t user_id, std::string_view password_hash) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kUserText, [&](SQLite::Database& db) -> Result<void> {
        SQLite::Statement st(db, "UPDATE users SET password_hash = ?1 WHERE id = ?2");
        bind_text(st, 1, password_hash);
        st.bind(2, user_id);
        if (st.exec() == 0) return not_found(kUserText.not_found);
        end_sessions(db, user_id, *clock_);
        append_change(db, ChangeKind::kUser, std::to_string(user_id));
        return Ok{};
      });
}

Result<void> SqliteStore::grant_role(std::int64_t user_id, std::string_view account_guid,
                                     Role role) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kUserText, [&](SQLite::Database& db) -> Result<void> {
        // Checked up front (inside the write lock, so not racy) to say which one is missing;
        // the foreign keys stay as the backstop.
        if (!user_exists(db, user_id)) return not_found("user not found");
        if (!account_exists(db, account_guid)) return not_found("account not found");
        SQLite::Statement st(
            db,
            "INSERT INTO user_roles (user_id, account_guid, role) "
            "VALUES (?1, ?2, ?3) "
            "ON CONFLICT (user_id, account_guid) DO UPDATE SET role = excluded.role");
        st.bind(1, user_id);
        bind_text(st, 2, account_guid);
        bind_text(st, 3, role_name(role));
        st.exec();
        append_change(db, ChangeKind::kUser, std::to_string(user_id));
        return Ok{};
      });
}

Result<std::vector<RoleGrant>> SqliteStore::list_roles(std::int64_t user_id) {
  return transact<std::vector<RoleGrant>>(
      *pool_, *writer_, TxMode::kRead, kUserText, [&](SQLite::Database& db) {
        SQLite::Statement st(db,
                             "SELECT user_id, account_guid, role FROM user_roles "
                             "WHERE user_id = ?1 ORDER BY account_guid");
        st.bind(1, user_id);
        std::vector<RoleGrant> out;
        while (st.executeStep()) out.push_back(grant_from(st));
        return Result<std::vector<RoleGrant>>(std::move(out));
      });
}

// ------------------------------------------------------------------ API keys

Result<void> SqliteStore::create_api_key(const ApiKey& key) {
  std::vector<std::string> guids = key.account_guids;
  std::sort(guids.begin(), guids.end());
  guids.erase(std::unique(guids.begin(), guids.end()), guids.end());

  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kApiKeyText, [&](SQLite::Database& db) -> Result<void> {
        if (!user_exists(db, key.user_id)) return not_found("user not found");
        for (const std::string& guid : guids) {
          if (!account_exists(db, guid)) return not_found("account not found");
        }
        SQLite::Statement insert_key(
            db,
            "INSERT INTO api_keys (api_id, user_id, secret_hash, generation, created_at, "
            "updated_at, may_introspect) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        bind_text(insert_key, 1, key.api_id);
        insert_key.bind(2, key.user_id);
        bind_blob(insert_key, 3, key.secret_hash.data(), key.secret_hash.size());
        insert_key.bind(4, key.generation);
        insert_key.bind(5, key.created_at);
        insert_key.bind(6, key.updated_at);
        bind_bool(insert_key, 7, key.may_introspect);
        insert_key.exec();

        SQLite::Statement insert_account(
            db, "INSERT INTO api_key_accounts (api_id, account_guid) VALUES (?1, ?2)");
        for (const std::string& guid : guids) {
          insert_account.reset();
          bind_text(insert_account, 1, key.api_id);
          bind_text(insert_account, 2, guid);
          insert_account.exec();
        }
        append_change(db, ChangeKind::kApiKey, key.api_id);
        return Ok{};
      });
}

Result<ApiKey> SqliteStore::find_api_key(std::string_view api_id) {
  return transact<ApiKey>(
      *pool_, *writer_, TxMode::kRead, kApiKeyText, [&](SQLite::Database& db) -> Result<ApiKey> {
        SQLite::Statement st(db,
                             sql("SELECT ", kApiKeyColumns, " FROM api_keys WHERE api_id = ?1"));
        bind_text(st, 1, api_id);
        if (!st.executeStep()) return not_found(kApiKeyText.not_found);
        ApiKey key = api_key_from(st);
        SQLite::Statement accounts(db,
                                   "SELECT account_guid FROM api_key_accounts WHERE api_id = ?1 "
                                   "ORDER BY account_guid");
        bind_text(accounts, 1, api_id);
        while (accounts.executeStep()) key.account_guids.push_back(text_at(accounts, 0));
        return key;
      });
}

Result<std::vector<ApiKey>> SqliteStore::list_api_keys(std::optional<std::int64_t> user_id) {
  return transact<std::vector<ApiKey>>(
      *pool_, *writer_, TxMode::kRead, kApiKeyText, [&](SQLite::Database& db) {
        return Result<std::vector<ApiKey>>(read_api_keys(db, user_id));
      });
}

Result<std::int64_t> SqliteStore::regenerate_api_key(std::string_view api_id,
                                                     const SecretHash& new_hash, std::int64_t now) {
  return transact<std::int64_t>(
      *pool_, *writer_, TxMode::kWrite, kApiKeyText,
      [&](SQLite::Database& db) -> Result<std::int64_t> {
        std::int64_t generation = 0;
        {
          // One statement replaces the hash and bumps the generation, so no reader can see
          // the new hash with the old generation or the reverse. Scoped: the statement must be
          // finished before COMMIT.
          SQLite::Statement st(db,
                               "UPDATE api_keys SET secret_hash = ?1, generation = generation + 1, "
                               "updated_at = ?2 WHERE api_id = ?3 RETURNING generation");
          bind_blob(st, 1, new_hash.data(), new_hash.size());
          st.bind(2, now);
          bind_text(st, 3, api_id);
          if (!st.executeStep()) return not_found(kApiKeyText.not_found);
          generation = int_at(st, 0);
        }
        append_change(db, ChangeKind::kApiKey, api_id);
        return generation;
      });
}

Result<void> SqliteStore::delete_api_key(std::string_view api_id) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kApiKeyText,
                        [&](SQLite::Database& db) -> Result<void> {
                          // api_key_accounts rows go with it (ON DELETE CASCADE).
                          SQLite::Statement st(db, "DELETE FROM api_keys WHERE api_id = ?1");
                          bind_text(st, 1, api_id);
                          if (st.exec() == 0) return not_found(kApiKeyText.not_found);
                          append_change(db, ChangeKind::kApiKey, api_id);
                          return Ok{};
                        });
}

Result<void> SqliteStore::set_api_key_introspection(std::string_view api_id, bool allowed) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kApiKeyText,
                        [&](SQLite::Database& db) -> Result<void> {
                          SQLite::Statement st(
                              db, "UPDATE api_keys SET may_introspect = ?2 WHERE api_id = ?1");
                          bind_text(st, 1, api_id);
                          bind_bool(st, 2, allowed);
                          if (st.exec() == 0) return not_found(kApiKeyText.not_found);
                          append_change(db, ChangeKind::kApiKey, api_id);
                          return Ok{};
                        });
}

// ------------------------------------------------------------------ signing keys

Result<void> SqliteStore::insert_signing_key(const SigningKey& key) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kSigningKeyText,
                        [&](SQLite::Database& db) {
                          insert_signing_key_row(db, key);
                          append_change(db, ChangeKind::kSigningKey, key.kid);
                          return Result<void>(Ok{});
                        });
}

Result<std::vector<SigningKey>> SqliteStore::list_signing_keys() {
  return transact<std::vector<SigningKey>>(
      *pool_, *writer_, TxMode::kRead, kSigningKeyText, [&](SQLite::Database& db) {
        SQLite::Statement st(
            db, sql("SELECT ", kSigningKeyColumns, " FROM signing_keys ORDER BY created_at, kid"));
        std::vector<SigningKey> out;
        while (st.executeStep()) out.push_back(signing_key_from(st));
        return Result<std::vector<SigningKey>>(std::move(out));
      });
}

// ------------------------------------------------------------------ change feed

Result<std::vector<Change>> SqliteStore::changes_since(std::int64_t seq, std::size_t limit) {
  return transact<std::vector<Change>>(
      *pool_, *writer_, TxMode::kRead, kChangeText,
      [&](SQLite::Database& db) -> Result<std::vector<Change>> {
        // Every change with seq > pruned_through is still stored, so a reader at `seq` has
        // missed nothing exactly when seq >= pruned_through. Same transaction as the read
        // below, so a prune in between cannot slip through.
        if (seq < pruned_through(db)) {
          return not_found("change feed position has been pruned; reload the snapshot");
        }
        SQLite::Statement st(db,
                             "SELECT seq, kind, ref FROM changes WHERE seq > ?1 "
                             "ORDER BY seq LIMIT ?2");
        st.bind(1, seq);
        st.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(
                       limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
        std::vector<Change> out;
        while (st.executeStep()) {
          const auto kind = change_kind_from_name(text_view_at(st, 1));
          if (!kind) throw MalformedRow{};
          out.push_back(Change{int_at(st, 0), *kind, text_at(st, 2)});
        }
        return out;
      });
}

Result<AuthSnapshot> SqliteStore::load_auth_snapshot() {
  // One deferred transaction: in WAL mode its first SELECT pins a snapshot of the database,
  // so every table below, and change_seq, come from the same instant. One query per table.
  return transact<AuthSnapshot>(*pool_, *writer_, TxMode::kRead, {}, [&](SQLite::Database& db) {
    AuthSnapshot snap;
    snap.change_seq = db.execAndGet(
                            "SELECT max(coalesce((SELECT max(seq) FROM changes), 0), "
                            "(SELECT pruned_through FROM change_feed WHERE id = 1))")
                          .getInt64();
    {
      SQLite::Statement st(db, sql("SELECT ", kAccountColumns, " FROM accounts ORDER BY guid"));
      while (st.executeStep()) snap.accounts.push_back(account_from(st));
    }
    {
      // No password hash: the cache never verifies passwords, so it should never hold them.
      SQLite::Statement st(
          db, "SELECT id, user_name, disabled, sessions_not_before FROM users ORDER BY id");
      while (st.executeStep()) {
        snap.users.push_back(
            User{int_at(st, 0), text_at(st, 1), {}, bool_at(st, 2), int_at(st, 3)});
      }
    }
    {
      SQLite::Statement st(db,
                           "SELECT user_id, account_guid, role FROM user_roles "
                           "ORDER BY user_id, account_guid");
      while (st.executeStep()) snap.grants.push_back(grant_from(st));
    }
    snap.api_keys = read_api_keys(db, std::nullopt);
    {
      SQLite::Statement st(db, "SELECT jti, expires_at FROM revoked_access_tokens ORDER BY jti");
      while (st.executeStep()) {
        snap.revoked_access_tokens.push_back(RevokedAccessToken{text_at(st, 0), int_at(st, 1)});
      }
    }
    return Result<AuthSnapshot>(std::move(snap));
  });
}

Result<void> SqliteStore::prune_changes(std::int64_t keep_after_unix_seconds) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kChangeText, [&](SQLite::Database& db) -> Result<void> {
        // Prune by position, not by time: everything up to the newest old-enough change goes,
        // so the retained feed never has a hole even if the clock stepped back (a newer change
        // stamped earlier is pruned too, which only makes readers reload sooner).
        SQLite::Statement newest_old(db, "SELECT max(seq) FROM changes WHERE at < ?1");
        newest_old.bind(1, keep_after_unix_seconds);
        if (!newest_old.executeStep() || newest_old.isColumnNull(0)) return Ok{};
        const std::int64_t through = int_at(newest_old, 0);
        newest_old.reset();

        SQLite::Statement remove(db, "DELETE FROM changes WHERE seq <= ?1");
        remove.bind(1, through);
        remove.exec();
        SQLite::Statement mark(db,
                               "UPDATE change_feed SET pruned_through = max(pruned_through, ?1) "
                               "WHERE id = 1");
        mark.bind(1, through);
        mark.exec();
        return Ok{};
      });
}

// ------------------------------------------------------------------ signing key rotation

Result<void> SqliteStore::rotate_signing_key(const SigningKey& key, std::int64_t retire_others_at) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kSigningKeyText, [&](SQLite::Database& db) {
        insert_signing_key_row(db, key);
        append_change(db, ChangeKind::kSigningKey, key.kid);
        // Only rows this changes: a key already retired by then keeps its retired_at.
        SQLite::Statement others(
            db,
            "UPDATE signing_keys SET active = 0, "
            "  retired_at = CASE WHEN retired_at IS NULL OR retired_at > ?3 THEN ?3 "
            "                    ELSE retired_at END "
            "WHERE algorithm = ?1 AND kid <> ?2 "
            "  AND (active = 1 OR retired_at IS NULL OR retired_at > ?3) "
            "RETURNING kid");
        bind_text(others, 1, key.algorithm);
        bind_text(others, 2, key.kid);
        others.bind(3, retire_others_at);
        std::vector<std::string> touched;
        while (others.executeStep()) touched.push_back(text_at(others, 0));
        std::sort(touched.begin(), touched.end());
        for (const std::string& kid : touched) append_change(db, ChangeKind::kSigningKey, kid);
        return Result<void>(Ok{});
      });
}

Result<void> SqliteStore::delete_retired_signing_keys(std::int64_t before) {
  return transact<void>(
      *pool_, *writer_, TxMode::kWrite, kSigningKeyText, [&](SQLite::Database& db) {
        SQLite::Statement st(db,
                             "DELETE FROM signing_keys "
                             "WHERE retired_at IS NOT NULL AND retired_at < ?1 RETURNING kid");
        st.bind(1, before);
        std::vector<std::string> deleted;
        while (st.executeStep()) deleted.push_back(text_at(st, 0));
        std::sort(deleted.begin(), deleted.end());
        for (const std::string& kid : deleted) append_change(db, ChangeKind::kSigningKey, kid);
        return Result<void>(Ok{});
      });
}

// ------------------------------------------------------------------ refresh tokens

namespace {

void insert_refresh_token(SQLite::Database& db, const TokenHash& hash, std::int64_t family_id,
                          std::int64_t generation, std::int64_t issued_at_ms) {
  SQLite::Statement st(db,
                       "INSERT INTO refresh_tokens (token_hash, family_id, generation, "
                       "issued_at_ms) VALUES (?1, ?2, ?3, ?4)");
  bind_blob(st, 1, hash.data(), hash.size());
  st.bind(2, family_id);
  st.bind(3, generation);
  st.bind(4, issued_at_ms);
  st.exec();
}

void revoke_family(SQLite::Database& db, std::int64_t family_id, std::int64_t now_ms) {
  SQLite::Statement st(db,
                       "UPDATE refresh_families SET revoked_at_ms = ?2 "
                       "WHERE id = ?1 AND revoked_at_ms IS NULL");
  st.bind(1, family_id);
  st.bind(2, now_ms);
  st.exec();
}

std::optional<std::int64_t> family_of(SQLite::Database& db, const TokenHash& hash) {
  SQLite::Statement st(db, "SELECT family_id FROM refresh_tokens WHERE token_hash = ?1");
  bind_blob(st, 1, hash.data(), hash.size());
  if (!st.executeStep()) return std::nullopt;
  return int_at(st, 0);
}

// A conditional update that matched nothing: the rows changed between our read and our write.
// Impossible under SQLite's single writer; on an engine without that guarantee it is a retry,
// never a guess at the outcome.
Error changed_concurrently() {
  return make_error(ErrorCode::kStorageUnavailable,
                    "database unavailable: refresh token changed concurrently");
}

// The whole redemption, inside the caller's write transaction: the transaction holds SQLite's
// one write lock, so the rows read here cannot change before our writes (the "row lock").
// A token, its family and owner as they are now (inside the caller's transaction).
RefreshTokenStatus read_refresh_token(SQLite::Database& db, const TokenHash& hash) {
  RefreshTokenStatus status;
  {
    SQLite::Statement st(db,
                         "SELECT family_id, generation, issued_at_ms, retired_at_ms IS NOT NULL "
                         "FROM refresh_tokens WHERE token_hash = ?1");
    bind_blob(st, 1, hash.data(), hash.size());
    if (st.executeStep()) {
      status.token = RefreshTokenRow{int_at(st, 0), int_at(st, 1), int_at(st, 2), bool_at(st, 3)};
    }
  }
  if (status.token) {
    SQLite::Statement st(db,
                         "SELECT f.id, f.user_id, f.current_generation, f.rotated_at_ms, "
                         "  f.absolute_expires_at_ms, f.revoked_at_ms IS NOT NULL, f.scope, "
                         "  u.user_name, u.disabled "
                         "FROM refresh_families f JOIN users u ON u.id = f.user_id "
                         "WHERE f.id = ?1");
    st.bind(1, status.token->family_id);
    if (st.executeStep()) {
      status.family = RefreshFamilyRow{int_at(st, 0), int_at(st, 1), int_at(st, 2),
                                       int_at(st, 3), int_at(st, 4), bool_at(st, 5)};
      status.scope = text_at(st, 6);
      status.user_name = text_at(st, 7);
      status.user_disabled = bool_at(st, 8);
    }
  }
  return status;
}

Result<RedeemedRefresh> redeem(SQLite::Database& db, const RefreshRedemption& r) {
  RefreshTokenStatus status = read_refresh_token(db, r.presented);
  const std::optional<RefreshTokenRow>& token = status.token;
  const std::optional<RefreshFamilyRow>& family = status.family;
  RedeemedRefresh out;
  if (family) {
    out.family_id = family->id;
    out.user_id = family->user_id;
    out.scope = std::move(status.scope);
    out.user_name = std::move(status.user_name);
  }

  out.outcome = decide_refresh(token, family, status.user_disabled, r.now_ms, r.policy);
  switch (out.outcome) {
    case RefreshOutcome::kRotated: {
      SQLite::Statement retire(db,
                               "UPDATE refresh_tokens SET retired_at_ms = ?2 "
                               "WHERE token_hash = ?1 AND retired_at_ms IS NULL");
      bind_blob(retire, 1, r.presented.data(), r.presented.size());
      retire.bind(2, r.now_ms);
      if (retire.exec() != 1) return changed_concurrently();
      // Conditional on the generation we read, so the same statement stays correct on an
      // engine where another writer could get in between.
      SQLite::Statement advance(db,
                                "UPDATE refresh_families "
                                "SET current_generation = ?3, rotated_at_ms = ?4 "
                                "WHERE id = ?1 AND current_generation = ?2 "
                                "  AND revoked_at_ms IS NULL");
      advance.bind(1, family->id);
      advance.bind(2, family->current_generation);
      advance.bind(3, family->current_generation + 1);
      advance.bind(4, r.now_ms);
      if (advance.exec() != 1) return changed_concurrently();
      out.generation = family->current_generation + 1;
      insert_refresh_token(db, r.successor, family->id, out.generation, r.now_ms);
      break;
    }
    case RefreshOutcome::kReplayedInGrace:
      out.generation = family->current_generation;
      insert_refresh_token(db, r.successor, family->id, out.generation, r.now_ms);
      break;
    case RefreshOutcome::kReuseDetected:
    case RefreshOutcome::kUserDisabled: revoke_family(db, family->id, r.now_ms); break;
    case RefreshOutcome::kUnknown:
    case RefreshOutcome::kExpired:
    case RefreshOutcome::kRevoked: break;
  }
  return out;
}

}  // namespace

Result<std::int64_t> SqliteStore::create_refresh_family(const NewRefreshFamily& family) {
  return batched<std::int64_t>(
      *batches_, *pool_, *writer_, kRefreshText, [&](SQLite::Database& db) -> Result<std::int64_t> {
        if (!user_exists(db, family.user_id)) return not_found("user not found");
        SQLite::Statement st(db,
                             "INSERT INTO refresh_families (user_id, scope, current_generation, "
                             "rotated_at_ms, created_at_ms, absolute_expires_at_ms) "
                             "VALUES (?1, ?2, 1, ?3, ?3, ?4)");
        st.bind(1, family.user_id);
        bind_text(st, 2, family.scope);
        st.bind(3, family.now_ms);
        st.bind(4, family.absolute_expires_at_ms);
        st.exec();
        const std::int64_t id = db.getLastInsertRowid();
        insert_refresh_token(db, family.token_hash, id, 1, family.now_ms);
        return id;
      });
}

Result<RedeemedRefresh> SqliteStore::redeem_refresh_token(const RefreshRedemption& redemption) {
  return batched<RedeemedRefresh>(*batches_, *pool_, *writer_, kRefreshText,
                                  [&](SQLite::Database& db) { return redeem(db, redemption); });
}

Result<void> SqliteStore::revoke_refresh_family_of(const TokenHash& token_hash,
                                                   std::int64_t now_ms) {
  return batched<void>(*batches_, *pool_, *writer_, kRefreshText,
                       [&](SQLite::Database& db) -> Result<void> {
                         const auto family_id = family_of(db, token_hash);
                         if (!family_id) return not_found(kRefreshText.not_found);
                         revoke_family(db, *family_id, now_ms);  // revoking twice is a no-op
                         return Ok{};
                       });
}

Result<RefreshTokenStatus> SqliteStore::inspect_refresh_token(const TokenHash& token_hash) {
  return transact<RefreshTokenStatus>(*pool_, *writer_, TxMode::kRead, kRefreshText,
                                      [&](SQLite::Database& db) {
                                        return Result<RefreshTokenStatus>(
                                            read_refresh_token(db, token_hash));
                                      });
}

Result<void> SqliteStore::prune_refresh_tokens(std::int64_t before_ms, std::int64_t idle_ms) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kRefreshText, [&](SQLite::Database& db) {
    // A family's tokens go with it (ON DELETE CASCADE).
    SQLite::Statement families(db,
                               "DELETE FROM refresh_families "
                               "WHERE revoked_at_ms < ?1 OR absolute_expires_at_ms < ?1");
    families.bind(1, before_ms);
    families.exec();
    // A token idle-expires at issued_at_ms + idle_ms (refresh_rules.h). Retired tokens are
    // not deleted sooner: they serve grace-period retries and reuse detection (store.h).
    SQLite::Statement tokens(db, "DELETE FROM refresh_tokens WHERE issued_at_ms + ?2 < ?1");
    tokens.bind(1, before_ms);
    tokens.bind(2, idle_ms);
    tokens.exec();
    return Result<void>(Ok{});
  });
}

// ------------------------------------------------------------------ revoked access tokens

Result<void> SqliteStore::revoke_access_token(const RevokedAccessToken& token) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kRevokedText, [&](SQLite::Database& db) {
    // A second revocation keeps the first row; the feed entry is written only once.
    SQLite::Statement st(db,
                         "INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?1, ?2) "
                         "ON CONFLICT (jti) DO NOTHING");
    bind_text(st, 1, token.jti);
    st.bind(2, token.expires_at);
    if (st.exec() == 1) append_change(db, ChangeKind::kAccessToken, token.jti);
    return Result<void>(Ok{});
  });
}

Result<RevokedAccessToken> SqliteStore::find_revoked_access_token(std::string_view jti) {
  return transact<RevokedAccessToken>(
      *pool_, *writer_, TxMode::kRead, kRevokedText,
      [&](SQLite::Database& db) -> Result<RevokedAccessToken> {
        SQLite::Statement st(db, "SELECT expires_at FROM revoked_access_tokens WHERE jti = ?1");
        bind_text(st, 1, jti);
        if (!st.executeStep()) return not_found(kRevokedText.not_found);
        return RevokedAccessToken{std::string(jti), int_at(st, 0)};
      });
}

Result<void> SqliteStore::prune_revoked_access_tokens(std::int64_t before) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kRevokedText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "DELETE FROM revoked_access_tokens WHERE expires_at < ?1");
    st.bind(1, before);
    st.exec();
    return Result<void>(Ok{});
  });
}

// ------------------------------------------------------------------ failed-login counters

Result<std::vector<FailureCount>> SqliteStore::read_failures(std::span<const std::string> keys) {
  return transact<std::vector<
      FailureCount>>(*pool_, *writer_, TxMode::kRead, kFailureText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "SELECT count, last_failure_ms FROM login_failures WHERE key = ?1");
    std::vector<FailureCount> out;
    out.reserve(keys.size());
    for (const std::string& key : keys) {
      st.reset();
      bind_text(st, 1, key);
      out.push_back(st.executeStep() ? FailureCount{int_at(st, 0), int_at(st, 1)} : FailureCount{});
    }
    return Result<std::vector<FailureCount>>(std::move(out));
  });
}

Result<std::vector<FailureCount>> SqliteStore::record_failures(std::span<const std::string> keys,
                                                               std::int64_t now_ms,
                                                               std::int64_t window_ms) {
  return batched<std::vector<FailureCount>>(
      *batches_, *pool_, *writer_, kFailureText, [&](SQLite::Database& db) {
        // SET expressions see the row as it was, so the window test uses the old timestamp.
        SQLite::Statement st(
            db,
            "INSERT INTO login_failures (key, count, last_failure_ms) VALUES (?1, 1, ?2) "
            "ON CONFLICT (key) DO UPDATE SET "
            "  count = CASE WHEN ?2 - last_failure_ms >= ?3 THEN 1 ELSE count + 1 END, "
            "  last_failure_ms = max(last_failure_ms, ?2) "
            "RETURNING count, last_failure_ms");
        std::vector<FailureCount> out;
        out.reserve(keys.size());
        for (const std::string& key : keys) {
          st.reset();
          bind_text(st, 1, key);
          st.bind(2, now_ms);
          st.bind(3, window_ms);
          if (!st.executeStep()) throw MalformedRow{};
          out.push_back(FailureCount{int_at(st, 0), int_at(st, 1)});
        }
        return Result<std::vector<FailureCount>>(std::move(out));
      });
}

Result<void> SqliteStore::clear_failures(std::span<const std::string> keys) {
  return batched<void>(*batches_, *pool_, *writer_, kFailureText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "DELETE FROM login_failures WHERE key = ?1");
    for (const std::string& key : keys) {
      st.reset();
      bind_text(st, 1, key);
      st.exec();
    }
    return Result<void>(Ok{});
  });
}

Result<void> SqliteStore::prune_failures(std::int64_t last_failure_before_ms) {
  return transact<void>(*pool_, *writer_, TxMode::kWrite, kFailureText, [&](SQLite::Database& db) {
    SQLite::Statement st(db, "DELETE FROM login_failures WHERE last_failure_ms < ?1");
    st.bind(1, last_failure_before_ms);
    st.exec();
    return Result<void>(Ok{});
  });
}

}  // namespace connect_auth::storage
