// The per-source connection cap (limits.max_connections_per_source): however many connections
// one client address opens, it holds at most this many of the server's slots, so it cannot
// starve every other client (bad-inputs §A: "the server keeps serving everyone else").
// Thread-safe: the acceptor takes slots, sessions on every worker give them back.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace connect_auth::transport {

class SourceLimiter {
 public:
  // 0: no cap (and no counting).
  explicit SourceLimiter(std::size_t per_source) : per_source_(per_source) {}
  SourceLimiter(const SourceLimiter&) = delete;
  SourceLimiter& operator=(const SourceLimiter&) = delete;

  // One connection's claim on its source's count, given back when it is destroyed. Move-only;
  // false when the source was already at its cap (nothing is held then).
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { release(); }
    explicit operator bool() const noexcept { return granted_; }
    const std::string& source() const noexcept { return source_; }

   private:
    friend class SourceLimiter;
    Slot(SourceLimiter* limiter, std::string source, bool granted)
        : limiter_(limiter), source_(std::move(source)), granted_(granted) {}
    void release() noexcept;

    SourceLimiter* limiter_ = nullptr;  // null when not counted (no cap, or refused)
    std::string source_;
    bool granted_ = false;
  };

  // `source`: the client's address as text, one spelling per address (IPv4-mapped IPv6 as IPv4).
  Slot acquire(std::string source);

  // Connections currently counted for `source` (for tests).
  std::size_t count(const std::string& source) const;

 private:
  void release(const std::string& source) noexcept;

  const std::size_t per_source_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> counts_;  // only sources with open connections
};

}  // namespace connect_auth::transport
