#include "app/open_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace connect_auth::app {
namespace {

TEST(OpenStoreTest, OpensSqliteByAbsoluteUrl) {
  testing::TempDir dir;
  auto store = open_store("sqlite://" + dir.file("auth.db").string());
  ASSERT_TRUE(store.ok()) << store.error().description;
  ASSERT_TRUE((*store)->create_account({"g", "Acme", "US", true}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.file("auth.db")));
}

TEST(OpenStoreTest, OpensSqliteRelativeToTheWorkingDirectory) {
  testing::TempDir dir;
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto store = open_store("sqlite:data/auth.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(store.ok()) << store.error().description;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "auth.db"));
}

TEST(OpenStoreTest, UnreachablePostgresIsUnavailableAndNeverEchoesThePassword) {
  // Port 1 on loopback refuses at once: the PostgreSQL backend is chosen and fails to connect.
  auto store = open_store("postgresql://app:s3cret@127.0.0.1:1/auth?connect_timeout=2");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kStorageUnavailable);
  EXPECT_EQ(store.error().description.find("s3cret"), std::string::npos);
  EXPECT_EQ(store.error().description.find("127.0.0.1"), std::string::npos);
}

TEST(OpenStoreTest, BadUrlsAreInvalidRequests) {
  for (const char* u : {"redis://localhost", "sqlite://relative.db", "auth.db"}) {
    SCOPED_TRACE(u);
    auto store = open_store(u);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::kInvalidRequest);
  }
}

}  // namespace
}  // namespace connect_auth::app
