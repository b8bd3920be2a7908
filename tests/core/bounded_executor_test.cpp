#include "core/bounded_executor.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace connect_auth {
namespace {

using namespace std::chrono_literals;

// Polls until `done()` or a generous deadline; the tests never depend on timing otherwise.
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Occupies one worker until released; `started` tells the test that it is running.
struct Blocker {
  std::latch started{1};
  std::latch release{1};
  UniqueTask task() {
    return [this] {
      started.count_down();
      release.wait();
    };
  }
};

TEST(UniqueTask, OwnsMoveOnlyState) {
  auto value = std::make_unique<int>(41);
  int seen = 0;
  UniqueTask task([v = std::move(value), &seen] { seen = *v + 1; });
  ASSERT_TRUE(task);
  UniqueTask moved = std::move(task);
  EXPECT_FALSE(task);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  moved();
  EXPECT_EQ(seen, 42);

  auto owned = std::make_shared<int>(1);
  std::weak_ptr<int> watch = owned;
  UniqueTask holder([owned = std::move(owned)] {});
  EXPECT_FALSE(watch.expired());
  holder.reset();
  EXPECT_TRUE(watch.expired());
  EXPECT_FALSE(holder);
}

TEST(BoundedExecutor, RunsTasks) {
  BoundedExecutor executor({"run", 2, 256});
  EXPECT_EQ(executor.threads(), 2u);
  EXPECT_EQ(executor.queue_capacity(), 256u);
  std::atomic<int> ran{0};
  std::latch all(200);
  for (int i = 0; i < 200; ++i) {
    // Submitting faster than two threads drain may fill the queue; retry until accepted.
    while (!executor.try_submit([&] {
      ran.fetch_add(1);
      all.count_down();
    })) {
      std::this_thread::yield();
    }
  }
  all.wait();
  EXPECT_EQ(ran.load(), 200);
  EXPECT_EQ(executor.failed_tasks(), 0u);
}

TEST(BoundedExecutor, CapacityIsHonoured) {
  BoundedExecutor executor({"cap", 1, 3});
  Blocker blocker;
  ASSERT_TRUE(executor.try_submit(blocker.task()));
  blocker.started.wait();  // the running task no longer counts against the queue

  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(executor.try_submit([&] { ran.fetch_add(1); }));
  EXPECT_EQ(executor.queued(), 3u);
  EXPECT_FALSE(executor.try_submit([&] { ran.fetch_add(100); }));
  EXPECT_FALSE(executor.try_submit([&] { ran.fetch_add(100); }));
  EXPECT_EQ(executor.queued(), 3u);

  blocker.release.count_down();
  EXPECT_TRUE(eventually([&] { return ran.load() == 3 && executor.queued() == 0; }));
  EXPECT_TRUE(executor.try_submit([&] { ran.fetch_add(1); }));  // room again
  EXPECT_TRUE(eventually([&] { return ran.load() == 4; }));
}

TEST(BoundedExecutor, RejectedTaskIsDestroyedBeforeTryReturns) {
  BoundedExecutor executor({"reject", 1, 1});
  Blocker blocker;
  ASSERT_TRUE(executor.try_submit(blocker.task()));
  blocker.started.wait();
  ASSERT_TRUE(executor.try_submit([] {}));  // fills the queue

  // Stands in for a Responder: its release must not wait for the caller's full-expression.
  auto responder = std::make_shared<int>(7);
  std::weak_ptr<int> watch = responder;
  bool accepted = executor.try_submit([r = std::move(responder)] {});
  EXPECT_FALSE(accepted);
  EXPECT_TRUE(watch.expired());

  blocker.release.count_down();
}

TEST(BoundedExecutor, StopRunsNothingQueuedAndJoins) {
  auto executor = std::make_unique<BoundedExecutor>(BoundedExecutor::Options{"stop", 1, 8});
  Blocker blocker;
  std::atomic<bool> blocker_finished{false};
  ASSERT_TRUE(executor->try_submit([&] {
    blocker.started.count_down();
    blocker.release.wait();
    blocker_finished = true;
  }));
  blocker.started.wait();

  std::atomic<int> queued_ran{0};
  std::vector<std::weak_ptr<int>> watches;
  for (int i = 0; i < 5; ++i) {
    auto owned = std::make_shared<int>(i);
    watches.push_back(owned);
    ASSERT_TRUE(executor->try_submit([&, owned = std::move(owned)] { queued_ran.fetch_add(1); }));
  }

  std::thread stopper([&] { executor->stop(); });
  // Queued tasks are destroyed while the running one is still running...
  EXPECT_TRUE(eventually([&] {
    for (auto& w : watches) {
      if (!w.expired()) return false;
    }
    return true;
  }));
  EXPECT_FALSE(blocker_finished.load());
  // ...which stop() waits for.
  blocker.release.count_down();
  stopper.join();
  EXPECT_TRUE(blocker_finished.load());
  EXPECT_EQ(queued_ran.load(), 0);

  // After stop: refused, destroyed at once; stop() again is harmless, as is the destructor.
  auto late = std::make_shared<int>(0);
  std::weak_ptr<int> late_watch = late;
  EXPECT_FALSE(executor->try_submit([late = std::move(late)] {}));
  EXPECT_TRUE(late_watch.expired());
  executor->stop();
  executor.reset();
}

TEST(BoundedExecutor, DestructorStopsWithQueuedTasks) {
  std::atomic<int> ran{0};
  std::weak_ptr<int> watch;
  Blocker blocker;  // outlives the executor: its destructor waits for the blocked task
  std::thread releaser;
  {
    BoundedExecutor executor({"dtor", 1, 4});
    ASSERT_TRUE(executor.try_submit(blocker.task()));
    blocker.started.wait();
    auto owned = std::make_shared<int>(1);
    watch = owned;
    ASSERT_TRUE(executor.try_submit([&, owned = std::move(owned)] { ran.fetch_add(1); }));
    releaser = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      blocker.release.count_down();
    });
  }
  releaser.join();
  EXPECT_TRUE(watch.expired());
  EXPECT_LE(ran.load(), 1);  // it ran before the destructor got the lock, or it was dropped
}

