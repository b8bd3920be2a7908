#include "core/base64.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace connect_auth {
namespace {

using namespace std::string_literals;

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Every byte value, so both alphabets' last two symbols and the padding rules are exercised.
std::string all_bytes(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 37 + 11) & 0xff);
  return out;
}

struct Vector {
  std::string_view plain;
  std::string_view padded;
  std::string_view unpadded;
};

// RFC 4648 §10 test vectors.
constexpr Vector kRfc4648Vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64Test, EncodesRfc4648VectorsWithPadding) {
  for (const Vector& v : kRfc4648Vectors) {
    EXPECT_EQ(encode_base64(v.plain), v.padded) << v.plain;
  }
}

TEST(Base64Test, DecodesRfc4648VectorsPaddedAndUnpadded) {
  // wire-contract.md §2: the `user` header is standard base64 with optional padding.
  for (const Vector& v : kRfc4648Vectors) {
    auto padded = decode_base64(v.padded);
    ASSERT_TRUE(padded.has_value()) << v.padded;
    EXPECT_EQ(*padded, v.plain);
    auto unpadded = decode_base64(v.unpadded);
    ASSERT_TRUE(unpadded.has_value()) << v.unpadded;
    EXPECT_EQ(*unpadded, v.plain);
  }
}

TEST(Base64Test, EmptyTextDecodesToEmptyBytes) {
  auto decoded = decode_base64("");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->empty());
}

TEST(Base64Test, RoundTripsEveryLengthAndByteValue) {
  for (std::size_t size = 0; size <= 300; ++size) {
    const std::string plain = all_bytes(size);
    const std::string encoded = encode_base64(plain);
    EXPECT_EQ(encoded.size(), (size + 2) / 3 * 4);
    auto decoded = decode_base64(encoded);
    ASSERT_TRUE(decoded.has_value()) << size;
    EXPECT_EQ(*decoded, plain);
    // Padding is optional on input: the same text without '=' decodes to the same bytes.
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    auto decoded_unpadded = decode_base64(unpadded);
    ASSERT_TRUE(decoded_unpadded.has_value()) << size;
    EXPECT_EQ(*decoded_unpadded, plain);
  }
}

TEST(Base64Test, UsesTheStandardAlphabet) {
  EXPECT_EQ(encode_base64("\xfb\xff\xbf"s), "+/+/");
  auto decoded = decode_base64("+/+/");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "\xfb\xff\xbf"s);
}

TEST(Base64Test, RejectsMalformedText) {
  // bad-inputs.md §B: whitespace, other alphabets and wrong padding are malformed, never
  // "repaired" into some other credential.
  const std::string_view bad[] = {
      "Zm9v YmFy",     // space inside
      " Zm9vYmFy",     // leading space
      "Zm9vYmFy ",     // trailing space
      "Zm9vYmFy\n",    // trailing newline
      "Zm9v\r\nYmFy",  // line break inside (MIME style)
      "Zm9v\tYmFy",    // tab
      "-_-_",          // URL-safe alphabet
      "Zm9v_mFy",      // one URL-safe character
      "Zg=",           // half padding
      "Zg===",         // excess padding
      "Zm9v=",         // padding on a complete group
      "Zm9v====",      // a whole group of padding
      "=",             // padding alone
      "==",
      "====",
      "Zg==Zg==",      // padding in the middle
      "Zg=a",          // data after padding
      "Z",             // a single symbol holds no whole byte
      "Zm9vY",         // ditto after a full group
      "Zh",            // non-zero trailing bits: a second spelling of "f"
      "Zm9=",          // non-zero trailing bits with padding
      "Zm9v!",         // punctuation
      "Zm9v\xc3\xa9",  // non-ASCII
  };
  for (std::string_view text : bad) {
    EXPECT_FALSE(decode_base64(text).has_value()) << '"' << text << '"';
  }
}

TEST(Base64Test, RejectsEmbeddedNul) {
  const std::string text = "Zm9v\0YmFy"s;
  EXPECT_FALSE(decode_base64(text).has_value());
  EXPECT_FALSE(decode_base64("Zm9vYmFy\0"s).has_value());
}

