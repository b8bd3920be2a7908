#include "tokens/hmac_sha256.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tokens_test_util.h"

namespace connect_auth::tokens {
namespace {

using test_util::bytes_of;
using test_util::hex;
using test_util::oracle_hmac;

struct Rfc4231Case {
  const char* name;
  std::string key;
  std::string data;
  const char* expected;  // HMAC-SHA-256 hex
};

// RFC 4231 §4.2–§4.8 (test case 5 is a truncated output and does not apply).
std::vector<Rfc4231Case> rfc4231_cases() {
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<char>(i));
  return {
      {"1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", key4, std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacSha256Test, MatchesRfc4231Vectors) {
  for (const auto& c : rfc4231_cases()) {
    HmacSha256 hmac(bytes_of(c.key));
    EXPECT_EQ(hex(hmac.mac(c.data)), c.expected) << "RFC 4231 test case " << c.name;
    // Twice: the second call re-initialises the cached context instead of creating it.
    EXPECT_EQ(hex(hmac.mac(c.data)), c.expected) << "RFC 4231 test case " << c.name << " again";
  }
}

TEST(HmacSha256Test, PartsAreConcatenated) {
  const auto cases = rfc4231_cases();
  const auto& c = cases[1];
  HmacSha256 hmac(bytes_of(c.key));
  EXPECT_EQ(hex(hmac.mac({"what do ", "", "ya want", " for nothing?"})), c.expected);
  EXPECT_EQ(hex(hmac.mac({})), hex(oracle_hmac(bytes_of(c.key), "")));
}

TEST(HmacSha256Test, EmptyKeyAndEmptyData) {
  HmacSha256 hmac(std::span<const std::uint8_t>{});
  EXPECT_EQ(hex(hmac.mac("")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256Test, TwoKeysAlternatingOnOneThread) {
  const std::string key_a(32, 'a');
  const std::string key_b(32, 'b');
  HmacSha256 a(bytes_of(key_a));
  HmacSha256 b(bytes_of(key_b));
  for (int i = 0; i < 50; ++i) {
    const std::string data = "message " + std::to_string(i);
    ASSERT_EQ(a.mac(data), oracle_hmac(bytes_of(key_a), data)) << i;
    ASSERT_EQ(b.mac(data), oracle_hmac(bytes_of(key_b), data)) << i;
  }
  EXPECT_NE(a.mac("x"), b.mac("x"));
}

TEST(HmacSha256Test, MoreKeysThanContextSlotsOnOneThread) {
  // Each thread caches 8 contexts; 13 keys in rotation evict each other on every call, and a
  // stale slot must never answer for another key.
  constexpr int kKeys = 13;
  std::vector<std::string> secrets;
  std::vector<std::unique_ptr<HmacSha256>> keys;
  for (int k = 0; k < kKeys; ++k) {
    secrets.push_back(std::string(32, static_cast<char>('A' + k)));
    keys.push_back(std::make_unique<HmacSha256>(bytes_of(secrets.back())));
  }
  for (int round = 0; round < 4; ++round) {
    for (int k = 0; k < kKeys; ++k) {
      const std::string data = "round " + std::to_string(round) + " key " + std::to_string(k);
      ASSERT_EQ(keys[k]->mac(data), oracle_hmac(bytes_of(secrets[k]), data)) << data;
    }
    // And backwards, so the eviction order differs from the use order.
    for (int k = kKeys - 1; k >= 0; --k) {
      const std::string data = "back " + std::to_string(k);
      ASSERT_EQ(keys[k]->mac(data), oracle_hmac(bytes_of(secrets[k]), data)) << data;
    }
  }
}

TEST(HmacSha256Test, NewKeyNeverReusesAStaleContext) {
  // A key destroyed and another created (quite possibly at the same address) must not inherit the
  // first one's cached context: contexts are matched by a never-reused id.
  for (int i = 0; i < 20; ++i) {
    const std::string secret = "secret number " + std::to_string(i) + std::string(20, 'x');
    auto key = std::make_unique<HmacSha256>(bytes_of(secret));
    ASSERT_EQ(key->mac("data"), oracle_hmac(bytes_of(secret), "data")) << i;
  }
}

TEST(HmacSha256Test, SameResultFromManyThreads) {
  const std::string secret_a(32, '\x11');
  const std::string secret_b = "another key, also 32 bytes long!";
  HmacSha256 a(bytes_of(secret_a));
  HmacSha256 b(bytes_of(secret_b));
  std::vector<std::string> messages;
  std::vector<Sha256Digest> expected_a;
  std::vector<Sha256Digest> expected_b;
  for (int i = 0; i < 64; ++i) {
    messages.push_back("header.payload." + std::to_string(i * 7919));
    expected_a.push_back(oracle_hmac(bytes_of(secret_a), messages.back()));
    expected_b.push_back(oracle_hmac(bytes_of(secret_b), messages.back()));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (std::size_t i = 0; i < messages.size(); ++i) {
          // Threads use the keys in different orders so contexts are created concurrently.
          const bool a_first = (t + round + static_cast<int>(i)) % 2 == 0;
          if ((a_first ? a : b).mac(messages[i]) != (a_first ? expected_a : expected_b)[i]) {
            ++mismatches;
          }
          if ((a_first ? b : a).mac(messages[i]) != (a_first ? expected_b : expected_a)[i]) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ConstantTimeEqualTest, ComparesContentAndSize) {
  const std::string x = "0123456789abcdef0123456789abcdef";
  std::string y = x;
  EXPECT_TRUE(constant_time_equal(bytes_of(x), bytes_of(y)));
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] ^= 0x01;
    EXPECT_FALSE(constant_time_equal(bytes_of(x), bytes_of(y))) << i;
    y[i] ^= 0x01;
  }
  EXPECT_FALSE(constant_time_equal(bytes_of(x), bytes_of(x.substr(0, 31))));
  EXPECT_FALSE(constant_time_equal(bytes_of(x + "0"), bytes_of(x)));
  EXPECT_FALSE(constant_time_equal(bytes_of(x), bytes_of("")));
  EXPECT_TRUE(constant_time_equal(bytes_of(""), bytes_of("")));
}

}  // namespace
}  // namespace connect_auth::tokens
