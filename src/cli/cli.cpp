#include "cli/cli.h"

#include <fmt/format.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/services.h"
#include "cli/password_input.h"
#include "config/config.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/json_text.h"
#include "core/random.h"
#include "domain/admin.h"
#include "tokens/secret_hasher.h"

extern char** environ;

namespace connect_auth::cli {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotFound = 3;
constexpr int kExitConflict = 4;
constexpr int kExitUnavailable = 5;

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return kExitUsage;
    case ErrorCode::kStorageNotFound: return kExitNotFound;
    case ErrorCode::kStorageConflict: return kExitConflict;
    case ErrorCode::kStorageUnavailable: return kExitUnavailable;
    default: return kExitFailure;
  }
}

int report(const Error& error) {
  std::fprintf(stderr, "connect-auth: error: %s\n", error.description.c_str());
  return exit_code_for(error.code);
}

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

struct GlobalOptions {
  std::string config_file;
  std::string data_dir;
  bool json = false;
  // serve only
  std::string listen;
  bool insecure_http = false;
  int threads = -1;
};

Result<config::Config> build_config(const GlobalOptions& options) {
  std::optional<std::filesystem::path> file;
  if (!options.config_file.empty()) {
    file = options.config_file;
  } else if (const char* from_env = std::getenv("CONNECT_AUTH_CONFIG"); from_env && *from_env) {
    file = from_env;
  }
  config::Overrides overrides;
  if (!options.data_dir.empty()) overrides["data_dir"] = options.data_dir;
  if (!options.listen.empty()) overrides["server.listen"] = options.listen;
  if (options.insecure_http) overrides["server.insecure_http"] = "true";
  if (options.threads >= 0) overrides["server.threads"] = std::to_string(options.threads);
  return config::load_config(file, environment(), overrides);
}

