#include "config/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <variant>

namespace connect_auth::config {
namespace {

using StringField = std::function<std::string&(Config&)>;
using IntField = std::function<std::int64_t&(Config&)>;
using BoolField = std::function<bool&(Config&)>;

struct KeySpec {
  std::string key;
  std::variant<StringField, IntField, BoolField> field;
  std::int64_t min = 0;  // for integers
  std::int64_t max = 0;
  std::string doc;
};

#define CA_STRING(path) StringField([](Config& c) -> std::string& { return c.path; })
#define CA_INT(path) IntField([](Config& c) -> std::int64_t& { return c.path; })
#define CA_BOOL(path) BoolField([](Config& c) -> bool& { return c.path; })

// The schema: one row per key. Documentation is generated from it (`connect-auth config keys`).
const std::vector<KeySpec>& schema() {
  static const std::vector<KeySpec> keys = {
      {"data_dir", CA_STRING(data_dir), 0, 0,
       "Directory for everything the server keeps: SQLite database, dev certificate, master key."},
      {"issuer", CA_STRING(issuer), 0, 0,
       "Issuer URL put in tokens (iss). Empty: the URL the server listens on."},
      {"server.listen", CA_STRING(server.listen), 0, 0,
       "Address and port to listen on, HOST:PORT or [IPv6]:PORT."},
      {"server.threads", CA_INT(server.threads), 0, 256,
       "Event-loop threads. 0: one per CPU core."},
      {"server.insecure_http", CA_BOOL(server.insecure_http), 0, 0,
       "Serve plain HTTP instead of HTTPS (only behind a TLS-terminating proxy)."},
      {"tls.cert_file", CA_STRING(tls.cert_file), 0, 0,
       "PEM certificate chain. Empty: a development certificate generated in data_dir/tls."},
      {"tls.key_file", CA_STRING(tls.key_file), 0, 0, "PEM private key of tls.cert_file."},
      {"limits.header_bytes", CA_INT(limits.header_bytes), 1024, 1 << 20,
       "Largest request header section; larger gets 431."},
      {"limits.body_bytes", CA_INT(limits.body_bytes), 0, 16 << 20,
       "Largest request body; larger gets 413 before it is read."},
      {"limits.read_timeout_ms", CA_INT(limits.read_timeout_ms), 100, 600'000,
       "Time allowed for a whole request to arrive; slower clients are disconnected."},
      {"limits.keepalive_timeout_ms", CA_INT(limits.keepalive_timeout_ms), 100, 3'600'000,
       "Idle keep-alive connections are closed after this."},
      {"limits.shutdown_grace_ms", CA_INT(limits.shutdown_grace_ms), 0, 600'000,
       "On SIGTERM, time given to in-flight requests before connections are closed."},
      {"limits.max_connections", CA_INT(limits.max_connections), 1, 1'000'000,
       "Concurrent connections; more are closed at once."},
      {"limits.max_connections_per_source", CA_INT(limits.max_connections_per_source), 0, 1'000'000,
       "Concurrent connections from one client address; more from it are closed at once while "
       "other addresses are served. 0: a quarter of limits.max_connections. Behind a proxy every "
       "connection comes from the proxy: set it to limits.max_connections."},
      {"shutdown.drain_delay_ms", CA_INT(shutdown.drain_delay_ms), 0, 600'000,
       "On SIGTERM, /health/ready answers 503 at once and the server goes on serving this long "
       "(answers close their connection) so a load balancer takes the node out; then it stops "
       "accepting and drains (limits.shutdown_grace_ms). 0: drain at once."},
      {"tokens.clock_skew_seconds", CA_INT(tokens.clock_skew_seconds), 0, 300,
       "Leeway when checking token exp/iat/nbf against this node's clock."},
      {"tokens.v3.lifetime_seconds", CA_INT(tokens.v3.lifetime_seconds), 60, 86'400,
       "Lifetime of v3 access tokens (expires_in)."},
      {"tokens.v4.lifetime_seconds", CA_INT(tokens.v4.lifetime_seconds), 60, 86'400,
       "Lifetime of v4 access tokens (expiresIn)."},
      {"tokens.v4.audience", CA_STRING(tokens.v4.audience), 0, 0,
       "Audience put in v4 access tokens (aud). Empty: the issuer."},
      {"tokens.v4.client_id", CA_STRING(tokens.v4.client_id), 0, 0,
       "Client id put in v4 access tokens (cid): the first-party client of user logins."},
      {"refresh_token.grace_period_seconds", CA_INT(refresh_token.grace_period_seconds), 0, 60,
       "A rotated refresh token presented again within this is answered normally (a client's "
       "retry); after it, the whole family is revoked. 0: never."},
      {"refresh_token.idle_lifetime_seconds", CA_INT(refresh_token.idle_lifetime_seconds), 60,
       400LL * 86'400, "A refresh token unused this long after it was issued expires."},
      {"refresh_token.absolute_lifetime_seconds", CA_INT(refresh_token.absolute_lifetime_seconds),
       60, 3650LL * 86'400,
       "No refresh token of a login is accepted after this (a new password login is needed)."},
      {"password.argon2_memory_kib", CA_INT(password.argon2_memory_kib), 19 * 1024, 4 * 1024 * 1024,
       "argon2id memory per password hash (KiB); OWASP minimum 19456."},
      {"password.argon2_iterations", CA_INT(password.argon2_iterations), 2, 64,
       "argon2id passes per password hash; OWASP minimum 2."},
      {"password.workers", CA_INT(password.workers), 0, 256,
       "Threads that verify passwords, at low priority. 0: one per CPU core."},
      {"password.queue", CA_INT(password.queue), 1, 100'000,
       "Password requests waiting for a worker; beyond this they get 503 at once."},
      {"grants.workers", CA_INT(grants.workers), 0, 256,
       "Threads for refresh-token grants. They mostly wait for the durable commit, which "
       "concurrent grants share, so more threads than cores. 0: one per core."},
      {"grants.queue", CA_INT(grants.queue), 1, 1'000'000,
       "Refresh requests waiting for a worker; beyond this they get 503 at once."},
      {"throttle.enabled", CA_BOOL(throttle.enabled), 0, 0,
       "Slow down password guessing (429 + Retry-After), counted across all nodes."},
      {"throttle.window_seconds", CA_INT(throttle.window_seconds), 1, 86'400,
       "Failures are counted until this long after the last one."},
      {"throttle.user_and_source_failures", CA_INT(throttle.user_and_source_failures), 1, 1000,
       "Failed logins for one user name from one address that cost nothing; each further "
       "failure delays the next attempt (1 s, doubling)."},
      {"throttle.source_failures", CA_INT(throttle.source_failures), 1, 100'000,
       "Failed logins from one address (any user name) that cost nothing; then backoff."},
      {"throttle.user_failures", CA_INT(throttle.user_failures), 1, 100'000,
       "Failed logins for one user name from all addresses that cost nothing; then backoff "
       "(99: at most 100 failures in a row before any delay, NIST SP 800-63B)."},
      {"throttle.max_delay_seconds", CA_INT(throttle.max_delay_seconds), 1, 86'400,
       "Longest backoff (1 s doubling per failure) for an address or user name + address."},
      {"throttle.user_max_delay_seconds", CA_INT(throttle.user_max_delay_seconds), 1, 3600,
       "Longest backoff for a user name across all addresses: short, so nobody can lock a "
       "victim out."},
      {"signing_keys.rotation_days", CA_INT(signing_keys.rotation_days), 0, 3650,
       "Signing keys are rotated when the signing one is this old. 0: only on demand."},
      {"signing_keys.publish_delay_seconds", CA_INT(signing_keys.publish_delay_seconds), 1, 86'400,
       "A new signing key is published (JWKS, every node) this long before it signs."},
      {"store.url", CA_STRING(store.url), 0, 0,
       "Database URL: sqlite:PATH, sqlite:///ABSOLUTE/PATH, or postgresql://USER@HOST:PORT/DB"
       "?sslmode=verify-full (libpq's URI; its password may also come from PGPASSWORD or "
       "~/.pgpass; never logged). Empty: sqlite:<data_dir>/connect-auth.db."},
      {"store.pool_size", CA_INT(store.pool_size), 1, 256,
       "Most database connections one process opens (PostgreSQL: plan max_connections for "
       "nodes x this, see docs/scaling.md)."},
      {"cache.poll_interval_ms", CA_INT(cache.poll_interval_ms), 10, 1000,
       "How often the store's change feed is polled; bounds how late another process's change is "
       "seen."},
      {"log.level", CA_STRING(log.level), 0, 0, "debug, info, warn, error or off."},
      {"log.access", CA_BOOL(log.access), 0, 0, "Log one line per request."},
      {"secrets.master_key_file", CA_STRING(secrets.master_key_file), 0, 0,
       "File with the 256-bit master key (base64, mode 0600). Empty: "
       "<data_dir>/secrets/master.key, "
       "generated on first start."},
      {"secrets.master_key", CA_STRING(secrets.master_key), 0, 0,
       "The master key itself (base64 of 32 bytes), e.g. CONNECT_AUTH_SECRETS_MASTER_KEY from a "
       "secret manager. Overrides secrets.master_key_file."},
  };
  return keys;
}

#undef CA_STRING
#undef CA_INT
#undef CA_BOOL

bool is_other_variable(std::string_view name) {
  for (const VariableDoc& variable : other_variables()) {
    if (variable.env == name) return true;
  }
  return false;
}

std::string env_name(const std::string& key) {
  std::string name = "CONNECT_AUTH_";
  for (char c : key) name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

const KeySpec* find_key(std::string_view key) {
  for (const KeySpec& spec : schema()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

Error config_error(std::string message) {
  return make_error(ErrorCode::kInvalidRequest, std::move(message));
}

// Applies a textual value (environment or flag) to a key.
Result<void> apply_text(Config& config, const KeySpec& spec, const std::string& value,
                        const std::string& source) {
  if (const auto* s = std::get_if<StringField>(&spec.field)) {
    (*s)(config) = value;
    return Ok{};
  }
  if (const auto* i = std::get_if<IntField>(&spec.field)) {
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return config_error(source + ": " + spec.key + " must be an integer");
    }
    (*i)(config) = parsed;
    return Ok{};
  }
  const auto& b = std::get<BoolField>(spec.field);
  if (value == "true" || value == "1" || value == "yes") {
    b(config) = true;
  } else if (value == "false" || value == "0" || value == "no") {
    b(config) = false;
  } else {
    return config_error(source + ": " + spec.key + " must be true or false");
  }
  return Ok{};
}

Result<void> apply_toml(Config& config, const toml::table& table, const std::string& prefix,
                        const std::string& file) {
  for (const auto& [name, node] : table) {
    std::string key =
        prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (const toml::table* nested = node.as_table()) {
      auto applied = apply_toml(config, *nested, key, file);
      if (!applied) return applied;
      continue;
    }
    const KeySpec* spec = find_key(key);
    if (spec == nullptr) return config_error(file + ": unknown configuration key '" + key + "'");
    if (const auto* s = std::get_if<StringField>(&spec->field)) {
      auto value = node.value<std::string>();
      if (!node.is_string() || !value) return config_error(file + ": " + key + " must be a string");
      (*s)(config) = *value;
    } else if (const auto* i = std::get_if<IntField>(&spec->field)) {
      if (!node.is_integer()) return config_error(file + ": " + key + " must be an integer");
      (*i)(config) = *node.value<std::int64_t>();
    } else {
      if (!node.is_boolean()) return config_error(file + ": " + key + " must be true or false");
      std::get<BoolField>(spec->field)(config) = *node.value<bool>();
    }
  }
  return Ok{};
}

Result<void> validate(Config& config) {
  for (const KeySpec& spec : schema()) {
    if (const auto* i = std::get_if<IntField>(&spec.field)) {
      std::int64_t v = (*i)(config);
      if (v < spec.min || v > spec.max) {
        return config_error(spec.key + " must be between " + std::to_string(spec.min) + " and " +
                            std::to_string(spec.max) + " (got " + std::to_string(v) + ")");
      }
    }
  }
  if (config.data_dir.empty()) return config_error("data_dir must not be empty");
  auto listen = parse_listen(config.server.listen);
  if (!listen) return std::move(listen).error();
  if (config.tls.cert_file.empty() != config.tls.key_file.empty()) {
    return config_error("tls.cert_file and tls.key_file must be set together");
  }
  const auto& level = config.log.level;
  if (level != "debug" && level != "info" && level != "warn" && level != "error" &&
      level != "off") {
    return config_error("log.level must be one of debug, info, warn, error, off");
  }
  if (!config.issuer.empty() && config.issuer.find("://") == std::string::npos) {
    return config_error("issuer must be an absolute URL such as https://auth.example.com");
  }
  return Ok{};
}

}  // namespace

const std::vector<VariableDoc>& other_variables() {
  static const std::vector<VariableDoc> variables = {
      {"CONNECT_AUTH_CONFIG", "The TOML configuration file, like --config."},
      {"CONNECT_AUTH_API_ID", "`token`/`call`: the API key's id, like --api-id."},
      {"CONNECT_AUTH_API_SECRET",
       "`token`/`call`: the API key's secret (or --api-secret-file; never a flag)."},
      {"CONNECT_AUTH_USER_NAME", "`token`/`call`: log in as this user, like --user-name."},
  };
  return variables;
}

Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& listen) {
  const Error bad =
      config_error("server.listen must be HOST:PORT or [IPv6]:PORT (got '" + listen + "')");
  std::string host;
  std::string port_text;
  if (!listen.empty() && listen.front() == '[') {
    auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return bad;
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || listen.find(':') != colon) return bad;
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || port_text.empty() || ec != std::errc() ||
      end != port_text.data() + port_text.size() || port > 65535) {
    return bad;
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

std::string Config::effective_issuer() const {
  if (!issuer.empty()) return issuer;
  return std::string(server.insecure_http ? "http://" : "https://") + server.listen;
}

std::string Config::effective_store_url() const {
  if (!store.url.empty()) return store.url;
  const auto path = std::filesystem::path(data_dir) / "connect-auth.db";
  // sqlite:///abs/path for absolute paths, sqlite:rel/path otherwise (storage/store.h).
  return (path.is_absolute() ? "sqlite://" : "sqlite:") + path.string();
}

std::int64_t Config::Limits::effective_max_connections_per_source() const {
  if (max_connections_per_source > 0) return max_connections_per_source;
  return std::max<std::int64_t>(1, max_connections / 4);
}

std::filesystem::path Config::effective_master_key_file() const {
  if (!secrets.master_key_file.empty()) return secrets.master_key_file;
  return std::filesystem::path(data_dir) / "secrets" / "master.key";
}

Result<Config> load_config(const std::optional<std::filesystem::path>& file,
                           const std::vector<std::string>& environment,
                           const Overrides& overrides) {
  Config config;
  if (file) {
    toml::table table;
    try {
      table = toml::parse_file(file->string());
    } catch (const toml::parse_error& e) {
      return config_error(file->string() + ": " + std::string(e.description()) + " (line " +
                          std::to_string(e.source().begin.line) + ")");
    }
    auto applied = apply_toml(config, table, "", file->string());
    if (!applied) return std::move(applied).error();
  }
  for (const std::string& entry : environment) {
    if (entry.rfind("CONNECT_AUTH_", 0) != 0) continue;
    auto eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
    if (is_other_variable(name)) continue;  // read by the command line, not configuration
    const KeySpec* spec = nullptr;
    for (const KeySpec& candidate : schema()) {
      if (env_name(candidate.key) == name) spec = &candidate;
    }
    if (spec == nullptr) {
      return config_error("unknown environment variable " + name +
                          " (no such configuration key; see `connect-auth config keys`)");
    }
    auto applied = apply_text(config, *spec, value, "environment " + name);
    if (!applied) return std::move(applied).error();
  }
  for (const auto& [key, value] : overrides) {
    const KeySpec* spec = find_key(key);
    if (spec == nullptr) return config_error("unknown configuration key '" + key + "'");
    auto applied = apply_text(config, *spec, value, "command line");
    if (!applied) return std::move(applied).error();
  }
  auto valid = validate(config);
  if (!valid) return std::move(valid).error();
  return config;
}

std::vector<KeyDoc> describe_keys() {
  Config defaults;
  std::vector<KeyDoc> docs;
  for (const KeySpec& spec : schema()) {
    KeyDoc doc{spec.key, env_name(spec.key), "", "", spec.doc};
    if (const auto* s = std::get_if<StringField>(&spec.field)) {
      doc.type = "string";
      doc.default_value = "\"" + (*s)(defaults) + "\"";
    } else if (const auto* i = std::get_if<IntField>(&spec.field)) {
      doc.type = "integer";
      doc.default_value = std::to_string((*i)(defaults));
    } else {
      doc.type = "boolean";
      doc.default_value = std::get<BoolField>(spec.field)(defaults) ? "true" : "false";
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace connect_auth::config
