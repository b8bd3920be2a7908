// One libpq connection (RAII over PGconn), used by one thread at a time.
//
// - Parameterised only: every statement goes through PQexecParams or PQexecPrepared with its
//   values in PgParams, never spliced into the SQL text.
// - Prepared statements are cached per connection, keyed by name: the first exec_prepared()
//   of a name on a connection prepares it (one round trip), later ones only execute it. The
//   cache lives as long as the server session, which is exactly as long as this object.
// - Failures come back as values (pg_error.h); a failure that leaves the connection unusable
//   marks it, and the pool then closes it instead of handing it out again.
// - LISTEN/NOTIFY: listen() plus take_notifications() / wait_for_notifications(), and socket()
//   for callers that wait in their own poll loop. Use a dedicated connection for listening: a
//   pooled one is UNLISTENed when it goes back to the pool.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "storage/postgres/pg_error.h"
#include "storage/postgres/pg_params.h"
#include "storage/postgres/pg_result.h"

struct pg_conn;  // libpq's PGconn

namespace connect_auth::storage::postgres {

struct PgConnectOptions {
  // Used when the URL sets no connect_timeout of its own (libpq waits forever by default).
  // At least 2 s: libpq's own minimum.
  std::chrono::seconds connect_timeout{5};
  // Session settings; 0 turns one off. A lock wait (a row lock held by another node, the
  // change-feed lock) fails after lock_timeout as kStorageUnavailable, like SQLite's busy
  // timeout; statement_timeout bounds everything else; an abandoned transaction cannot hold
  // its locks longer than idle_in_transaction_timeout.
  std::chrono::milliseconds lock_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  std::chrono::milliseconds idle_in_transaction_timeout{60000};
};

enum class PgIsolation : std::uint8_t { kReadCommitted, kRepeatableRead, kSerializable };
enum class PgAccess : std::uint8_t { kReadWrite, kReadOnly };

struct PgNotification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the notifying backend's process id
};

class PgConnection {
 public:
  // Dials `url`, a "postgresql://" or "postgres://" URI in libpq's syntax (TLS as its sslmode
  // asks). The connection speaks UTF-8 whatever the URL says. Errors: kInvalidRequest for a
  // URL libpq cannot parse, kStorageUnavailable for a server that cannot be reached or refuses
  // us; neither description contains the URL or anything from it.
  static Result<std::unique_ptr<PgConnection>> connect(std::string_view url,
                                                       const PgConnectOptions& options = {});
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement, unprepared (one-off statements, DDL).
  Result<PgResult> exec(std::string_view sql, const PgParams& params = {},
                        const ErrorText& text = {});
  // One statement, prepared on first use under `name` ([a-z0-9_], ≤ 63 chars). The parameter
  // types of the first call are fixed for the statement's life. Reusing a name for other SQL
  // is a bug, answered with kInternal.
  Result<PgResult> exec_prepared(std::string_view name, std::string_view sql,
                                 const PgParams& params = {}, const ErrorText& text = {});
  bool is_prepared(std::string_view name) const;
  std::size_t prepared_count() const noexcept { return prepared_.size(); }

  Result<void> begin(PgIsolation isolation = PgIsolation::kReadCommitted,
                     PgAccess access = PgAccess::kReadWrite);
  // A COMMIT that fails (or that the server turns into a rollback because the transaction had
  // already failed) is an error; one whose answer never arrived is kStorageUnavailable with the
  // outcome unknown, like any lost connection.
  Result<void> commit(const ErrorText& text = {});
  Result<void> rollback();
  bool in_transaction() const noexcept;

  // LISTEN on `channel` ([a-z0-9_], ≤ 63 chars: it is an identifier and cannot be a parameter).
  Result<void> listen(std::string_view channel);
  Result<void> unlisten_all();
  bool listening() const noexcept { return listening_; }
  // pg_notify(channel, payload): delivered to listeners when the current transaction commits.
  Result<void> notify(std::string_view channel, std::string_view payload);
  // Reads what the server has sent without blocking and returns the notifications received.
  Result<std::vector<PgNotification>> take_notifications();
  // Like take_notifications(), but waits up to `timeout` for at least one to arrive.
  Result<std::vector<PgNotification>> wait_for_notifications(std::chrono::milliseconds timeout);
  // The socket to poll() for readability before calling take_notifications().
  int socket() const noexcept;

  // One round trip ("SELECT 1").
  Result<void> ping();
  // No round trip: reads whatever the server already sent (the FATAL message and end of stream
  // of a terminated backend, a restart) and tells whether the connection still looks usable.
  bool probe();

  // False once the connection is lost or a failure showed it unusable.
  bool usable() const noexcept;
  void mark_broken() noexcept { broken_ = true; }
  // SQLSTATE of the last failed command ("" after a success, or when the server sent none).
  const std::string& last_sqlstate() const noexcept { return last_sqlstate_; }
  int backend_pid() const noexcept;
  int server_version() const noexcept;  // e.g. 150018
  // A setting the server reports at connect and on change (server_encoding, TimeZone, …);
  // "" if unknown. No round trip.
  std::string_view server_parameter(const char* name) const noexcept;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  Result<PgResult> finish(pg_result* result, const ErrorText& text);
  Error fail(pg_result* result, const ErrorText& text);
  Result<void> run(const char* sql, const ErrorText& text = {});

  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // name → SQL
  std::string last_sqlstate_;
  bool broken_ = false;
  bool listening_ = false;
};

}  // namespace connect_auth::storage::postgres
