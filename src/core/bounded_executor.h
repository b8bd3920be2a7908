// A fixed pool of worker threads behind a bounded queue, for work that must not run on the
// event-loop threads (argon2 password hashing). Submission never blocks: when the queue is full
// the caller is told at once and answers 503 (bad-inputs.md §F: excess requests are refused, the
// rest stay fast), instead of letting an unbounded backlog grow latency and memory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace connect_auth {

// A move-only, type-erased void() callable (std::move_only_function is C++23). Unlike
// std::function it can own move-only state such as a std::unique_ptr or a Responder.
class UniqueTask {
 public:
  UniqueTask() noexcept = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueTask> &&
                                              std::is_invocable_v<std::decay_t<F>&>>>
  UniqueTask(F&& f)  // NOLINT: implicit, like std::function
      : callable_(std::make_unique<Model<std::decay_t<F>>>(std::forward<F>(f))) {}

  UniqueTask(UniqueTask&&) noexcept = default;
  UniqueTask& operator=(UniqueTask&&) noexcept = default;
  UniqueTask(const UniqueTask&) = delete;
  UniqueTask& operator=(const UniqueTask&) = delete;

  explicit operator bool() const noexcept { return callable_ != nullptr; }
  void operator()() { callable_->call(); }  // precondition: not empty
  // Destroys the callable (and whatever it owns) now.
  void reset() noexcept { callable_.reset(); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void call() = 0;
  };
  template <class F>
  struct Model final : Concept {
    template <class G>
    explicit Model(G&& g) : f(std::forward<G>(g)) {}
    void call() override { f(); }
    F f;
  };
  std::unique_ptr<Concept> callable_;
};

class BoundedExecutor {
 public:
  struct Options {
    std::string name;                 // thread names: "<name>-<index>", cut to Linux's 15 bytes
    std::size_t threads = 1;          // at least 1
    std::size_t queue_capacity = 64;  // tasks waiting, not counting running ones; at least 1
    // Workers run at nice +10 and SCHED_BATCH, so CPU-bound work (argon2: tens of ms of pure
    // computation per request) yields the cores to the event-loop threads whenever both are
    // runnable: token, refresh and bearer requests keep their latency while hashing saturates.
    bool low_priority = false;
  };

  explicit BoundedExecutor(Options options);
  ~BoundedExecutor();  // = stop()
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Never blocks. False when the queue is full or the executor is stopping: the task is then
  // destroyed before this returns (so anything it owns, e.g. a Responder, is released), outside
  // the executor's lock, so its destructor may itself submit work.
  bool try_submit(UniqueTask task);

  // Stops taking tasks, lets running ones finish, destroys queued ones (without running them) and
  // joins the workers. Idempotent; must not be called from one of this executor's tasks.
  void stop();

  std::size_t queued() const;
  std::size_t threads() const { return thread_count_; }
  std::size_t queue_capacity() const { return capacity_; }
  // Tasks that ended by throwing; the exception is swallowed so a worker never terminates the
  // process (a task that must answer a client catches its own exceptions first).
  std::uint64_t failed_tasks() const { return failed_.load(std::memory_order_relaxed); }
  // Whether every worker managed to lower its priority (false where the kernel or a seccomp
  // policy refuses; the executor still works, only without the priority hint).
  bool priority_lowered() const { return priority_failures_.load() == 0 && low_priority_; }

 private:
  void run_worker();

  const std::string name_;
  const std::size_t thread_count_;
  const std::size_t capacity_;
  const bool low_priority_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<UniqueTask> queue_;
  bool stopping_ = false;

  std::mutex stop_mutex_;  // serializes stop() so one caller joins and the others wait
  std::vector<std::thread> workers_;
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::size_t> priority_failures_{0};
};

}  // namespace connect_auth