TEST(BoundedExecutor, ExceptionsAreSwallowedAndCounted) {
  BoundedExecutor executor({"throw", 1, 8});
  std::atomic<bool> after{false};
  ASSERT_TRUE(executor.try_submit([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(executor.try_submit([] { throw 42; }));
  ASSERT_TRUE(executor.try_submit([&] { after = true; }));
  EXPECT_TRUE(eventually([&] { return after.load(); }));
  EXPECT_EQ(executor.failed_tasks(), 2u);
}

TEST(BoundedExecutor, ConcurrentSubmitters) {
  constexpr int kSubmitters = 4;
  constexpr int kEach = 2000;
  BoundedExecutor executor({"many", 2, 16});
  std::atomic<int> accepted{0};
  std::atomic<int> rejected{0};
  std::atomic<int> ran{0};
  std::atomic<int> destroyed{0};

  // Counts its own destruction exactly once, however often the task is moved.
  struct Counted {
    std::atomic<int>* counter;
    explicit Counted(std::atomic<int>* c) : counter(c) {}
    Counted(Counted&& other) noexcept : counter(std::exchange(other.counter, nullptr)) {}
    Counted(const Counted&) = delete;
    ~Counted() {
      if (counter) counter->fetch_add(1);
    }
  };

  std::vector<std::thread> submitters;
  for (int s = 0; s < kSubmitters; ++s) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        Counted counted(&destroyed);
        if (executor.try_submit([&, c = std::move(counted)] { ran.fetch_add(1); })) {
          accepted.fetch_add(1);
        } else {
          rejected.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : submitters) t.join();
  EXPECT_EQ(accepted.load() + rejected.load(), kSubmitters * kEach);
  EXPECT_GT(accepted.load(), 0);
  EXPECT_TRUE(eventually([&] { return ran.load() == accepted.load(); }));
  EXPECT_TRUE(eventually([&] { return destroyed.load() == kSubmitters * kEach; }));
  EXPECT_LE(executor.queued(), executor.queue_capacity());
  std::printf("[          ] %d accepted, %d rejected\n", accepted.load(), rejected.load());
}

TEST(BoundedExecutor, NamesAndLowersPriorityOfItsThreadsOnly) {
  const int own_nice_before = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  BoundedExecutor executor({"argon2-hashing", 2, 4, /*low_priority=*/true});
  std::atomic<int> nice{-100};
  std::atomic<int> policy{-1};
  std::string name;
  std::latch done(1);
  ASSERT_TRUE(executor.try_submit([&] {
    nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    policy = sched_getscheduler(0);
    char buffer[16] = {};
    pthread_getname_np(pthread_self(), buffer, sizeof buffer);
    name = buffer;
    done.count_down();
  }));
  done.wait();
  EXPECT_EQ(name.rfind("argon2-hashi", 0), 0u) << name;  // cut to 15 bytes with "-<index>"
  EXPECT_LE(name.size(), 15u);
  if (executor.priority_lowered()) {
    EXPECT_GE(nice.load(), 10);
    EXPECT_EQ(policy.load(), SCHED_BATCH);
  } else {
    std::printf("[          ] this kernel/sandbox refused to lower the priority\n");
  }
  // The submitting (event-loop) thread is untouched.
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), own_nice_before);
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);

  BoundedExecutor normal({"normal", 1, 1});
  std::latch normal_done(1);
  ASSERT_TRUE(normal.try_submit([&] {
    nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    policy = sched_getscheduler(0);
    normal_done.count_down();
  }));
  normal_done.wait();
  EXPECT_EQ(nice.load(), own_nice_before);
  EXPECT_EQ(policy.load(), SCHED_OTHER);
  EXPECT_FALSE(normal.priority_lowered());
}

TEST(BoundedExecutor, ClampsDegenerateOptions) {
  BoundedExecutor executor({"", 0, 0});
  EXPECT_EQ(executor.threads(), 1u);
  EXPECT_EQ(executor.queue_capacity(), 1u);
  std::latch done(1);
  EXPECT_TRUE(executor.try_submit([&] { done.count_down(); }));
  done.wait();
  EXPECT_FALSE(executor.try_submit(UniqueTask()));  // an empty task is refused
}

}  // namespace
}  // namespace connect_auth
