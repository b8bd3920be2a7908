// Injected time source, so token expiry and cache freshness are testable without sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace connect_auth {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (JWT NumericDate, RFC 7519 §2).
  virtual std::int64_t now_seconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// For tests: time stands still until told to move.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now) : now_(now) {}
  std::int64_t now_seconds() const override { return now_; }
  void set(std::int64_t now) { now_ = now; }
  void advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::int64_t now_;
};

}  // namespace connect_auth
