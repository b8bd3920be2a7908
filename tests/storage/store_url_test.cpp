#include "storage/store_url.h"

#include <gtest/gtest.h>

namespace connect_auth::storage {
namespace {

TEST(StoreUrlTest, SqliteAbsolutePath) {
  auto url = parse_store_url("sqlite:///var/lib/connect-auth/auth.db");
  ASSERT_TRUE(url.ok()) << url.error().description;
  EXPECT_EQ(url->engine, StoreEngine::kSqlite);
  EXPECT_EQ(url->location, "/var/lib/connect-auth/auth.db");
}

TEST(StoreUrlTest, SqliteRelativePath) {
  auto url = parse_store_url("sqlite:data/auth.db");
  ASSERT_TRUE(url.ok()) << url.error().description;
  EXPECT_EQ(url->location, "data/auth.db");
  EXPECT_EQ(parse_store_url("sqlite:auth.db")->location, "auth.db");
}

TEST(StoreUrlTest, SchemeIsCaseInsensitive) {  // RFC 3986 §3.1
  auto url = parse_store_url("SQLite:///x.db");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->location, "/x.db");
}

TEST(StoreUrlTest, PostgresUrlsAreRecognised) {
  for (const char* u : {"postgresql://app:pw@db.internal/auth", "postgres://db/auth"}) {
    auto url = parse_store_url(u);
    ASSERT_TRUE(url.ok()) << u;
    EXPECT_EQ(url->engine, StoreEngine::kPostgres);
    EXPECT_EQ(url->location, u);
  }
}

TEST(StoreUrlTest, MalformedSqliteUrlsAreRefused) {
  for (const char* u :
       {"sqlite:", "sqlite://", "sqlite:///", "sqlite://relative.db", "sqlite://host/abs.db",
        "sqlite:/single-slash.db", "sqlite:dir/", "sqlite::memory:", "sqlite:///:memory:x/"}) {
    SCOPED_TRACE(u);
    auto url = parse_store_url(u);
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidRequest);
    EXPECT_NE(url.error().description.find("sqlite"), std::string::npos);
  }
  EXPECT_FALSE(parse_store_url(std::string_view("sqlite:a\0b.db", 12)).ok());
}

TEST(StoreUrlTest, UnknownSchemesAreNamed) {
  auto url = parse_store_url("mysql://root:hunter2@db/auth");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code, ErrorCode::kInvalidRequest);
  EXPECT_NE(url.error().description.find("\"mysql\""), std::string::npos);
  EXPECT_EQ(url.error().description.find("hunter2"), std::string::npos);  // never echo the URL
}

TEST(StoreUrlTest, MissingSchemeIsRefused) {
  for (const char* u : {"", "/var/lib/auth.db", "auth.db", ":x", "1sqlite:x", "sq lite:x"}) {
    SCOPED_TRACE(u);
    auto url = parse_store_url(u);
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidRequest);
    EXPECT_NE(url.error().description.find("no scheme"), std::string::npos);
  }
}

}  // namespace
}  // namespace connect_auth::storage
