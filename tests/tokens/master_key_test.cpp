#include "tokens/master_key.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/base64.h"
#include "support/temp_dir.h"
#include "tokens_test_util.h"

namespace connect_auth::tokens {
namespace {

namespace fs = std::filesystem;
using test_util::bytes_of;
using test_util::hex;

std::array<std::uint8_t, MasterKey::kSize> counting_bytes() {
  std::array<std::uint8_t, MasterKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  return bytes;
}

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class MasterKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }

  // Writes `text` to a key file with the given mode, as an operator would.
  fs::path write_key_file(const std::string& text, unsigned mode = 0600) {
    fs::path path = dir_ / "given.key";
    fs::remove(path);
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  static std::string valid_text() {
    auto bytes = counting_bytes();
    return encode_base64(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  connect_auth::testing::TempDir temp_;
  const fs::path dir_ = temp_.path();
};

TEST_F(MasterKeyFileTest, CreatesKeyReadableOnlyByOwner) {
  const fs::path path = dir_ / "secrets" / "master.key";
  auto key = MasterKey::load(path, /*create=*/true);
  ASSERT_TRUE(key.ok()) << key.error().description;
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(path.parent_path()), 0700u);

  // 32 random bytes as standard base64 and a newline: an operator can back it up as text.
  const std::string text = read_all(path);
  ASSERT_EQ(text.size(), 45u);
  EXPECT_EQ(text.back(), '\n');
  auto decoded = decode_base64(std::string_view(text).substr(0, 44));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), MasterKey::kSize);
}

TEST_F(MasterKeyFileTest, ReloadGivesTheSamePepper) {
  const fs::path path = dir_ / "secrets" / "master.key";
  auto created = MasterKey::load(path, true);
  ASSERT_TRUE(created.ok());
  const std::string text = read_all(path);

  auto reloaded = MasterKey::load(path, false);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().description;
  EXPECT_EQ(reloaded->pepper(), created->pepper());

  // create=true on an existing file never replaces it (that would orphan every stored hash).
  auto again = MasterKey::load(path, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pepper(), created->pepper());
  EXPECT_EQ(read_all(path), text);
}

TEST_F(MasterKeyFileTest, EachCreatedKeyIsNew) {
  auto first = MasterKey::load(dir_ / "a" / "master.key", true);
  auto second = MasterKey::load(dir_ / "b" / "master.key", true);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->pepper(), second->pepper());
}

TEST_F(MasterKeyFileTest, MissingFileWithoutCreateIsAnError) {
  const fs::path path = dir_ / "absent.key";
  auto key = MasterKey::load(path, false);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(MasterKeyFileTest, RefusesFilesOthersCanAccess) {
  for (unsigned mode : {0640u, 0604u, 0620u, 0602u, 0610u, 0601u, 0660u, 0644u, 0666u}) {
    const fs::path path = write_key_file(valid_text() + "\n", mode);
    auto key = MasterKey::load(path, false);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.error().code, ErrorCode::kInternal);
  }
  for (unsigned mode : {0600u, 0400u, 0700u}) {
    const fs::path path = write_key_file(valid_text() + "\n", mode);
    EXPECT_TRUE(MasterKey::load(path, false).ok()) << std::oct << mode;
  }
}

TEST_F(MasterKeyFileTest, RefusesContentThatIsNotExactly32Base64Bytes) {
  const std::string valid = valid_text();
  const std::string bad[] = {
      "",
      "\n",
      "not base64 at all!",
      encode_base64(std::string(31, 'k')),
      encode_base64(std::string(33, 'k')),
      encode_base64(std::string(64, 'k')),
      valid.substr(0, 20) + " " + valid.substr(20),  // whitespace inside
      " " + valid,                                   // leading whitespace
      valid + "x",
      valid + "\nsecond line",
      valid.substr(0, 43) + "==",  // excess padding
  };
  for (const std::string& text : bad) {
    const fs::path path = write_key_file(text);
    auto key = MasterKey::load(path, false);
    ASSERT_FALSE(key.ok()) << '"' << text << '"';
    EXPECT_EQ(key.error().code, ErrorCode::kInternal);
    // The refusal names the file but never echoes the key material.
    if (text.size() > 8) {
      EXPECT_EQ(key.error().description.find(text), std::string::npos);
    }
  }
}

TEST_F(MasterKeyFileTest, AcceptsTrailingLineEndAndOptionalPadding) {
  const std::string valid = valid_text();
  const auto expected = MasterKey::from_bytes(counting_bytes()).pepper();
  for (const std::string& text :
       {valid, valid + "\n", valid + "\r\n", valid + " \n", valid.substr(0, 43)}) {
    const fs::path path = write_key_file(text);
    auto key = MasterKey::load(path, false);
    ASSERT_TRUE(key.ok()) << '"' << text << '"';
    EXPECT_EQ(key->pepper(), expected);
  }
}

TEST_F(MasterKeyFileTest, CreateLeavesAnExistingDirectoryAlone) {
  // A key file configured as /etc/connect-auth.key must not turn /etc into 0700.
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_TRUE(MasterKey::load(dir_ / "master.key", true).ok());
  EXPECT_EQ(mode_of(dir_), 0755u);
  EXPECT_EQ(mode_of(dir_ / "master.key"), 0600u);
}

