#include "tokens/secret_hasher.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tokens_test_util.h"

namespace connect_auth::tokens {
namespace {

using test_util::bytes_of;
using test_util::oracle_hmac;

std::array<std::uint8_t, 32> pepper_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> pepper{};
  for (std::size_t i = 0; i < pepper.size(); ++i) pepper[i] = static_cast<std::uint8_t>(seed + i);
  return pepper;
}

constexpr std::string_view kSecret = "Zr3xY0q_8Lk2mWcV9tPaBnE4sJ7dHfU1oIgKlQeRy5w";

TEST(SecretHasherTest, HashIsHmacSha256OfTheSecretUnderThePepper) {
  const auto pepper = pepper_of(1);
  SecretHasher hasher(pepper);
  EXPECT_EQ(hasher.hash(kSecret), oracle_hmac(pepper, kSecret));
  EXPECT_EQ(hasher.hash(kSecret), hasher.hash(kSecret));  // deterministic: it is a lookup key
}

TEST(SecretHasherTest, MatchesOnlyTheExactSecret) {
  SecretHasher hasher(pepper_of(1));
  const tokens::SecretHash stored = hasher.hash(kSecret);
  EXPECT_TRUE(hasher.matches(kSecret, stored));

  std::string changed(kSecret);
  for (std::size_t i = 0; i < changed.size(); ++i) {
    changed[i] ^= 0x20;  // case flip or punctuation change, one character at a time
    EXPECT_FALSE(hasher.matches(changed, stored)) << i;
    changed[i] ^= 0x20;
  }
  EXPECT_FALSE(hasher.matches("", stored));
  EXPECT_FALSE(hasher.matches(kSecret.substr(0, kSecret.size() - 1), stored));
  EXPECT_FALSE(hasher.matches(std::string(kSecret) + "x", stored));
  EXPECT_FALSE(hasher.matches(std::string(kSecret) + '\0', stored));
}

TEST(SecretHasherTest, DifferentPepperGivesDifferentHash) {
  // A database copied to another installation (other master key) verifies no secret.
  SecretHasher first(pepper_of(1));
  SecretHasher second(pepper_of(2));
  EXPECT_NE(first.hash(kSecret), second.hash(kSecret));
  EXPECT_FALSE(second.matches(kSecret, first.hash(kSecret)));
}

TEST(SecretHasherTest, EmptyStoredHashMatchesNothing) {
  SecretHasher hasher(pepper_of(3));
  const tokens::SecretHash zero{};
  EXPECT_FALSE(hasher.matches(kSecret, zero));
  EXPECT_FALSE(hasher.matches("", zero));
}

}  // namespace
}  // namespace connect_auth::tokens
