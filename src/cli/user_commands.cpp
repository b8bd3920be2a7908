#include <fmt/format.h>
#include <sodium.h>

#include "cli/command.h"
#include "cli/password_input.h"
#include "core/json_text.h"

namespace connect_auth::cli {

void add_user_commands(CLI::App& app, CommandContext& context) {
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  struct Args {
    std::string user_name, guid, role;
  };
  auto args = std::make_shared<Args>();

  auto* create = user->add_subcommand(
      "create", "Create a user; the password is read from standard input or a prompt");
  create->add_option("--user-name", args->user_name, "Login name, usually an e-mail address")
      ->required();
  on_admin_command(create, context, [args](domain::AdminService& admin, bool json) {
    auto password = read_password();
    if (!password) return report(password.error());
    auto created = admin.create_user(args->user_name, *password);
    sodium_memzero(password->data(), password->size());
    if (!created) return report(created.error());
    print_line(json ? fmt::format(R"({{"userId":{}}})", *created) : std::to_string(*created));
    return kExitOk;
  });

  auto* set_password = user->add_subcommand(
      "set-password",
      "Set a user's password (read from standard input or a prompt); ends their sessions");
  set_password->add_option("--user-name", args->user_name, "Login name")->required();
  on_admin_command(set_password, context, [args](domain::AdminService& admin, bool json) {
    auto password = read_password();
    if (!password) return report(password.error());
    auto done = admin.set_user_password(args->user_name, *password);
    sodium_memzero(password->data(), password->size());
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"userName":{},"passwordChanged":true}})",
                                  json_string(args->user_name))
                    : fmt::format("password of {} changed; their sessions have ended",
                                  args->user_name));
    return kExitOk;
  });

  auto* grant = user->add_subcommand("grant", "Give a user a role on an account");
  grant->add_option("--user-name", args->user_name, "Login name")->required();
  grant->add_option("--account", args->guid, "accountGuid")->required();
  grant->add_option("--role", args->role, "ADMINISTRATOR, MANAGER or REPORTING")->required();
  on_admin_command(grant, context, [args](domain::AdminService& admin, bool json) {
    auto role = domain::parse_role(args->role);
    if (!role) {
      return report(make_error(ErrorCode::kInvalidRequest,
                               "role must be ADMINISTRATOR, MANAGER or REPORTING"));
    }
    auto done = admin.grant_role(args->user_name, args->guid, *role);
    if (!done) return report(done.error());
    print_line(json ? fmt::format(R"({{"userName":{},"accountGuid":{},"role":"{}"}})",
                                  json_string(args->user_name), json_string(args->guid),
                                  domain::role_name(*role))
                    : fmt::format("{} is {} on {}", args->user_name, domain::role_name(*role),
                                  args->guid));
    return kExitOk;
  });

  for (const bool disabled : {true, false}) {
    auto* command = user->add_subcommand(
        disabled ? "disable" : "enable",
        disabled ? "Disable a user: their keys and tokens stop working" : "Enable a disabled user");
    command->add_option("--user-name", args->user_name, "Login name")->required();
    on_admin_command(command, context, [args, disabled](domain::AdminService& admin, bool json) {
      auto done = admin.set_user_disabled(args->user_name, disabled);
      if (!done) return report(done.error());
      print_line(
          json ? fmt::format(R"({{"userName":{},"disabled":{}}})", json_string(args->user_name),
                             disabled ? "true" : "false")
               : fmt::format("{} is now {}", args->user_name, disabled ? "disabled" : "enabled"));
      return kExitOk;
    });
  }

  auto* list = user->add_subcommand("list", "List users");
  on_admin_command(list, context, [](domain::AdminService& admin, bool json) {
    auto listed = admin.list_users();
    if (!listed) return report(listed.error());
    if (json) {
      print_line(json_array(*listed, [](const storage::User& u) {
        return fmt::format(R"({{"userId":{},"userName":{},"disabled":{}}})", u.id,
                           json_string(u.user_name), u.disabled ? "true" : "false");
      }));
      return kExitOk;
    }
    for (const auto& u : *listed) {
      print_line(fmt::format("{}  {}{}", u.id, u.user_name, u.disabled ? "  (disabled)" : ""));
    }
    return kExitOk;
  });
}

}  // namespace connect_auth::cli