TEST(Base64Test, RejectsEveryNonAsciiByteInEveryPosition) {
  // libsodium 1.0.18 on its own maps bytes >= 0x80 onto base64 values (0xdf read as a signed char
  // decodes like '/'), which would give one credential many spellings.
  for (const char* valid_text : {"Zm9vYmE/", "Zm9vYg==", "Zm9vYg"}) {
    const std::string valid = valid_text;
    ASSERT_TRUE(decode_base64(valid).has_value()) << valid;
    for (std::size_t position = 0; position < valid.size(); ++position) {
      for (int byte = 0x80; byte <= 0xff; ++byte) {
        std::string text = valid;
        text[position] = static_cast<char>(byte);
        EXPECT_FALSE(decode_base64(text).has_value())
            << valid << ": byte " << byte << " at " << position;
      }
    }
  }
}

TEST(Base64Test, DecodesLargeInput) {
  const std::string plain = all_bytes(100 * 1024);
  auto decoded = decode_base64(encode_base64(plain));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, plain);
}

TEST(Base64UrlTest, EncodesWithUrlAlphabetAndNoPadding) {
  // RFC 7515 §2: base64url without '=' for every JWS segment.
  EXPECT_EQ(encode_base64url(bytes_of("\xfb\xff\xbf")), "-_-_");
  EXPECT_EQ(encode_base64url(bytes_of("f")), "Zg");
  EXPECT_EQ(encode_base64url(bytes_of("fo")), "Zm8");
  EXPECT_EQ(encode_base64url(bytes_of("foobar")), "Zm9vYmFy");
  EXPECT_EQ(encode_base64url(bytes_of("")), "");
}

TEST(Base64UrlTest, AppendKeepsWhatIsAlreadyThere) {
  std::string out = "prefix.";
  append_base64url(out, std::string_view("foob"));
  EXPECT_EQ(out, "prefix.Zm9vYg");
  append_base64url(out, bytes_of("\xfb"));
  EXPECT_EQ(out, "prefix.Zm9vYg-w");
}

TEST(Base64UrlTest, RoundTripsEveryLength) {
  for (std::size_t size = 0; size <= 300; ++size) {
    const std::string plain = all_bytes(size);
    const std::string encoded = encode_base64url(bytes_of(plain));
    EXPECT_EQ(encoded.size(), (size * 4 + 2) / 3);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    auto decoded = decode_base64url(encoded);
    ASSERT_TRUE(decoded.has_value()) << size;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64UrlTest, RejectsAnythingButStrictBase64Url) {
  const std::string_view bad[] = {
      "+/+/",  // standard alphabet
      "-_-/",  // one standard symbol
      "Zg==",  // padding
      "Zg=",       "Zm9vYmFy=",
      " Zm9v",  // whitespace
      "Zm9v\n",
      "Zm9v.YmFy",  // a JWS separator is never part of a segment
      "Z",          // incomplete
      "Zh",         // non-zero trailing bits (signature malleability)
      "Zm9vYmF%",
  };
  for (std::string_view text : bad) {
    EXPECT_FALSE(decode_base64url(text).has_value()) << '"' << text << '"';
  }
  EXPECT_FALSE(decode_base64url("Zm9v\0"s).has_value());
}

TEST(Base64UrlTest, RejectsEveryNonAsciiByteInEveryPosition) {
  const std::string valid = "Zm9vYmE_-w";
  ASSERT_TRUE(decode_base64url(valid).has_value());
  for (std::size_t position = 0; position < valid.size(); ++position) {
    for (int byte = 0x80; byte <= 0xff; ++byte) {
      std::string text = valid;
      text[position] = static_cast<char>(byte);
      EXPECT_FALSE(decode_base64url(text).has_value()) << "byte " << byte << " at " << position;
    }
  }
}

}  // namespace
}  // namespace connect_auth

namespace connect_auth {
namespace {

// The hand-written base64url encoder must agree byte for byte with libsodium's, which it
// replaced on the hot path, for every length and many byte patterns.
TEST(Base64UrlTest, MatchesLibsodiumForEveryLengthUpTo300) {
  std::string data;
  std::uint32_t state = 12345;
  for (std::size_t length = 0; length < 300; ++length) {
    data.resize(length);
    for (auto& c : data) {
      state = state * 1103515245u + 12345u;
      c = static_cast<char>(state >> 23);
    }
    std::string expected(
        sodium_base64_encoded_len(length, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(expected.data(), expected.size(),
                      reinterpret_cast<const unsigned char*>(data.data()), length,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    expected.pop_back();  // the NUL terminator
    std::string actual = "prefix";
    append_base64url(actual, std::string_view(data));
    ASSERT_EQ(actual, "prefix" + expected) << "length " << length;
  }
}

}  // namespace
}  // namespace connect_auth
