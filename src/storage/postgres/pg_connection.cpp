#include "storage/postgres/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <string>
#include <utility>

namespace connect_auth::storage::postgres {
namespace {

// Nothing here needs more than 10 (identity columns); the tests run on 15, and releases older
// than 12 are refused rather than trusted untested.
constexpr int kMinServerVersion = 120000;
constexpr std::size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1

// Statement names and channels are identifiers, which cannot be parameters. Allowing only
// this alphabet means they never need quoting and never carry anything a caller typed.
bool is_plain_identifier(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIdentifier && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Error unavailable(const char* why) {
  return make_error(ErrorCode::kStorageUnavailable, std::string("database unavailable: ") + why);
}

std::string millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::connect(std::string_view url,
                                                            const PgConnectOptions& options) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return make_error(ErrorCode::kInvalidRequest,
                      "a PostgreSQL URL starts with postgresql:// or postgres://");
  }
  const std::string conninfo(url);
  if (conninfo.find('\0') != std::string::npos) {
    return make_error(ErrorCode::kInvalidRequest, "invalid PostgreSQL URL: it contains NUL");
  }
  // Parsed apart first so a typo is told from an unreachable server. libpq's parse message
  // can quote the URL, password included, so it is freed unread.
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parse_error != nullptr) PQfreemem(parse_error);
  if (parsed == nullptr) {
    return make_error(ErrorCode::kInvalidRequest, "invalid PostgreSQL URL (libpq cannot parse it)");
  }
  PQconninfoFree(parsed);

  // Keywords are applied in order and the URL ("dbname", expanded) overrides the ones before
  // it, so these are defaults an operator can change in the URL: a bounded connect, and TCP
  // keepalives that notice a dead peer in about half a minute instead of the kernel's hours.
  // client_encoding comes after it and so always holds: the store's text is UTF-8 bytes.
  // libpq takes at least 2 s (it reads 1 as 2), so that is the floor here too.
  const std::string connect_timeout = std::to_string(
      std::max<long long>(2, static_cast<long long>(options.connect_timeout.count())));
  const std::array<std::pair<const char*, const char*>, 7> conninfo_defaults{{
      {"connect_timeout", connect_timeout.c_str()},
      {"keepalives_idle", "15"},
      {"keepalives_interval", "5"},
      {"keepalives_count", "3"},
      {"fallback_application_name", "connect-auth"},
      {"dbname", conninfo.c_str()},
      {"client_encoding", "UTF8"},
  }};
  std::array<const char*, conninfo_defaults.size() + 1> keywords{};  // NULL-terminated for libpq
  std::array<const char*, conninfo_defaults.size() + 1> values{};
  for (std::size_t i = 0; i < conninfo_defaults.size(); ++i) {
    keywords[i] = conninfo_defaults[i].first;
    values[i] = conninfo_defaults[i].second;
  }
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return unavailable("cannot connect (out of memory)");
  auto owned = std::unique_ptr<PgConnection>(new PgConnection(conn));
  // libpq's default prints notices and asynchronous errors to stderr. A library must not
  // write there, and the server's texts can quote values; the SQLSTATE path is what we use.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn) != CONNECTION_OK) {
    // PQerrorMessage() names hosts and users (and is never shown); these hints are ours.
    if (PQconnectionNeedsPassword(conn) != 0) {
      return unavailable("cannot connect: the server asks for a password and none was given");
    }
    return unavailable("cannot connect");
  }
  if (PQserverVersion(conn) < kMinServerVersion) {
    return unavailable("PostgreSQL 12 or newer is required");
  }
  // Session settings in one round trip, as parameters. bytea_output=hex pins the format
  // PgResult::get_bytes reads, whatever the server's configuration says.
  PgParams settings;
  settings.text(millis(options.lock_timeout))
      .text(millis(options.statement_timeout))
      .text(millis(options.idle_in_transaction_timeout));
  auto set = owned->exec(
      "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false),"
      " set_config('idle_in_transaction_session_timeout', $3, false),"
      " set_config('bytea_output', 'hex', false)",
      settings);
  if (!set) return std::move(set).error();
  return owned;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Error PgConnection::fail(pg_result* result, const ErrorText& text) {
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  last_sqlstate_ = state == nullptr ? "" : state;
  const PgFault fault{last_sqlstate_, PQstatus(conn_) != CONNECTION_OK};
  if (fault_breaks_connection(fault)) broken_ = true;
  return error_from_fault(fault, text);
}

Result<PgResult> PgConnection::finish(pg_result* result, const ErrorText& text) {
  PgResult owned(result);  // cleared on every path
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
    last_sqlstate_.clear();
    return owned;
  }
  if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) return fail(result, text);
  // An empty query, COPY, a pipeline state: nothing this library sends can produce them.
  last_sqlstate_.clear();
  return make_error(ErrorCode::kInternal, "unexpected database answer");
}

Result<PgResult> PgConnection::exec(std::string_view sql, const PgParams& params,
                                    const ErrorText& text) {
  if (params.too_large()) return make_error(ErrorCode::kInternal, "a parameter is too large");
  const std::string statement(sql);
  return finish(PQexecParams(conn_, statement.c_str(), params.size(), params.types(),
                             params.values(), params.lengths(), params.formats(), 0),
                text);
}

