#include "storage/change_feed.h"

#include <condition_variable>
#include <mutex>

namespace connect_auth::storage {

void ChangeFeed::wait_for_changes(std::chrono::milliseconds max_wait, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any never_notified;
  std::unique_lock lock(mutex);
  never_notified.wait_for(lock, stop, max_wait, [] { return false; });
}

}  // namespace connect_auth::storage
