// The change feed on PostgreSQL, and the snapshot the auth cache loads.
//
// Commit order: a write's feed entries are numbered as its last statement, by
//   UPDATE change_feed SET last_seq = last_seq + n … RETURNING last_seq,
// whose row lock is held until COMMIT. A second writer waits on that row until the first has
// committed, then reads the new last_seq: seqs are handed out in commit order, so a poller that
// has seen N can never later find an entry below N appear (schema notes: pg_migrations.cpp).
// The same transaction NOTIFYs every node's listener (kChangeChannel) once it commits.
#include <algorithm>
#include <limits>
#include <string>

#include "storage/postgres/pg_runner.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/row_codec.h"
#include "storage/record_names.h"

namespace connect_auth::storage::postgres {

void flush_changes(PgWriteTransaction& tx) {
  auto& pending = tx.pending_changes();
  if (pending.empty()) return;
  PgConnection& conn = tx.connection();
  PgParams n;
  n.int64(static_cast<std::int64_t>(pending.size()));
  const std::int64_t last =
      run(conn, "change_feed_take_seqs",
          "UPDATE change_feed SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq", n,
          kChangeText)
          .get_int64(0, 0);
  std::int64_t seq = last - static_cast<std::int64_t>(pending.size());
  const std::int64_t at = tx.clock().now_seconds();
  for (const auto& [kind, ref] : pending) {
    PgParams p;
    p.int64(++seq).text(change_kind_name(kind)).key(ref).int64(at);
    run(conn, "change_insert", "INSERT INTO changes (seq, kind, ref, at) VALUES ($1, $2, $3, $4)",
        p, kChangeText);
  }
  PgParams note;
  note.text(kChangeChannel).text(std::to_string(last));
  run(conn, "change_notify", "SELECT pg_notify($1, $2)", note, kChangeText);
  pending.clear();
}

Result<std::vector<Change>> PgStore::changes_since(std::int64_t after_seq, std::size_t limit) {
  return runner_->read<std::vector<Change>>(
      kChangeText, [&](PgConnection& conn) -> Result<std::vector<Change>> {
        // Every entry with seq > pruned_through is still stored; same snapshot as the read below.
        const PgResult feed =
            run(conn, "change_feed_pruned_through",
                "SELECT pruned_through FROM change_feed WHERE id = 1", {}, kChangeText);
        if (after_seq < feed.get_int64(0, 0)) {
          return make_error(ErrorCode::kStorageNotFound,
                            "change feed position has been pruned; reload the snapshot");
        }
        PgParams p;
        p.int64(after_seq).int64(static_cast<std::int64_t>(std::min<std::size_t>(
            limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
        const PgResult r = run(conn, "changes_since",
                               "SELECT seq, kind, ref FROM changes WHERE seq > $1 "
                               "ORDER BY seq LIMIT $2",
                               p, kChangeText);
        std::vector<Change> out;
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) {
          // A kind this build does not know was written by a newer node during a rolling
          // upgrade: skipped, so this node keeps following the feed.
          const auto kind = change_kind_from_name(r.get_text(i, 1));
          if (!kind) continue;
          out.push_back(Change{r.get_int64(i, 0), *kind, r.get_key(i, 2)});
        }
        return out;
      });
}

Result<AuthSnapshot> PgStore::load_auth_snapshot() {
  // One REPEATABLE READ transaction: every table below, and change_seq, from the same snapshot.
  return runner_->read<AuthSnapshot>({}, [&](PgConnection& conn) {
    AuthSnapshot snap;
    snap.change_seq =
        run(conn, "change_feed_last_seq", "SELECT last_seq FROM change_feed WHERE id = 1")
            .get_int64(0, 0);
    {
      const PgResult r =
          run(conn, "snapshot_accounts",
              std::string("SELECT ") + kAccountColumns + " FROM accounts ORDER BY guid");
      for (int i = 0; i < r.rows(); ++i) snap.accounts.push_back(account_from(r, i));
    }
    {
      // No password hash: the cache never verifies passwords, so it should never hold them.
      const PgResult r =
          run(conn, "snapshot_users",
              "SELECT id, user_name, disabled, sessions_not_before FROM users ORDER BY id");
      for (int i = 0; i < r.rows(); ++i) {
        snap.users.push_back(
            User{r.get_int64(i, 0), r.get_key(i, 1), {}, r.get_bool(i, 2), r.get_int64(i, 3)});
      }
    }
    {
      const PgResult r = run(conn, "snapshot_roles",
                             "SELECT user_id, account_guid, role FROM user_roles "
                             "ORDER BY user_id, account_guid");
      for (int i = 0; i < r.rows(); ++i) snap.grants.push_back(grant_from(r, i));
    }
    snap.api_keys = read_api_keys(conn, std::nullopt);
    {
      const PgResult r = run(conn, "snapshot_revoked_access_tokens",
                             "SELECT jti, expires_at FROM revoked_access_tokens ORDER BY jti");
      for (int i = 0; i < r.rows(); ++i) {
        snap.revoked_access_tokens.push_back(
            RevokedAccessToken{r.get_key(i, 0), r.get_int64(i, 1)});
      }
    }
    return Result<AuthSnapshot>(std::move(snap));
  });
}

Result<void> PgStore::prune_changes(std::int64_t keep_after_unix_s) {
  return runner_->write_statements<void>(kChangeText, [&](PgConnection& conn) -> Result<void> {
    // By position, not by time: everything up to the newest old-enough entry goes, so the
    // retained feed never has a hole even if a clock stepped back. The feed row is locked first,
    // as a writer would, so no entry can be numbered while we decide.
    run(conn, "change_feed_lock", "SELECT 1 FROM change_feed WHERE id = 1 FOR UPDATE");
    PgParams p;
    p.int64(keep_after_unix_s);
    const PgResult newest_old =
        run(conn, "changes_newest_old", "SELECT max(seq) FROM changes WHERE at < $1", p);
    if (newest_old.is_null(0, 0)) return Ok{};
    PgParams through;
    through.int64(newest_old.get_int64(0, 0));
    run(conn, "changes_prune", "DELETE FROM changes WHERE seq <= $1", through);
    run(conn, "change_feed_mark_pruned",
        "UPDATE change_feed SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1",
        through);
    return Ok{};
  });
}

}  // namespace connect_auth::storage::postgres
