#include "core/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/base64.h"

namespace connect_auth {
namespace {

bool all_zero(const std::vector<std::uint8_t>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::vector<std::uint8_t> draw(Random& random, std::size_t size) {
  std::vector<std::uint8_t> out(size, 0);
  random.fill(out);
  return out;
}

bool is_base64url_text(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

TEST(SecureRandomTest, FillsEveryRequestedSize) {
  SecureRandom random;
  std::vector<std::uint8_t> empty;
  random.fill(empty);  // a zero-length draw is a no-op, not a crash
  // Sizes around the pool's direct-draw threshold (1024) and beyond the pool itself (4096).
  for (std::size_t size : {16u, 31u, 32u, 33u, 1023u, 1024u, 1025u, 4096u, 5000u}) {
    // All-zero output of ≥ 16 bytes has probability 2^-128: it means nothing was written.
    EXPECT_FALSE(all_zero(draw(random, size))) << size;
  }
}

TEST(SecureRandomTest, ConsecutiveDrawsDiffer) {
  SecureRandom random;
  std::set<std::vector<std::uint8_t>> seen;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(seen.insert(draw(random, 32)).second) << "repeated draw " << i;
  }
}

TEST(SecureRandomTest, PoolRefillsAcrossMoreThanItsSize) {
  // 32-byte draws totalling 3 pool sizes (plus odd sizes that leave a remainder smaller than the
  // next request) must keep producing fresh, non-wiped bytes across each refill.
  SecureRandom random;
  std::set<std::vector<std::uint8_t>> seen;
  std::size_t total = 0;
  const std::size_t sizes[] = {32, 1000, 1000, 1000, 1000, 100, 17, 1024, 1024, 1024, 1024, 32};
  for (int round = 0; round < 3; ++round) {
    for (std::size_t size : sizes) {
      auto bytes = draw(random, size);
      EXPECT_FALSE(all_zero(bytes)) << "round " << round << " size " << size;
      EXPECT_TRUE(seen.insert(bytes).second);
      total += size;
    }
  }
  for (int i = 0; i < 400; ++i) {
    auto bytes = draw(random, 32);
    EXPECT_FALSE(all_zero(bytes));
    EXPECT_TRUE(seen.insert(bytes).second);
    total += 32;
  }
  EXPECT_GT(total, 3u * 4096u);
}

TEST(SecureRandomTest, HandedOutBytesAreNotRepeatedAcrossThePoolBoundary) {
  // Byte-by-byte over two pools: a refill that re-served already used (wiped) bytes would show as
  // long zero runs. 64 zero bytes in a row from a CSPRNG has probability 2^-512.
  SecureRandom random;
  std::size_t zero_run = 0;
  std::size_t longest = 0;
  for (int i = 0; i < 2 * 4096 + 100; ++i) {
    std::array<std::uint8_t, 1> one{};
    random.fill(one);
    zero_run = one[0] == 0 ? zero_run + 1 : 0;
    longest = std::max(longest, zero_run);
  }
  EXPECT_LT(longest, 64u);
}

TEST(SecureRandomTest, ThreadsDrawIndependentValues) {
  // Each thread owns its pool; no two threads may ever hand out the same bytes.
  constexpr int kThreads = 4;
  constexpr int kDraws = 500;
  std::vector<std::vector<std::vector<std::uint8_t>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&results, t] {
      SecureRandom random;
      for (int i = 0; i < kDraws; ++i) results[t].push_back(draw(random, 32));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::vector<std::uint8_t>> all;
  for (const auto& per_thread : results) {
    ASSERT_EQ(per_thread.size(), static_cast<std::size_t>(kDraws));
    for (const auto& bytes : per_thread) EXPECT_TRUE(all.insert(bytes).second);
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kDraws));
}

TEST(RandomBase64UrlTest, LengthsForTokenSizes) {
  SecureRandom random;
  // 128 and 256 bits: ceil(n * 8 / 6) characters, no padding.
  EXPECT_EQ(random_base64url(random, 16).size(), 22u);
  EXPECT_EQ(random_base64url(random, 32).size(), 43u);
  EXPECT_EQ(random_base64url(random, 0), "");
  for (std::size_t bytes : {1u, 2u, 3u, 127u, 128u, 129u, 200u, 385u}) {
    const std::string text = random_base64url(random, bytes);
    EXPECT_EQ(text.size(), (bytes * 4 + 2) / 3) << bytes;
    EXPECT_TRUE(is_base64url_text(text)) << text;
    auto decoded = decode_base64url(text);
    ASSERT_TRUE(decoded.has_value()) << bytes;
    EXPECT_EQ(decoded->size(), bytes);
  }
}

TEST(RandomBase64UrlTest, SuccessiveValuesDiffer) {
  SecureRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(seen.insert(random_base64url(random, 32)).second);
}

TEST(RandomBase64UrlTest, EncodesExactlyTheDrawnBytes) {
  // With a known stream the text must be the plain base64url of the stream, also when the value
  // is longer than the internal 128-byte buffer and is drawn in several chunks.
  for (std::size_t bytes : {3u, 16u, 32u, 128u, 129u, 200u, 300u}) {
    SequenceRandom random(7);
    std::vector<std::uint8_t> expected(bytes);
    for (std::size_t i = 0; i < bytes; ++i) expected[i] = static_cast<std::uint8_t>(7 + i);
    EXPECT_EQ(random_base64url(random, bytes), encode_base64url(expected)) << bytes;
  }
  SequenceRandom random(0);
  EXPECT_EQ(random_base64url(random, 3), "AAEC");
  EXPECT_EQ(random_base64url(random, 3), "AwQF");  // the stream continues where it stopped
}

TEST(SequenceRandomTest, CountsAndWraps) {
  SequenceRandom random(254);
  std::array<std::uint8_t, 4> out{};
  random.fill(out);
  EXPECT_EQ(out, (std::array<std::uint8_t, 4>{254, 255, 0, 1}));
}

}  // namespace
}  // namespace connect_auth
