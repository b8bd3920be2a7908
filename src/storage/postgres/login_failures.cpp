// Failed-login counters on PostgreSQL. Each count is one atomic upsert, so guesses spread over
// nodes are all counted (login_failure_store.h).
#include <algorithm>
#include <numeric>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"

namespace connect_auth::storage::postgres {

Result<std::vector<FailureCount>> PgStore::read_failures(std::span<const std::string> keys) {
  return runner_->read<std::vector<FailureCount>>(kFailureText, [&](PgConnection& conn) {
    std::vector<FailureCount> out;
    out.reserve(keys.size());
    for (const std::string& key : keys) {
      PgParams p;
      p.key(key);
      const PgResult r = run(conn, "login_failures_read",
                             "SELECT count, last_failure_ms FROM login_failures WHERE key = $1", p);
      out.push_back(r.rows() > 0 ? FailureCount{r.get_int64(0, 0), r.get_int64(0, 1)}
                                 : FailureCount{});
    }
    return Result<std::vector<FailureCount>>(std::move(out));
  });
}

Result<std::vector<FailureCount>> PgStore::record_failures(std::span<const std::string> keys,
                                                           std::int64_t now_ms,
                                                           std::int64_t window_ms) {
  // Rows are locked in key order, whatever order the caller named them in, so two attempts
  // sharing keys can never deadlock; results go back in the caller's order.
  std::vector<std::size_t> order(keys.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  return runner_->write_statements<std::vector<FailureCount>>(
      kFailureText, [&](PgConnection& conn) {
        std::vector<FailureCount> out(keys.size());
        for (const std::size_t i : order) {
          PgParams p;
          p.key(keys[i]).int64(now_ms).int64(window_ms);
          // SET expressions see the row as it was, so the window test uses the old timestamp.
          const PgResult r = run(
              conn, "login_failures_record",
              "INSERT INTO login_failures AS f (key, count, last_failure_ms) VALUES ($1, 1, $2) "
              "ON CONFLICT (key) DO UPDATE SET "
              "  count = CASE WHEN $2 - f.last_failure_ms >= $3 THEN 1 ELSE f.count + 1 END, "
              "  last_failure_ms = GREATEST(f.last_failure_ms, $2) "
              "RETURNING count, last_failure_ms",
              p);
          out[i] = FailureCount{r.get_int64(0, 0), r.get_int64(0, 1)};
        }
        return Result<std::vector<FailureCount>>(std::move(out));
      });
}

Result<void> PgStore::clear_failures(std::span<const std::string> keys) {
  return runner_->write_statements<void>(kFailureText, [&](PgConnection& conn) {
    for (const std::string& key : keys) {
      PgParams p;
      p.key(key);
      run(conn, "login_failures_clear", "DELETE FROM login_failures WHERE key = $1", p);
    }
    return Result<void>(Ok{});
  });
}

Result<void> PgStore::prune_failures(std::int64_t last_failure_before_ms) {
  return runner_->write_statements<void>(kFailureText, [&](PgConnection& conn) {
    PgParams p;
    p.int64(last_failure_before_ms);
    run(conn, "login_failures_prune", "DELETE FROM login_failures WHERE last_failure_ms < $1", p);
    return Result<void>(Ok{});
  });
}

}  // namespace connect_auth::storage::postgres
