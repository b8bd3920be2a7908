#include <gtest/gtest.h>

#include <string>

#include "storage/postgres/redact_url.h"

namespace connect_auth::storage::postgres {
namespace {

TEST(RedactUrl, HidesTheUserinfoPassword) {
  EXPECT_EQ(redact_url("postgresql://ops:s3cr3t@db.example.com:5432/auth"),
            "postgresql://ops:***@db.example.com:5432/auth");
  EXPECT_EQ(redact_url("postgres://ops:s3cr3t@db/auth?sslmode=verify-full"),
            "postgres://ops:***@db/auth?sslmode=verify-full");
  EXPECT_EQ(redact_url("postgresql://:s3cr3t@db/auth"), "postgresql://:***@db/auth");
  EXPECT_EQ(redact_url("postgresql://ops:@db/auth"), "postgresql://ops:***@db/auth");
  EXPECT_EQ(redact_url("postgresql://ops:s3cr3t@h1:5432,h2:5433/auth"),
            "postgresql://ops:***@h1:5432,h2:5433/auth");
  EXPECT_EQ(redact_url("postgresql://ops:s3%40cr3t@[::1]:5432/auth"),
            "postgresql://ops:***@[::1]:5432/auth");
}

TEST(RedactUrl, HidesPasswordQueryParameters) {
  EXPECT_EQ(redact_url("postgresql://db/auth?user=ops&password=s3cr3t&sslmode=require"),
            "postgresql://db/auth?user=ops&password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql:///auth?host=/run/pg&password=s3cr3t"),
            "postgresql:///auth?host=/run/pg&password=***");
  EXPECT_EQ(redact_url("postgresql://db/auth?sslpassword=s3cr3t"),
            "postgresql://db/auth?sslpassword=***");
  // libpq percent-decodes keywords, and the case of a keyword is no disguise either.
  EXPECT_EQ(redact_url("postgresql://db/auth?%70assword=s3cr3t"),
            "postgresql://db/auth?%70assword=***");
  EXPECT_EQ(redact_url("postgresql://db/auth?PASSWORD=s3cr3t"),
            "postgresql://db/auth?PASSWORD=***");
  EXPECT_EQ(redact_url("postgresql://ops:s3cr3t@db/auth?password=s3cr3t"),
            "postgresql://ops:***@db/auth?password=***");
}

TEST(RedactUrl, LeavesUrlsWithoutSecretsAlone) {
  for (const char* url : {"postgresql://db/auth", "postgresql://ops@db:5432/auth",
                          "postgresql:///auth", "postgresql://db/auth?application_name=a@b",
                          "postgresql://db/auth?sslmode=require&connect_timeout=5"}) {
    EXPECT_EQ(redact_url(url), url);
  }
}

TEST(RedactUrl, AwkwardPasswordsNeverLeak) {
  // Unencoded reserved characters in a password: libpq may not even read them as one, but
  // whatever it does, the printed form must not carry them.
  for (const char* url : {
           "postgresql://ops:s3cr3t@x@db/auth",  // '@'
           "postgresql://ops:s3cr3t?x@db/auth",  // '?' (libpq allows it)
           "postgresql://ops:s3/cr3t@db/auth",   // '/'
           "postgresql://ops:s3:cr3t@db/auth",   // ':'
           "postgresql://ops:s3cr3t#x@db/auth",  // '#'
           "postgresql://ops:s3cr3t@db",         // no path
           "postgresql://ops:s3cr3t@db?sslmode=disable",
           "postgresql://db/auth?password=s3cr3t",  // last parameter
           "postgresql://db/auth?password=s3cr3t&",
           "POSTGRESQL://ops:s3cr3t@db/auth",
       }) {
    const std::string out = redact_url(url);
    EXPECT_EQ(out.find("s3"), std::string::npos) << url << " -> " << out;
    EXPECT_EQ(out.find("cr3t"), std::string::npos) << url << " -> " << out;
    EXPECT_NE(out.find("***"), std::string::npos) << url << " -> " << out;
  }
}

TEST(RedactUrl, KeywordValueConninfo) {
  EXPECT_EQ(redact_url("host=db dbname=auth password=s3cr3t user=ops"),
            "host=db dbname=auth password=*** user=ops");
  EXPECT_EQ(redact_url("host=db password = 's3 cr\\'3t' user=ops"),
            "host=db password = *** user=ops");
  EXPECT_EQ(redact_url("password='s3cr3t"), "password=***");  // unterminated quote
  EXPECT_EQ(redact_url("host=db"), "host=db");
  EXPECT_EQ(redact_url(""), "");
}

}  // namespace
}  // namespace connect_auth::storage::postgres
