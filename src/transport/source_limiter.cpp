#include "transport/source_limiter.h"

#include <utility>

namespace connect_auth::transport {

SourceLimiter::Slot::Slot(Slot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)),
      source_(std::move(other.source_)),
      granted_(std::exchange(other.granted_, false)) {}

SourceLimiter::Slot& SourceLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    source_ = std::move(other.source_);
    granted_ = std::exchange(other.granted_, false);
  }
  return *this;
}

void SourceLimiter::Slot::release() noexcept {
  if (limiter_ != nullptr) limiter_->release(source_);
  limiter_ = nullptr;
  granted_ = false;
}

SourceLimiter::Slot SourceLimiter::acquire(std::string source) {
  if (per_source_ == 0) return Slot(nullptr, std::move(source), true);
  std::lock_guard lock(mutex_);
  std::size_t& count = counts_[source];
  if (count >= per_source_) return Slot(nullptr, std::move(source), false);
  ++count;
  return Slot(this, std::move(source), true);
}

std::size_t SourceLimiter::count(const std::string& source) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(source);
  return it == counts_.end() ? 0 : it->second;
}

void SourceLimiter::release(const std::string& source) noexcept {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(source);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);  // the map holds only sources that are connected
}

}  // namespace connect_auth::transport
