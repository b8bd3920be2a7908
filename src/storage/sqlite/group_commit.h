// Group commit: many callers' small writes share one transaction and so one fsync.
//
// Why: the database runs with synchronous=FULL (a refresh token must be durable before the 200
// that carries it), so every COMMIT waits for an fsync of the WAL. One commit per refresh would
// cap a node at one refresh per fsync. Instead, callers that arrive while a batch is committing
// queue up, and the next batch carries all of them through a single COMMIT.
//
// Leader/follower, no thread of its own: a caller queues its request; if no batch is running it
// becomes the leader, takes the queue (oldest first, at most max_batch), runs the batch outside
// the lock and marks those requests done; otherwise it waits until its request is done or it is
// its turn to lead. The batch runner (the store) owns the transaction, savepoints and results;
// this class only decides who runs what.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <vector>

namespace connect_auth::storage::sqlite {

struct GroupCommitStats {
  std::uint64_t batches = 0;   // run so far
  std::uint64_t requests = 0;  // carried by those batches
  std::size_t waiting = 0;     // queued now, not yet taken by a leader
};

template <class Request>
class GroupCommit {
 public:
  explicit GroupCommit(std::size_t max_batch) : max_batch_(std::max<std::size_t>(max_batch, 1)) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Returns once `request` was part of a batch that `run_batch` finished. The calling thread
  // may run batches holding other callers' requests. `run_batch(std::span<Request* const>)`
  // must not throw: it reports every failure through the requests themselves.
  template <class RunBatch>
  void submit(Request& request, RunBatch&& run_batch) {
    Slot mine{&request};
    std::unique_lock lock(mutex_);
    queue_.push_back(&mine);
    for (;;) {
      turn_.wait(lock, [&] { return mine.done || !leading_; });
      if (mine.done) return;
      leading_ = true;
      const auto n = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_batch_));
      std::vector<Slot*> slots(queue_.begin(), queue_.begin() + n);
      queue_.erase(queue_.begin(), queue_.begin() + n);
      ++stats_.batches;
      stats_.requests += slots.size();
      lock.unlock();

      std::vector<Request*> batch;
      batch.reserve(slots.size());
      for (Slot* slot : slots) batch.push_back(slot->request);
      run_batch(std::span<Request* const>(batch));

      lock.lock();
      for (Slot* slot : slots) slot->done = true;
      leading_ = false;
      // Every follower whose request is done returns; one of the others leads the next batch.
      turn_.notify_all();
    }
  }

  GroupCommitStats stats() const {
    std::lock_guard lock(mutex_);
    GroupCommitStats out = stats_;
    out.waiting = queue_.size();
    return out;
  }

 private:
  struct Slot {
    Request* request;
    bool done = false;  // guarded by mutex_
  };

  const std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable turn_;
  std::deque<Slot*> queue_;  // slots live on their submitters' stacks until done
  bool leading_ = false;
  GroupCommitStats stats_;
};

}  // namespace connect_auth::storage::sqlite
