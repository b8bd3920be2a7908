#include <fmt/format.h>
#include <sodium.h>

#include "cli/command.h"
#include "core/base64.h"
#include "core/json_text.h"

namespace connect_auth::cli {
namespace {

std::string key_json(const storage::ApiKey& k) {
  return fmt::format(
      R"({{"apiId":{},"userId":{},"accounts":{},"generation":{},"createdAt":{},"updatedAt":{},"mayIntrospect":{}}})",
      json_string(k.api_id), k.user_id, json_array(k.account_guids, json_string), k.generation,
      k.created_at, k.updated_at, k.may_introspect);
}

// The secret is printed once, here, and wiped from memory afterwards.
void print_secret(const std::string& api_id, std::string& secret, bool json,
                  const char* closing_note) {
  if (json) {
    print_line(
        fmt::format(R"({{"apiId":{},"apiSecret":{}}})", json_string(api_id), json_string(secret)));
  } else {
    std::string user_header = encode_base64(api_id + ":" + secret);
    print_line("API_ID:     " + api_id);
    print_line("API_SECRET: " + secret);
    print_line("user header: " + user_header);
    print_line(closing_note);
    sodium_memzero(user_header.data(), user_header.size());
  }
  sodium_memzero(secret.data(), secret.size());
}

}  // namespace

void add_key_commands(CLI::App& app, CommandContext& context) {
  auto* key = app.add_subcommand("key", "Manage API keys");
  key->require_subcommand(1);
  struct Args {
    std::string user_name, api_id;
    std::vector<std::string> accounts;
    bool introspect = false;
    bool on = false, off = false;
  };
  auto args = std::make_shared<Args>();

  auto* create = key->add_subcommand(
      "create", "Create an API key; prints API_ID and API_SECRET (the secret is shown only now)");
  create->add_option("--user-name", args->user_name, "Owner of the key")->required();
  create->add_option("--account", args->accounts, "accountGuid the key may read (repeatable)")
      ->required();
  create->add_flag("--introspect", args->introspect,
                   "The key may call POST /oauth2/introspect (RFC 7662)");
  on_admin_command(create, context, [args](domain::AdminService& admin, bool json) {
    auto created = admin.create_api_key(args->user_name, args->accounts, args->introspect);
    if (!created) return report(created.error());
    print_secret(created->api_id, created->api_secret, json,
                 "The secret is shown only now and cannot be recovered; store it safely.");
    return kExitOk;
  });

  auto* list = key->add_subcommand("list", "List API keys (never their secrets)");
  list->add_option("--user-name", args->user_name, "Only this user's keys");
  on_admin_command(list, context, [args](domain::AdminService& admin, bool json) {
    std::optional<std::string_view> owner;
    if (!args->user_name.empty()) owner = args->user_name;
    auto listed = admin.list_api_keys(owner);
    if (!listed) return report(listed.error());
    if (json) {
      print_line(json_array(*listed, key_json));
      return kExitOk;
    }
    for (const auto& k : *listed) {
      print_line(fmt::format("{}  user {}  generation {}  accounts {}{}", k.api_id, k.user_id,
                             k.generation, fmt::join(k.account_guids, ","),
                             k.may_introspect ? "  may introspect" : ""));
    }
    return kExitOk;
  });

  auto* regenerate = key->add_subcommand(
      "regenerate", "Give a key a new secret; the old secret and its tokens stop working");
  regenerate->add_option("api_id", args->api_id, "API_ID")->required();
  on_admin_command(regenerate, context, [args](domain::AdminService& admin, bool json) {
    auto secret = admin.regenerate_api_key(args->api_id);
    if (!secret) return report(secret.error());
    print_secret(args->api_id, *secret, json,
                 "The old secret and every token issued with it no longer work.");
    return kExitOk;
  });

  auto* introspection = key->add_subcommand(
      "set-introspection", "Allow (--on) or forbid (--off) a key to call POST /oauth2/introspect");
  introspection->add_option("api_id,--api-id", args->api_id, "API_ID")->required();
  auto* on = introspection->add_flag("--on", args->on, "allow introspection");
  auto* off = introspection->add_flag("--off", args->off, "forbid introspection");
  on->excludes(off);
  on_admin_command(introspection, context, [args](domain::AdminService& admin, bool json) {
    if (!args->on && !args->off) {
      return report(make_error(ErrorCode::kInvalidRequest, "give --on or --off"));
    }
    auto done = admin.set_api_key_introspection(args->api_id, args->on);
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"apiId":{},"mayIntrospect":{}}})",
                                  json_string(args->api_id), args->on)
                    : fmt::format("{} {} introspect tokens", args->api_id,
                                  args->on ? "may" : "may not"));
    return kExitOk;
  });

  auto* remove = key->add_subcommand("delete", "Delete a key; its tokens stop working");
  remove->add_option("api_id", args->api_id, "API_ID")->required();
  on_admin_command(remove, context, [args](domain::AdminService& admin, bool json) {
    auto done = admin.delete_api_key(args->api_id);
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"apiId":{},"deleted":true}})", json_string(args->api_id))
                    : "deleted " + args->api_id);
    return kExitOk;
  });
}

}  // namespace connect_auth::cli
