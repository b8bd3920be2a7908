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
  // Milliseconds since the Unix epoch: refresh-token grace periods and throttling backoff need
  // finer steps than a second.
  virtual std::int64_t now_millis() const { return now_seconds() * 1000; }
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t now_millis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// For tests: time stands still until told to move.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_seconds) : now_ms_(now_seconds * 1000) {}
  std::int64_t now_seconds() const override {
    // Floor, also before 1970, like a real clock's seconds.
    return now_ms_ >= 0 ? now_ms_ / 1000 : -((-now_ms_ + 999) / 1000);
  }
  std::int64_t now_millis() const override { return now_ms_; }
  void set(std::int64_t now_seconds) { now_ms_ = now_seconds * 1000; }
  void set_millis(std::int64_t now_ms) { now_ms_ = now_ms; }
  void advance(std::int64_t seconds) { now_ms_ += seconds * 1000; }
  void advance_millis(std::int64_t ms) { now_ms_ += ms; }

 private:
  std::int64_t now_ms_;
};

}  // namespace connect_auth
