// Injected source of randomness. Production draws from the OS CSPRNG through a per-thread pool
// (one getrandom() per 4 KiB instead of one per token; OpenSSL 3.0's RAND_bytes also costs a
// getpid() per call). Tests inject a deterministic source.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace connect_auth {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// Thread-safe: each thread has its own pool, so no lock is taken.
class SecureRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

// Not random at all: a counter-driven stream for reproducible tests.
class SequenceRandom final : public Random {
 public:
  explicit SequenceRandom(std::uint8_t start = 0) : next_(start) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_;
};

// `bytes` random bytes as unpadded base64url.
std::string random_base64url(Random& random, std::size_t bytes);

}  // namespace connect_auth