Result<PgResult> PgConnection::exec_prepared(std::string_view name, std::string_view sql,
                                             const PgParams& params, const ErrorText& text) {
  if (!is_plain_identifier(name)) {
    return make_error(ErrorCode::kInternal, "invalid prepared statement name");
  }
  if (params.too_large()) return make_error(ErrorCode::kInternal, "a parameter is too large");
  const std::string key(name);
  const auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    const std::string statement(sql);
    // Not transactional on the server: a statement prepared inside a transaction that then
    // rolls back stays prepared, so caching it here right away is correct.
    auto prepared = finish(
        PQprepare(conn_, key.c_str(), statement.c_str(), params.size(), params.types()), text);
    if (!prepared) return std::move(prepared).error();
    prepared_.emplace(key, statement);
  } else if (it->second != sql) {
    return make_error(ErrorCode::kInternal, "prepared statement name reused for other SQL");
  }
  auto result = finish(PQexecPrepared(conn_, key.c_str(), params.size(), params.values(),
                                      params.lengths(), params.formats(), 0),
                       text);
  if (!result && last_sqlstate_ == "0A000") {
    // "cached plan must not change result type": the schema changed under a prepared
    // statement. A fresh connection prepares it anew; this one is retired.
    broken_ = true;
    return unavailable("a prepared statement went stale; try again");
  }
  return result;
}

bool PgConnection::is_prepared(std::string_view name) const {
  return prepared_.contains(std::string(name));
}

Result<void> PgConnection::run(const char* sql, const ErrorText& text) {
  auto result = exec(sql, {}, text);
  if (!result) return std::move(result).error();
  return Ok{};
}

Result<void> PgConnection::begin(PgIsolation isolation, PgAccess access) {
  const bool ro = access == PgAccess::kReadOnly;
  switch (isolation) {
    case PgIsolation::kReadCommitted:
      return run(ro ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
                    : "BEGIN ISOLATION LEVEL READ COMMITTED");
    case PgIsolation::kRepeatableRead:
      return run(ro ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                    : "BEGIN ISOLATION LEVEL REPEATABLE READ");
    case PgIsolation::kSerializable:
      return run(ro ? "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"
                    : "BEGIN ISOLATION LEVEL SERIALIZABLE");
  }
  return make_error(ErrorCode::kInternal, "unknown isolation level");
}

Result<void> PgConnection::commit(const ErrorText& text) {
  // The server answers COMMIT of a failed transaction with a successful "ROLLBACK"; reporting
  // that as success would make a caller act on writes that never happened.
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    (void)rollback();
    return make_error(ErrorCode::kInternal, "commit of a failed transaction");
  }
  auto result = exec("COMMIT", {}, text);
  if (!result) return std::move(result).error();
  if (result->command_tag() != "COMMIT") {
    return make_error(ErrorCode::kInternal, "commit of a failed transaction");
  }
  return Ok{};
}

Result<void> PgConnection::rollback() { return run("ROLLBACK"); }

bool PgConnection::in_transaction() const noexcept {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

Result<void> PgConnection::listen(std::string_view channel) {
  if (!is_plain_identifier(channel)) return make_error(ErrorCode::kInternal, "invalid channel");
  // LISTEN takes an identifier, not a parameter; the alphabet check above makes it inert.
  const std::string sql = "LISTEN " + std::string(channel);
  if (auto done = run(sql.c_str()); !done) return done;
  listening_ = true;
  return Ok{};
}

Result<void> PgConnection::unlisten_all() {
  if (auto done = run("UNLISTEN *"); !done) return done;
  listening_ = false;
  while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);  // drop what was already received
  return Ok{};
}

Result<void> PgConnection::notify(std::string_view channel, std::string_view payload) {
  if (!is_plain_identifier(channel)) return make_error(ErrorCode::kInternal, "invalid channel");
  PgParams params;
  params.text(channel).text(payload);
  auto result = exec("SELECT pg_notify($1, $2)", params);
  if (!result) return std::move(result).error();
  return Ok{};
}

Result<std::vector<PgNotification>> PgConnection::take_notifications() {
  if (PQconsumeInput(conn_) == 0) {
    broken_ = true;
    return unavailable("the connection was lost");
  }
  std::vector<PgNotification> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.push_back({n->relname, n->extra == nullptr ? "" : n->extra, n->be_pid});
    PQfreemem(n);
  }
  return out;
}

Result<std::vector<PgNotification>> PgConnection::wait_for_notifications(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto got = take_notifications();
    if (!got || !got->empty()) return got;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return got;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) {
      broken_ = true;
      return unavailable("the connection was lost");
    }
    const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return unavailable("cannot wait for notifications");
  }
}

int PgConnection::socket() const noexcept { return PQsocket(conn_); }

Result<void> PgConnection::ping() { return run("SELECT 1"); }

bool PgConnection::probe() {
  // A terminated backend sends a FATAL error, then closes: one read may see only the message,
  // the next one the end of the stream. A few reads, without ever blocking, see both.
  for (int reads = 0; reads < 4 && usable(); ++reads) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return false;
    if (::poll(&fd, 1, 0) <= 0) break;  // nothing sent: as healthy as we can tell
    if (PQconsumeInput(conn_) == 0) broken_ = true;
  }
  return usable();
}

bool PgConnection::usable() const noexcept { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

int PgConnection::backend_pid() const noexcept { return PQbackendPID(conn_); }

int PgConnection::server_version() const noexcept { return PQserverVersion(conn_); }

std::string_view PgConnection::server_parameter(const char* name) const noexcept {
  const char* value = PQparameterStatus(conn_, name);
  return value == nullptr ? std::string_view() : std::string_view(value);
}

}  // namespace connect_auth::storage::postgres
