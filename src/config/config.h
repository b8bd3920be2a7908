// The server's configuration: typed, validated once at start, immutable afterwards.
// Sources, later ones winning: built-in defaults < TOML file < CONNECT_AUTH_* environment
// variables < command-line flags. Unknown keys (file or environment) are errors naming the key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace connect_auth::config {

struct Config {
  std::string data_dir = "var";
  std::string issuer;  // empty: derived from the listen address and scheme

  struct Server {
    std::string listen = "127.0.0.1:8443";
    std::int64_t threads = 0;
    bool insecure_http = false;
  } server;

  struct Tls {
    std::string cert_file;  // empty: a generated development certificate under data_dir/tls
    std::string key_file;
  } tls;

  struct Limits {
    std::int64_t header_bytes = 8192;
    std::int64_t body_bytes = 65536;
    std::int64_t read_timeout_ms = 10'000;
    std::int64_t keepalive_timeout_ms = 60'000;
    std::int64_t shutdown_grace_ms = 10'000;
    std::int64_t max_connections = 10'000;
    std::int64_t max_connections_per_source = 0;  // 0: a quarter of max_connections
    std::int64_t effective_max_connections_per_source() const;
  } limits;

  struct Shutdown {
    std::int64_t drain_delay_ms = 2'000;  // not-ready but serving, before the drain
  } shutdown;

  struct Tokens {
    std::int64_t clock_skew_seconds = 30;
    struct V3 {
      std::int64_t lifetime_seconds = 1200;
    } v3;
    struct V4 {
      std::int64_t lifetime_seconds = 3600;
      std::string audience;  // empty: the issuer
      std::string client_id = "connect-auth";
    } v4;
  } tokens;

  struct RefreshToken {
    std::int64_t grace_period_seconds = 30;
    std::int64_t idle_lifetime_seconds = 7 * 86'400;
    std::int64_t absolute_lifetime_seconds = 90 * 86'400;
  } refresh_token;

  struct Password {
    std::int64_t argon2_memory_kib = 19 * 1024;  // OWASP minimum for argon2id
    std::int64_t argon2_iterations = 2;
    std::int64_t workers = 0;  // 0: one per CPU core
    std::int64_t queue = 64;
  } password;

  struct Grants {
    std::int64_t workers = 16;  // refresh-token grants: mostly waiting on a shared commit
    std::int64_t queue = 1024;
  } grants;

  struct Throttle {
    bool enabled = true;
    std::int64_t window_seconds = 900;
    std::int64_t user_and_source_failures = 5;
    std::int64_t source_failures = 20;
    std::int64_t user_failures = 99;  // the 100th failure starts the backoff (NIST)
    std::int64_t max_delay_seconds = 900;
    std::int64_t user_max_delay_seconds = 60;
  } throttle;

  struct SigningKeys {
    std::int64_t rotation_days = 90;  // 0: only on demand (connect-auth signing-key rotate)
    std::int64_t publish_delay_seconds = 300;
  } signing_keys;

  struct Store {
    std::string url;             // empty: sqlite:<data_dir>/connect-auth.db
    std::int64_t pool_size = 8;  // connections this process opens to the database, at most
  } store;

  struct Cache {
    std::int64_t poll_interval_ms = 250;
  } cache;

  struct Log {
    std::string level = "info";
    bool access = true;
  } log;

  struct Secrets {
    std::string master_key_file;  // empty: <data_dir>/secrets/master.key
    std::string master_key;       // base64; when set, the file is not used
  } secrets;

  // Derived values (after defaults are applied).
  std::string effective_issuer() const;
  std::string effective_store_url() const;
  std::filesystem::path effective_master_key_file() const;
  std::filesystem::path tls_dir() const { return std::filesystem::path(data_dir) / "tls"; }
};

// Values given on the command line, as dotted keys (e.g. "server.listen").
using Overrides = std::map<std::string, std::string>;

// `file`: path of a TOML file, or nullopt for none. `environment`: the process environment as
// NAME=VALUE strings (pass `environ`); only CONNECT_AUTH_* names are looked at.
Result<Config> load_config(const std::optional<std::filesystem::path>& file,
                           const std::vector<std::string>& environment, const Overrides& overrides);

struct KeyDoc {
  std::string key;
  std::string env;
  std::string type;
  std::string default_value;
  std::string doc;
};
// Every key with its environment variable, type, default and one line of documentation.
std::vector<KeyDoc> describe_keys();

// The CONNECT_AUTH_* environment variables that are not configuration keys: the name of the
// configuration file, and the credentials of `connect-auth token` and `call`, which the command
// line reads itself and no Config ever holds. load_config passes over exactly these; any other
// unknown CONNECT_AUTH_* variable is an error that names it.
struct VariableDoc {
  std::string env;
  std::string doc;
};
const std::vector<VariableDoc>& other_variables();

// Splits "HOST:PORT" or "[IPv6]:PORT".
Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& listen);

}  // namespace connect_auth::config
