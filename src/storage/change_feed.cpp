#include "storage/change_feed.h"

#include <condition_variable>
#include <mutex>

namespace connect_auth::storage {

void sleep_unless_stopped(std::chrono::milliseconds duration, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any never_notified;
  std::unique_lock lock(mutex);
  never_notified.wait_for(lock, stop, duration, [] { return false; });
}

void ChangeFeed::wait_for_changes(std::chrono::milliseconds max_wait, std::stop_token stop) {
  sleep_unless_stopped(max_wait, stop);
}

}  // namespace connect_auth::storage
