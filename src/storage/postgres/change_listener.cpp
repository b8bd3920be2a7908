#include "storage/postgres/change_listener.h"

#include <algorithm>

#include "storage/postgres/pg_store.h"

namespace connect_auth::storage::postgres {
namespace {

// Waits are cut into slices this long so a stop request is seen promptly.
constexpr std::chrono::milliseconds kSlice{100};

}  // namespace

bool ChangeListener::ensure_listening() {
  if (conn_ && conn_->usable() && conn_->listening()) return true;
  conn_.reset();
  auto conn = PgConnection::connect(url_, options_);
  if (!conn) return false;
  if (!(*conn)->listen(kChangeChannel)) return false;
  conn_ = std::move(conn).value();
  return true;
}

void ChangeListener::wait(std::chrono::milliseconds max_wait, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  if (!ensure_listening()) {
    sleep_unless_stopped(max_wait, stop);
    return;
  }
  while (!stop.stop_requested()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) return;
    auto got = conn_->wait_for_notifications(std::min(left, kSlice));
    if (!got) {
      conn_.reset();  // dialled again on the next call; until then the poll carries on
      sleep_unless_stopped(std::max(left, std::chrono::milliseconds::zero()), stop);
      return;
    }
    if (!got->empty()) return;
  }
}

}  // namespace connect_auth::storage::postgres
