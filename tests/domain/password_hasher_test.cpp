#include "domain/password_hasher.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace connect_auth::domain {
namespace {

// One hasher for the suite: construction runs argon2 once for the dummy hash.
const PasswordHasher& hasher() {
  static const PasswordHasher instance = PasswordHasher::create(Argon2Params{}).value();
  return instance;
}

TEST(PasswordHasher, RoundTrip) {
  auto hash = hasher().hash("correct horse battery staple");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hasher().verify(*hash, "correct horse battery staple"));
  EXPECT_FALSE(hasher().verify(*hash, "correct horse battery stapler"));
  EXPECT_FALSE(hasher().verify(*hash, "Correct horse battery staple"));
  EXPECT_FALSE(hasher().verify(*hash, ""));
  EXPECT_EQ(hash->find("correct"), std::string::npos);

  // A fresh salt each time: same password, different hashes, both verify.
  auto again = hasher().hash("correct horse battery staple");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);
  EXPECT_TRUE(hasher().verify(*again, "correct horse battery staple"));
}

TEST(PasswordHasher, BinaryAndLongPasswords) {
  const std::string binary("p\0ss\xff\n", 6);
  auto hash = hasher().hash(binary);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hasher().verify(*hash, binary));
  EXPECT_FALSE(hasher().verify(*hash, "p"));  // no truncation at the NUL

  const std::string long_password(1024, 'x');
  auto long_hash = hasher().hash(long_password);
  ASSERT_TRUE(long_hash.ok());
  EXPECT_TRUE(hasher().verify(*long_hash, long_password));
  EXPECT_FALSE(hasher().verify(*long_hash, long_password.substr(0, 1023)));
}

TEST(PasswordHasher, ParametersAreEncodedInTheHash) {
  auto hash = hasher().hash("pw");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_EQ(hasher().params().memory_bytes, 19ull << 20);
  EXPECT_EQ(hasher().params().iterations, 2u);

  auto stronger = PasswordHasher::create({32ull << 20, 3});
  ASSERT_TRUE(stronger.ok());
  auto strong_hash = stronger->hash("pw");
  ASSERT_TRUE(strong_hash.ok());
  EXPECT_EQ(strong_hash->rfind("$argon2id$v=19$m=32768,t=3,p=1$", 0), 0u) << *strong_hash;
  // Each hash carries its own parameters, so either hasher verifies the other's hashes.
  EXPECT_TRUE(hasher().verify(*strong_hash, "pw"));
  EXPECT_TRUE(stronger->verify(*hash, "pw"));
}

TEST(PasswordHasher, MalformedHashesNeverVerify) {
  auto good = hasher().hash("pw");
  ASSERT_TRUE(good.ok());
  std::string truncated = good->substr(0, good->size() - 5);
  std::string flipped = *good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  std::string with_nul = *good;
  with_nul.insert(10, 1, '\0');
  for (const std::string& bad :
       {std::string(), std::string("pw"), std::string("$argon2id$"), truncated, flipped, with_nul,
        *good + "x", *good + std::string(200, 'A'), std::string(10000, '$'),
        std::string("$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"),
        std::string("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$"),
        std::string("$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA")}) {
    EXPECT_FALSE(hasher().verify(bad, "pw")) << bad;
  }
}

TEST(PasswordHasher, NeedsRehash) {
  auto current = hasher().hash("pw");
  ASSERT_TRUE(current.ok());
  EXPECT_FALSE(hasher().needs_rehash(*current));

  // What AdminService used to write: crypto_pwhash's INTERACTIVE parameters (m = 64 MiB).
  char interactive[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(interactive, "pw", 2, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13),
            0);
  EXPECT_TRUE(hasher().verify(interactive, "pw"));  // still accepted...
  EXPECT_TRUE(hasher().needs_rehash(interactive));  // ...and upgraded on the next login

  // argon2i is another algorithm: verifies, but is always rehashed to argon2id.
  char argon2i[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(argon2i, "pw", 2, 3, 19u << 20, crypto_pwhash_ALG_ARGON2I13), 0);
  EXPECT_TRUE(hasher().verify(argon2i, "pw"));
  EXPECT_TRUE(hasher().needs_rehash(argon2i));

  auto stronger = PasswordHasher::create({19ull << 20, 3});
  ASSERT_TRUE(stronger.ok());
  EXPECT_TRUE(stronger->needs_rehash(*current));
  EXPECT_TRUE(hasher().needs_rehash(""));
  EXPECT_TRUE(hasher().needs_rehash("not a hash"));
}

TEST(PasswordHasher, RefusesWeakParameters) {
  for (Argon2Params weak :
       {Argon2Params{(19ull << 20) - 1024, 2}, Argon2Params{19ull << 20, 1},
        Argon2Params{64ull << 20, 1}, Argon2Params{1ull << 20, 10}, Argon2Params{0, 0}}) {
    auto created = PasswordHasher::create(weak);
    ASSERT_FALSE(created.ok()) << weak.memory_bytes << " " << weak.iterations;
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidRequest);
  }
  auto absurd = PasswordHasher::create({~0ull, 2});
  ASSERT_FALSE(absurd.ok());
  EXPECT_EQ(absurd.error().code, ErrorCode::kInvalidRequest);
  EXPECT_TRUE(PasswordHasher::create({19ull << 20, 2}).ok());  // exactly the minimum
}

TEST(PasswordHasherDeathTest, ConstructorAbortsOnWeakParameters) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(PasswordHasher(Argon2Params{1ull << 20, 1}), "OWASP minimum");
}

TEST(PasswordHasher, DummyVerifyCostsAboutAsMuchAsARealOne) {
  auto stored = hasher().hash("the real password");
  ASSERT_TRUE(stored.ok());
  using Clock = std::chrono::steady_clock;
  constexpr int kRounds = 5;
  Clock::duration real{};
  Clock::duration dummy{};
  // Interleaved, so frequency scaling or a noisy neighbour affects both alike.
  for (int i = 0; i < kRounds; ++i) {
    auto t0 = Clock::now();
    EXPECT_FALSE(hasher().verify(*stored, "a wrong guess"));
    auto t1 = Clock::now();
    hasher().verify_dummy("a wrong guess");
    auto t2 = Clock::now();
    real += t1 - t0;
    dummy += t2 - t1;
  }
  const auto ms = [](Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count() / kRounds;
  };
  // Printed, not asserted: shared machines are too noisy for a timing assertion.
  std::printf("[          ] verify %.2f ms, verify_dummy %.2f ms (mean of %d)\n", ms(real),
              ms(dummy), kRounds);
}

TEST(PasswordHasher, CopiesShareNothingMutable) {
  PasswordHasher copy = hasher();
  auto hash = copy.hash("pw");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hasher().verify(*hash, "pw"));
  copy.verify_dummy("pw");
}

}  // namespace
}  // namespace connect_auth::domain
