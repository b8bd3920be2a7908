// One-at-a-time admission for a store's writers, with a deadline on the wait.
//
// Not std::timed_mutex: GCC 12's try_lock_for goes through pthread_mutex_clocklock, which its
// ThreadSanitizer does not intercept, so every TSan run would drown in false reports. A flag
// under a mutex and a condition variable does the same job and stays checkable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace connect_auth::storage::sqlite {

class WriterGate {
 public:
  // True when the caller now holds the gate; false when `timeout` passed first.
  bool enter(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, timeout, [this] { return !held_; })) return false;
    held_ = true;
    return true;
  }

  void leave() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    freed_.notify_one();
  }

  // Holds the gate for a scope when `enter` succeeded.
  class Pass {
   public:
    Pass() = default;
    explicit Pass(WriterGate* gate) : gate_(gate) {}
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass() {
      if (gate_ != nullptr) gate_->leave();
    }

   private:
    WriterGate* gate_ = nullptr;
  };

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  bool held_ = false;
};

}  // namespace connect_auth::storage::sqlite
