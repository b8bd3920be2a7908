#include "core/bounded_executor.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <latch>

#include "core/log.h"

namespace connect_auth {
namespace {

constexpr int kLowPriorityNice = 10;

// Linux applies setpriority(PRIO_PROCESS, tid) and sched_setscheduler(tid) to the one thread, not
// the process (a documented deviation from POSIX), which is exactly what we need here: only the
// hashing workers are deprioritised. Both only lower the priority, so no privilege is needed.
// SCHED_BATCH tells the scheduler the thread is CPU-bound: it does not preempt a running
// event-loop thread on wake-up; nice +10 gives it about a tenth of the CPU share of a nice 0
// thread when both compete for a core.
bool lower_current_thread_priority() {
  const pid_t tid = gettid();
  bool ok = true;
  sched_param param{};
  param.sched_priority = 0;
  if (sched_setscheduler(tid, SCHED_BATCH, &param) != 0) ok = false;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), kLowPriorityNice) != 0) ok = false;
  return ok;
}

void name_current_thread(const std::string& name, std::size_t index) {
  std::string suffix = "-" + std::to_string(index);
  constexpr std::size_t kMaxThreadName = 15;  // Linux: 16 bytes with the NUL
  std::string full = name.substr(0, kMaxThreadName - std::min(kMaxThreadName, suffix.size()));
  full += suffix;
  full.resize(std::min(full.size(), kMaxThreadName));
  pthread_setname_np(pthread_self(), full.c_str());
}

}  // namespace

BoundedExecutor::BoundedExecutor(Options options)
    : name_(options.name.empty() ? std::string("worker") : std::move(options.name)),
      thread_count_(std::max<std::size_t>(1, options.threads)),
      capacity_(std::max<std::size_t>(1, options.queue_capacity)),
      low_priority_(options.low_priority) {
  // Waiting for every worker to be named and deprioritised before returning means no task ever
  // runs at normal priority, and priority_lowered() is final once the constructor is done.
  std::latch started(static_cast<std::ptrdiff_t>(thread_count_));
  workers_.reserve(thread_count_);
  for (std::size_t i = 0; i < thread_count_; ++i) {
    try {
      workers_.emplace_back([this, i, &started] {
        name_current_thread(name_, i);
        if (low_priority_ && !lower_current_thread_priority()) {
          priority_failures_.fetch_add(1, std::memory_order_relaxed);
        }
        started.count_down();
        run_worker();
      });
    } catch (...) {  // no thread left to create one: release the started ones, then report
      started.count_down(static_cast<std::ptrdiff_t>(thread_count_ - i));
      started.wait();
      stop();
      throw;
    }
  }
  started.wait();
  if (low_priority_ && priority_failures_.load() != 0) {
    log::warn("executor_priority_not_lowered", {{"executor", std::string_view(name_)}});
  }
}

BoundedExecutor::~BoundedExecutor() { stop(); }

bool BoundedExecutor::try_submit(UniqueTask task) {
  if (!task) return false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() < capacity_) {
      queue_.push_back(std::move(task));
      wake_.notify_one();
      return true;
    }
  }
  // Refused: destroy now (a by-value parameter may otherwise outlive the call until the end of
  // the caller's full-expression), and outside the lock.
  task.reset();
  return false;
}

void BoundedExecutor::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  std::deque<UniqueTask> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  dropped.clear();  // destroyed outside the lock: their destructors may call try_submit
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

std::size_t BoundedExecutor::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void BoundedExecutor::run_worker() {
  for (;;) {
    UniqueTask task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // queued tasks belong to stop(), which destroys them
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (...) {
      // The exception's message is not logged: it may quote request data.
      failed_.fetch_add(1, std::memory_order_relaxed);
      log::error("executor_task_failed", {{"executor", std::string_view(name_)}});
    }
    task.reset();  // released before idling, so what it owns does not linger
  }
}

}  // namespace connect_auth
