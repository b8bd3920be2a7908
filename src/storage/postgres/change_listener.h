// Wakes a node's cache poller as soon as another node commits a change: one dedicated
// connection LISTENs on kChangeChannel (pg_store.h). The poll stays the fallback: a missed
// notification (the listener reconnecting, a pooler that drops LISTEN) costs at most one poll
// interval, and an engine without LISTEN/NOTIFY simply never wakes it early.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "storage/postgres/pg_connection.h"

namespace connect_auth::storage::postgres {

class ChangeListener {
 public:
  ChangeListener(std::string url, PgConnectOptions options)
      : url_(std::move(url)), options_(options) {}

  // Returns at the first notification, after max_wait, or when `stop` is requested. Dials and
  // LISTENs first when there is no listening connection (a failure just waits out max_wait,
  // and the next call tries again).
  void wait(std::chrono::milliseconds max_wait, std::stop_token stop);

 private:
  bool ensure_listening();

  const std::string url_;
  const PgConnectOptions options_;
  std::mutex mutex_;  // one waiter at a time owns the connection
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace connect_auth::storage::postgres
