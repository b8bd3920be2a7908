#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace connect_auth::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    auto path = dir_ / "connect-auth.toml";
    std::ofstream(path) << text;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(ConfigTest, DefaultsMatchTheDocumentedOnes) {
  auto config = load_config(std::nullopt, {}, {});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->server.listen, "127.0.0.1:8443");
  EXPECT_EQ(config->effective_issuer(), "https://127.0.0.1:8443");
  EXPECT_EQ(config->tokens.v3.lifetime_seconds, 1200);
  EXPECT_EQ(config->effective_store_url(), "sqlite:var/connect-auth.db");
  EXPECT_EQ(config->effective_master_key_file(), "var/secrets/master.key");
  EXPECT_FALSE(config->server.insecure_http);
}

TEST_F(ConfigTest, FileThenEnvironmentThenFlags) {
  auto file = write(R"(
issuer = "https://auth.example.test"
[server]
listen = "0.0.0.0:9443"
threads = 2
[tokens.v3]
lifetime_seconds = 600
)");
  auto config = load_config(file,
                            {"PATH=/usr/bin", "CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS=900",
                             "CONNECT_AUTH_SERVER_THREADS=3"},
                            {{"server.threads", "4"}});
  ASSERT_TRUE(config.ok()) << config.error().description;
  EXPECT_EQ(config->issuer, "https://auth.example.test");
  EXPECT_EQ(config->server.listen, "0.0.0.0:9443");
  EXPECT_EQ(config->tokens.v3.lifetime_seconds, 900);
  EXPECT_EQ(config->server.threads, 4);
}

TEST_F(ConfigTest, TheClientsOwnVariablesAreNoUnknownKeys) {
  // README: `export CONNECT_AUTH_API_ID=… CONNECT_AUTH_API_SECRET=…` before `connect-auth token`,
  // whose configuration (for the local server) must load with them set.
  auto config = load_config(
      std::nullopt,
      {"CONNECT_AUTH_API_ID=ABCDEFGHIJKLMNOPQRSTUVWXY", "CONNECT_AUTH_API_SECRET=s3cret",
       "CONNECT_AUTH_USER_NAME=ops@acme.test", "CONNECT_AUTH_CONFIG=/etc/connect-auth.toml",
       "CONNECT_AUTH_SERVER_LISTEN=127.0.0.1:9443"},
      {});
  ASSERT_TRUE(config.ok()) << config.error().description;
  EXPECT_EQ(config->server.listen, "127.0.0.1:9443");
  std::vector<std::string> names;
  for (const VariableDoc& v : other_variables()) {
    names.push_back(v.env);
    EXPECT_FALSE(v.doc.empty()) << v.env;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"CONNECT_AUTH_CONFIG", "CONNECT_AUTH_API_ID",
                                             "CONNECT_AUTH_API_SECRET", "CONNECT_AUTH_USER_NAME"}));
  // Only exactly these: a near miss is still an unknown variable, named.
  auto near_miss = load_config(std::nullopt, {"CONNECT_AUTH_API_IDS=x"}, {});
  ASSERT_FALSE(near_miss.ok());
  EXPECT_NE(near_miss.error().description.find("CONNECT_AUTH_API_IDS"), std::string::npos);
}

TEST_F(ConfigTest, ConnectionsPerSourceDefaultToAQuarterOfAll) {
  auto defaults = load_config(std::nullopt, {}, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->limits.max_connections_per_source, 0);
  EXPECT_EQ(defaults->limits.effective_max_connections_per_source(), 2500);
  auto few = load_config(std::nullopt, {"CONNECT_AUTH_LIMITS_MAX_CONNECTIONS=2"}, {});
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(few->limits.effective_max_connections_per_source(), 1);  // never 0: no cap at all
  auto set = load_config(std::nullopt, {"CONNECT_AUTH_LIMITS_MAX_CONNECTIONS_PER_SOURCE=64"}, {});
  ASSERT_TRUE(set.ok()) << set.error().description;
  EXPECT_EQ(set->limits.effective_max_connections_per_source(), 64);
  EXPECT_FALSE(
      load_config(std::nullopt, {"CONNECT_AUTH_LIMITS_MAX_CONNECTIONS_PER_SOURCE=-1"}, {}).ok());
}

TEST_F(ConfigTest, UnknownKeysAreNamed) {
  auto bad_file = load_config(write("[server]\nlisten_address = \"x\"\n"), {}, {});
  ASSERT_FALSE(bad_file.ok());
  EXPECT_NE(bad_file.error().description.find("server.listen_address"), std::string::npos);
  auto bad_env = load_config(std::nullopt, {"CONNECT_AUTH_TOKENS_V3_LIFETIME=5"}, {});
  ASSERT_FALSE(bad_env.ok());
  EXPECT_NE(bad_env.error().description.find("CONNECT_AUTH_TOKENS_V3_LIFETIME"), std::string::npos);
}

TEST_F(ConfigTest, TypesAndRangesAreChecked) {
  EXPECT_FALSE(load_config(write("[server]\nthreads = \"two\"\n"), {}, {}).ok());
  EXPECT_FALSE(load_config(std::nullopt, {"CONNECT_AUTH_SERVER_THREADS=2x"}, {}).ok());
  EXPECT_FALSE(load_config(std::nullopt, {"CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS=0"}, {}).ok());
  EXPECT_FALSE(load_config(std::nullopt, {"CONNECT_AUTH_LOG_ACCESS=maybe"}, {}).ok());
  EXPECT_FALSE(load_config(std::nullopt, {"CONNECT_AUTH_LOG_LEVEL=verbose"}, {}).ok());
  EXPECT_FALSE(load_config(std::nullopt, {"CONNECT_AUTH_TLS_CERT_FILE=/x.pem"}, {}).ok());
  EXPECT_FALSE(load_config(std::nullopt, {"CONNECT_AUTH_ISSUER=not-a-url"}, {}).ok());
  EXPECT_FALSE(load_config(write("not toml ="), {}, {}).ok());
  EXPECT_TRUE(load_config(std::nullopt, {"CONNECT_AUTH_LOG_ACCESS=false"}, {}).ok());
}

TEST_F(ConfigTest, InsecureHttpChangesTheDefaultIssuer) {
  auto config = load_config(std::nullopt, {}, {{"server.insecure_http", "true"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->effective_issuer(), "http://127.0.0.1:8443");
}

TEST(ParseListen, Forms) {
  EXPECT_EQ(parse_listen("127.0.0.1:8443")->second, 8443);
  EXPECT_EQ(parse_listen("[::1]:0")->first, "::1");
  EXPECT_EQ(parse_listen("localhost:1")->first, "localhost");
  EXPECT_FALSE(parse_listen("127.0.0.1").ok());
  EXPECT_FALSE(parse_listen(":8443").ok());
  EXPECT_FALSE(parse_listen("::1:8443").ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:65536").ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:80x").ok());
}

TEST(DescribeKeys, EveryKeyHasAnEnvironmentNameAndDoc) {
  auto keys = describe_keys();
  EXPECT_GE(keys.size(), 15u);
  for (const auto& k : keys) {
    EXPECT_EQ(k.env.rfind("CONNECT_AUTH_", 0), 0u);
    EXPECT_FALSE(k.doc.empty()) << k.key;
  }
  bool found = false;
  for (const auto& k : keys) found |= k.env == "CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS";
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace connect_auth::config
