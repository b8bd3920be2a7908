// Many threads asking one Client for a token at the same moment (single flight), shared by the
// fake-server and the live tests.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connect_auth/client/client.h"

namespace connect_auth::client::test {

struct TokenBurst {
  std::set<std::string> tokens;  // the distinct tokens the threads got
  int failures = 0;
};

// Starts `threads` threads that wait for each other, then all call token() at once.
inline TokenBurst token_burst(Client& client, int threads) {
  std::atomic<int> ready{0};
  std::mutex mutex;
  TokenBurst burst;
  std::vector<std::thread> running;
  for (int i = 0; i < threads; ++i) {
    running.emplace_back([&] {
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();
      auto token = client.token();
      std::lock_guard lock(mutex);
      if (token) {
        burst.tokens.insert(token->value);
      } else {
        ++burst.failures;
      }
    });
  }
  for (auto& thread : running) thread.join();
  return burst;
}

}  // namespace connect_auth::client::test
