#include "domain/login_throttle.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "core/base64.h"

namespace connect_auth::domain {
namespace {

constexpr std::size_t kDigestBytes = 16;  // 128 bits: collisions are not a concern here

using Digest = std::array<std::uint8_t, kDigestBytes>;

// BLAKE2b over length-prefixed parts, so ("ab", "c") and ("a", "bc") never collide.
Digest digest(std::initializer_list<std::string_view> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kDigestBytes);
  for (std::string_view part : parts) {
    std::array<std::uint8_t, 8> length{};
    std::uint64_t n = part.size();
    for (auto& byte : length) {
      byte = static_cast<std::uint8_t>(n & 0xff);
      n >>= 8;
    }
    crypto_generichash_update(&state, length.data(), length.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part.data()),
                              part.size());
  }
  Digest out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

std::string hashed_key(std::string_view prefix, std::initializer_list<std::string_view> parts) {
  std::string key(prefix);
  append_base64url(key, digest(parts));
  return key;
}

// The address as canonical text; IPv6 reduced to its /64 (one client usually holds a whole
// /64), an IPv4-mapped IPv6 address to its IPv4 form. Anything unparseable is hashed.
std::string source_key(std::string_view address) {
  std::array<char, 64> text{};
  if (address.size() < text.size()) {
    std::memcpy(text.data(), address.data(), address.size());
    in_addr v4{};
    in6_addr v6{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (inet_pton(AF_INET, text.data(), &v4) == 1) {
      if (inet_ntop(AF_INET, &v4, out.data(), out.size()) != nullptr) {
        return std::string("s:") + out.data();
      }
    } else if (inet_pton(AF_INET6, text.data(), &v6) == 1) {
      if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        std::memcpy(&v4, &v6.s6_addr[12], 4);
        if (inet_ntop(AF_INET, &v4, out.data(), out.size()) != nullptr) {
          return std::string("s:") + out.data();
        }
      } else {
        std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
        if (inet_ntop(AF_INET6, &v6, out.data(), out.size()) != nullptr) {
          return std::string("s:") + out.data() + "/64";
        }
      }
    }
  }
  return hashed_key("s#", {address});
}

}  // namespace

std::int64_t backoff_delay_ms(const BackoffTier& tier, std::int64_t count) noexcept {
  if (count <= tier.free_failures) return 0;
  std::int64_t delay = tier.initial_delay_ms;
  // Doubling stops at the cap, so the loop runs at most ~40 times whatever the count.
  for (std::int64_t extra = count - tier.free_failures - 1; extra > 0 && delay < tier.max_delay_ms;
       --extra) {
    delay *= 2;
  }
  return std::min(delay, tier.max_delay_ms);
}

ThrottleKeys ThrottleKeys::of(std::string_view user_name, std::string_view source_address) {
  ThrottleKeys result;
  std::string source = source_key(source_address);
  result.keys[kUserAndSource] = hashed_key("us:", {user_name, source});
  result.keys[kUser] = hashed_key("u:", {user_name});
  result.keys[kSource] = std::move(source);
  return result;
}

LoginThrottle::LoginThrottle(storage::Store& store, LoginThrottlePolicy policy)
    : store_(store), policy_(policy) {}

const BackoffTier& LoginThrottle::tier(std::size_t index) const {
  switch (index) {
    case ThrottleKeys::kUserAndSource: return policy_.per_user_and_source;
    case ThrottleKeys::kSource: return policy_.per_source;
    default: return policy_.per_user;
  }
}

Result<ThrottleCheck> LoginThrottle::check(const ThrottleKeys& keys, std::int64_t now_ms) {
  if (!policy_.enabled) return ThrottleCheck{};
  auto counts = store_.read_failures(keys.keys);
  if (!counts) return std::move(counts).error();
  if (counts->size() != keys.keys.size()) {
    return make_error(ErrorCode::kInternal, "failure counters came back incomplete");
  }
  ThrottleCheck checked;
  std::int64_t wait_ms = 0;
  for (std::size_t i = 0; i < keys.keys.size(); ++i) {
    const storage::FailureCount& count = (*counts)[i];
    if (count.count <= 0) continue;
    if (i != ThrottleKeys::kSource) checked.user_has_failures = true;
    // The store's rule: a count whose last failure is a whole window old has lapsed (the next
    // failure restarts it at 1).
    if (now_ms - count.last_failure_ms >= policy_.window_ms) continue;
    const std::int64_t until = count.last_failure_ms + backoff_delay_ms(tier(i), count.count);
    wait_ms = std::max(wait_ms, until - now_ms);
  }
  if (wait_ms <= 0) return checked;
  Error error = make_error(ErrorCode::kTooManyRequests, "too many failed attempts, retry later");
  error.retry_after_seconds = static_cast<std::int32_t>((wait_ms + 999) / 1000);
  return error;
}

Result<void> LoginThrottle::record_failure(const ThrottleKeys& keys, std::int64_t now_ms) {
  if (!policy_.enabled) return Ok{};
  auto counts = store_.record_failures(keys.keys, now_ms, policy_.window_ms);
  if (!counts) return std::move(counts).error();
  return Ok{};
}

Result<void> LoginThrottle::record_success(const ThrottleKeys& keys, const ThrottleCheck& checked) {
  if (!checked.user_has_failures) return Ok{};
  const std::array<std::string, 2> cleared{keys.keys[ThrottleKeys::kUserAndSource],
                                           keys.keys[ThrottleKeys::kUser]};
  return store_.clear_failures(cleared);
}

}  // namespace connect_auth::domain