TEST_F(MasterKeyFileTest, CreatesKeyInTheWorkingDirectory) {
  const fs::path previous = fs::current_path();
  fs::current_path(dir_);
  auto key = MasterKey::load("master.key", true);
  fs::current_path(previous);
  ASSERT_TRUE(key.ok()) << key.error().description;
  EXPECT_EQ(mode_of(dir_ / "master.key"), 0600u);
}

TEST(MasterKeyTest, DerivationIsPinned) {
  // BLAKE2b KDF (libsodium crypto_kdf, context "conauth1"), computed independently with Python's
  // hashlib.blake2b. If this changes, every stored secret hash and sealed key becomes unusable.
  auto key = MasterKey::from_bytes(counting_bytes());
  EXPECT_EQ(hex(key.pepper()), "208ec6fad3fbd3aba007df3e4f0bcdf5737232ca2f9b6e0f62f19a184d1f7586");

  // Sealing uses subkey 2: whatever seal() writes opens with plain secretbox under that key.
  const std::string plaintext = "an HS256 signing key of 32 bytes";
  const std::vector<std::uint8_t> sealed = key.seal(bytes_of(plaintext));
  const std::array<std::uint8_t, 32> sealing_key = {0x60, 0x0b, 0x39, 0xe1, 0x33, 0x92, 0x6b, 0x93,
                                                    0x01, 0xae, 0xb5, 0xd9, 0x85, 0x9f, 0x3c, 0x48,
                                                    0x75, 0x31, 0xd6, 0x53, 0x11, 0xd8, 0xdc, 0x14,
                                                    0x02, 0x9a, 0x75, 0x14, 0xe6, 0x5e, 0xf3, 0xc8};
  ASSERT_EQ(sealed.size(),
            crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
  std::string opened(plaintext.size(), '\0');
  ASSERT_EQ(crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(opened.data()),
                                       sealed.data() + crypto_secretbox_NONCEBYTES,
                                       sealed.size() - crypto_secretbox_NONCEBYTES, sealed.data(),
                                       sealing_key.data()),
            0);
  EXPECT_EQ(opened, plaintext);
}

TEST(MasterKeyTest, DifferentKeysGiveDifferentPeppers) {
  auto bytes = counting_bytes();
  auto first = MasterKey::from_bytes(bytes);
  bytes[31] ^= 1;
  auto second = MasterKey::from_bytes(bytes);
  EXPECT_NE(first.pepper(), second.pepper());
}

TEST(MasterKeyTest, SealOpenRoundTrip) {
  auto key = MasterKey::from_bytes(counting_bytes());
  for (std::string plaintext :
       {std::string(), std::string("x"), std::string(32, '\x5a'), std::string(1000, '\0')}) {
    const auto sealed = key.seal(bytes_of(plaintext));
    EXPECT_EQ(sealed.size(), 24u + 16u + plaintext.size());
    auto opened = key.open(sealed);
    ASSERT_TRUE(opened.ok()) << plaintext.size();
    EXPECT_EQ(std::string(opened->begin(), opened->end()), plaintext);
  }
}

TEST(MasterKeyTest, EverySealUsesAFreshNonce) {
  auto key = MasterKey::from_bytes(counting_bytes());
  const std::string plaintext(32, 'k');
  const auto first = key.seal(bytes_of(plaintext));
  const auto second = key.seal(bytes_of(plaintext));
  EXPECT_NE(first, second);
  EXPECT_FALSE(std::equal(first.begin(), first.begin() + 24, second.begin()));
}

TEST(MasterKeyTest, TamperedSealedBytesAreRefused) {
  auto key = MasterKey::from_bytes(counting_bytes());
  const std::string plaintext(32, 'k');
  const auto sealed = key.seal(bytes_of(plaintext));
  // One bit anywhere: nonce, tag or ciphertext.
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto tampered = sealed;
    tampered[i] ^= 0x80;
    auto opened = key.open(tampered);
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(opened.error().code, ErrorCode::kInternal);
  }
  auto longer = sealed;
  longer.push_back(0);
  EXPECT_FALSE(key.open(longer).ok());
  auto shorter = sealed;
  shorter.pop_back();
  EXPECT_FALSE(key.open(shorter).ok());
  // Shorter than nonce + tag: refused before any decryption.
  EXPECT_FALSE(key.open(std::span(sealed.data(), 39)).ok());
  EXPECT_FALSE(key.open(std::span<const std::uint8_t>{}).ok());
}

TEST(MasterKeyTest, OtherMasterKeyCannotOpen) {
  auto bytes = counting_bytes();
  auto ours = MasterKey::from_bytes(bytes);
  bytes[0] ^= 0xff;
  auto theirs = MasterKey::from_bytes(bytes);
  const auto sealed = ours.seal(bytes_of("signing key material"));
  auto opened = theirs.open(sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(ours.open(sealed).ok());
}

TEST(MasterKeyTest, MovedKeyKeepsWorking) {
  auto original = MasterKey::from_bytes(counting_bytes());
  const auto pepper = original.pepper();
  const auto sealed = original.seal(bytes_of("payload"));
  MasterKey moved(std::move(original));
  EXPECT_EQ(moved.pepper(), pepper);
  EXPECT_TRUE(moved.open(sealed).ok());
}

}  // namespace
}  // namespace connect_auth::tokens