void print_line(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

// Everything an admin command needs, opened from the config.
struct AdminSession {
  app::OpenedStore opened;
  SystemClock clock;
  SecureRandom random;
  std::array<std::uint8_t, 32> pepper{};
  std::unique_ptr<tokens::SecretHasher> hasher;
  std::unique_ptr<domain::AdminService> service;

  ~AdminSession() { sodium_memzero(pepper.data(), pepper.size()); }
};

Result<std::unique_ptr<AdminSession>> open_admin(const GlobalOptions& options) {
  auto config = build_config(options);
  if (!config) return std::move(config).error();
  auto opened = app::open_data(*config);
  if (!opened) return std::move(opened).error();
  auto session = std::make_unique<AdminSession>();
  session->opened = std::move(*opened);
  session->pepper = session->opened.master_key->pepper();
  session->hasher = std::make_unique<tokens::SecretHasher>(session->pepper);
  session->service = std::make_unique<domain::AdminService>(
      *session->opened.store, *session->hasher, session->random, session->clock);
  return session;
}

std::string account_json(const storage::Account& a) {
  return fmt::format(R"({{"accountGuid":{},"companyName":{},"countryCode":{},"active":{}}})",
                     json_string(a.guid), json_string(a.company_name), json_string(a.country_code),
                     a.active ? "true" : "false");
}

std::string key_json(const storage::ApiKey& k) {
  std::string accounts = "[";
  for (const auto& guid : k.account_guids) {
    if (accounts.size() > 1) accounts.push_back(',');
    accounts += json_string(guid);
  }
  accounts.push_back(']');
  return fmt::format(
      R"({{"apiId":{},"userId":{},"accounts":{},"generation":{},"createdAt":{},"updatedAt":{}}})",
      json_string(k.api_id), k.user_id, accounts, k.generation, k.created_at, k.updated_at);
}

template <class T, class F>
std::string json_array(const std::vector<T>& items, F to_json) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) out.push_back(',');
    out += to_json(item);
  }
  out.push_back(']');
  return out;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "connect-auth: OAuth 2.0 authorization server for the LRS Connect API.\n"
      "Every command acts on the store named by the configuration (--config, "
      "CONNECT_AUTH_* variables, --data-dir)."};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions options;
  app.add_option("--config", options.config_file,
                 "TOML configuration file (or CONNECT_AUTH_CONFIG)");
  app.add_option("--data-dir", options.data_dir, "Data directory (default ./var)");
  app.add_flag("--json", options.json, "Machine-readable JSON output");

  // serve
  auto* serve = app.add_subcommand("serve", "Run the authorization server");
  serve->add_option("--listen", options.listen, "HOST:PORT to listen on (default 127.0.0.1:8443)");
  serve->add_flag("--insecure-http", options.insecure_http,
                  "Serve plain HTTP (only behind a TLS-terminating proxy)");
  serve->add_option("--threads", options.threads, "Event-loop threads (0: one per core)");

  // account
  auto* account = app.add_subcommand("account", "Manage accounts");
  account->require_subcommand(1);
  std::string company, country, guid;
  auto* account_create =
      account->add_subcommand("create", "Create an account; prints its accountGuid");
  account_create->add_option("--company", company, "Company name")->required();
  account_create->add_option("--country", country, "ISO 3166-1 alpha-2 country code, e.g. US")
      ->required();
  auto* account_list = account->add_subcommand("list", "List accounts");
  auto* account_activate = account->add_subcommand("activate", "Activate an account");
  account_activate->add_option("guid", guid, "accountGuid")->required();
  auto* account_deactivate = account->add_subcommand(
      "deactivate", "Deactivate an account: its data is no longer returned to anyone");
  account_deactivate->add_option("guid", guid, "accountGuid")->required();

  // user
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  std::string user_name, role;
  std::vector<std::string> accounts;
  auto* user_create = user->add_subcommand(
      "create", "Create a user; the password is read from standard input or a prompt");
  user_create->add_option("--user-name", user_name, "Login name, usually an e-mail address")
      ->required();
  auto* user_grant = user->add_subcommand("grant", "Give a user a role on an account");
  user_grant->add_option("--user-name", user_name, "Login name")->required();
  user_grant->add_option("--account", guid, "accountGuid")->required();
  user_grant->add_option("--role", role, "ADMINISTRATOR, MANAGER or REPORTING")->required();
  auto* user_disable =
      user->add_subcommand("disable", "Disable a user: their keys and tokens stop working");
  user_disable->add_option("--user-name", user_name, "Login name")->required();
  auto* user_enable = user->add_subcommand("enable", "Enable a disabled user");
  user_enable->add_option("--user-name", user_name, "Login name")->required();
  auto* user_list = user->add_subcommand("list", "List users");

  // key
  auto* key = app.add_subcommand("key", "Manage API keys");
  key->require_subcommand(1);
  std::string api_id;
  auto* key_create = key->add_subcommand(
      "create", "Create an API key; prints API_ID and API_SECRET (the secret is shown only now)");
  key_create->add_option("--user-name", user_name, "Owner of the key")->required();
  key_create->add_option("--account", accounts, "accountGuid the key may read (repeatable)")
      ->required();
  auto* key_list = key->add_subcommand("list", "List API keys (never their secrets)");
  key_list->add_option("--user-name", user_name, "Only this user's keys");
  auto* key_regenerate = key->add_subcommand(
      "regenerate", "Give a key a new secret; the old secret and its tokens stop working");
  key_regenerate->add_option("api_id", api_id, "API_ID")->required();
  auto* key_delete = key->add_subcommand("delete", "Delete a key; its tokens stop working");
  key_delete->add_option("api_id", api_id, "API_ID")->required();

  // config
  auto* config_cmd = app.add_subcommand("config", "Inspect the configuration");
  config_cmd->require_subcommand(1);
  auto* config_keys = config_cmd->add_subcommand("keys", "Document every configuration key");
  auto* config_check = config_cmd->add_subcommand("check", "Validate the configuration and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  if (serve->parsed()) {
    auto config = build_config(options);
    if (!config) return report(config.error());
    return app::serve(*config);
  }
  if (config_keys->parsed()) {
    auto keys = config::describe_keys();
    if (options.json) {
      print_line(json_array(keys, [](const config::KeyDoc& k) {
        return fmt::format(R"({{"key":{},"env":{},"type":{},"default":{},"doc":{}}})",
                           json_string(k.key), json_string(k.env), json_string(k.type),
                           json_string(k.default_value), json_string(k.doc));
      }));
    } else {
      print_line("| key | environment variable | type | default | meaning |");
      print_line("|---|---|---|---|---|");
      for (const auto& k : keys) {
        print_line(fmt::format("| `{}` | `{}` | {} | `{}` | {} |", k.key, k.env, k.type,
                               k.default_value, k.doc));
      }
    }
    return 0;
  }
  if (config_check->parsed()) {
    auto config = build_config(options);
    if (!config) return report(config.error());
    print_line(options.json ? R"({"valid":true})" : "configuration is valid");
    return 0;
  }

  auto session = open_admin(options);
  if (!session) return report(session.error());
  domain::AdminService& admin = *(*session)->service;
  const bool json = options.json;

  if (account_create->parsed()) {
    auto created = admin.create_account(company, country);
    if (!created) return report(created.error());
    print_line(json ? fmt::format(R"({{"accountGuid":{}}})", json_string(*created)) : *created);
    return 0;
  }
  if (account_list->parsed()) {
    auto listed = admin.list_accounts();
    if (!listed) return report(listed.error());
    if (json) {
      print_line(json_array(*listed, account_json));
    } else {
      for (const auto& a : *listed) {
        print_line(fmt::format("{}  {}  {}  {}", a.guid, a.country_code,
                               a.active ? "active  " : "inactive", a.company_name));
      }
    }
    return 0;
  }
  if (account_activate->parsed() || account_deactivate->parsed()) {
    const bool active = account_activate->parsed();
    auto done = admin.set_account_active(guid, active);
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"accountGuid":{},"active":{}}})", json_string(guid),
                                  active ? "true" : "false")
                    : fmt::format("account {} is now {}", guid, active ? "active" : "inactive"));
    return 0;
  }
  if (user_create->parsed()) {
    auto password = read_password();
    if (!password) return report(password.error());
    auto created = admin.create_user(user_name, *password);
    sodium_memzero(password->data(), password->size());
    if (!created) return report(created.error());
    print_line(json ? fmt::format(R"({{"userId":{}}})", *created) : std::to_string(*created));
    return 0;
  }
  if (user_grant->parsed()) {
    auto parsed_role = domain::parse_role(role);
    if (!parsed_role) {
      return report(make_error(ErrorCode::kInvalidRequest,
                               "role must be ADMINISTRATOR, MANAGER or REPORTING"));
    }
    auto done = admin.grant_role(user_name, guid, *parsed_role);
    if (!done) return report(done.error());
    print_line(
        json ? fmt::format(R"({{"userName":{},"accountGuid":{},"role":"{}"}})",
                           json_string(user_name), json_string(guid),
                           domain::role_name(*parsed_role))
             : fmt::format("{} is {} on {}", user_name, domain::role_name(*parsed_role), guid));
    return 0;
  }
  if (user_disable->parsed() || user_enable->parsed()) {
    const bool disabled = user_disable->parsed();
    auto done = admin.set_user_disabled(user_name, disabled);
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"userName":{},"disabled":{}}})", json_string(user_name),
                                  disabled ? "true" : "false")
                    : fmt::format("{} is now {}", user_name, disabled ? "disabled" : "enabled"));
    return 0;
  }
  if (user_list->parsed()) {
    auto listed = admin.list_users();
    if (!listed) return report(listed.error());
    if (json) {
      print_line(json_array(*listed, [](const storage::User& u) {
        return fmt::format(R"({{"userId":{},"userName":{},"disabled":{}}})", u.id,
                           json_string(u.user_name), u.disabled ? "true" : "false");
      }));
    } else {
      for (const auto& u : *listed) {
        print_line(fmt::format("{}  {}{}", u.id, u.user_name, u.disabled ? "  (disabled)" : ""));
      }
    }
    return 0;
  }
  if (key_create->parsed()) {
    auto created = admin.create_api_key(user_name, accounts);
    if (!created) return report(created.error());
    if (json) {
      print_line(fmt::format(R"({{"apiId":{},"apiSecret":{}}})", json_string(created->api_id),
                             json_string(created->api_secret)));
    } else {
      print_line("API_ID:     " + created->api_id);
      print_line("API_SECRET: " + created->api_secret);
      print_line("user header: " + encode_base64(created->api_id + ":" + created->api_secret));
      print_line("The secret is shown only now and cannot be recovered; store it safely.");
    }
    sodium_memzero(created->api_secret.data(), created->api_secret.size());
    return 0;
  }
  if (key_list->parsed()) {
    std::optional<std::string_view> owner;
    if (!user_name.empty()) owner = user_name;
    auto listed = admin.list_api_keys(owner);
    if (!listed) return report(listed.error());
    if (json) {
      print_line(json_array(*listed, key_json));
    } else {
      for (const auto& k : *listed) {
        std::string guids;
        for (const auto& g : k.account_guids) guids += (guids.empty() ? "" : ",") + g;
        print_line(fmt::format("{}  user {}  generation {}  accounts {}", k.api_id, k.user_id,
                               k.generation, guids));
      }
    }
    return 0;
  }
  if (key_regenerate->parsed()) {
    auto secret = admin.regenerate_api_key(api_id);
    if (!secret) return report(secret.error());
    if (json) {
      print_line(fmt::format(R"({{"apiId":{},"apiSecret":{}}})", json_string(api_id),
                             json_string(*secret)));
    } else {
      print_line("API_ID:     " + api_id);
      print_line("API_SECRET: " + *secret);
      print_line("user header: " + encode_base64(api_id + ":" + *secret));
      print_line("The old secret and every token issued with it no longer work.");
    }
    sodium_memzero(secret->data(), secret->size());
    return 0;
  }
  if (key_delete->parsed()) {
    auto done = admin.delete_api_key(api_id);
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"apiId":{},"deleted":true}})", json_string(api_id))
                    : "deleted " + api_id);
    return 0;
  }
  return kExitUsage;
}

}  // namespace connect_auth::cli
