#include "domain/client_credential.h"

#include <gtest/gtest.h>

#include "core/base64.h"

namespace connect_auth::domain {
namespace {

constexpr const char* kId = "3IYQHEP4H8V5GIR5L40K1AAAA";

void expect_malformed(std::string_view encoded) {
  auto decoded = decode_client_credential(encoded);
  ASSERT_FALSE(decoded.ok()) << encoded;
  EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(decoded.error().description, "malformed client credential");
}

TEST(ClientCredential, DecodesIdAndSecret) {
  auto decoded = decode_client_credential(encode_base64(std::string(kId) + ":s3cret"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->api_id, kId);
  EXPECT_EQ(decoded->secret, "s3cret");
}

TEST(ClientCredential, PaddingIsOptional) {
  std::string padded = encode_base64("ABC:de");  // 6 bytes → no padding needed; use 7
  padded = encode_base64("ABC:def");
  ASSERT_EQ(padded.back(), '=');
  std::string unpadded = padded;
  while (unpadded.back() == '=') unpadded.pop_back();
  EXPECT_TRUE(decode_client_credential(padded).ok());
  EXPECT_TRUE(decode_client_credential(unpadded).ok());
}

TEST(ClientCredential, SplitsAtTheFirstColon) {
  auto decoded = decode_client_credential(encode_base64("ID:se:cr:et"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->api_id, "ID");
  EXPECT_EQ(decoded->secret, "se:cr:et");
}

TEST(ClientCredential, RefusesMalformedInput) {
  expect_malformed("");
  expect_malformed(encode_base64("no-colon-here"));
  expect_malformed(encode_base64(":secret"));
  expect_malformed(encode_base64("id:"));
  expect_malformed(encode_base64(":"));
  std::string valid = encode_base64(std::string(kId) + ":secret-value");
  expect_malformed(valid.substr(0, 10) + " " + valid.substr(10));  // whitespace inside
  expect_malformed(valid + "\t");
  expect_malformed("Basic " + valid);                       // scheme inside the header
  expect_malformed(std::string(valid).replace(3, 1, "-"));  // URL-safe alphabet
  expect_malformed(std::string(valid).replace(3, 1, "*"));  // outside any alphabet
  expect_malformed(valid + "===");                          // excess padding
  expect_malformed("QUJD=RA");                              // padding inside
  expect_malformed(std::string(100 * 1024, 'A'));           // 100 KB value
  expect_malformed(std::string("QUJD\0OkRF", 9));           // embedded NUL in text
}

TEST(ClientCredential, KeepsExactBytesSoLookAlikesNeverMatch) {
  // Non-UTF-8 bytes and NUL inside the decoded id are kept, not truncated: the id then matches
  // no key instead of matching a shorter one.
  std::string raw = std::string(kId) + std::string("\0X", 2) + ":secret";
  auto decoded = decode_client_credential(encode_base64(raw));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->api_id.size(), 27u);
  EXPECT_FALSE(is_well_formed_api_id(decoded->api_id));
  auto latin1 = decode_client_credential(encode_base64("\xff\xfe:secret"));
  ASSERT_TRUE(latin1.ok());
  EXPECT_EQ(latin1->api_id, "\xff\xfe");
}

TEST(ClientCredential, ApiIdShape) {
  EXPECT_TRUE(is_well_formed_api_id(kId));
  EXPECT_FALSE(is_well_formed_api_id("3iyqhep4h8v5gir5l40k1aaaa"));  // lower case
  EXPECT_FALSE(is_well_formed_api_id("3IYQHEP4H8V5GIR5L40K1AAA"));   // 24 chars
  EXPECT_FALSE(is_well_formed_api_id("3IYQHEP4H8V5GIR5L40K1AAA'"));  // SQL metacharacter
}

}  // namespace
}  // namespace connect_auth::domain
