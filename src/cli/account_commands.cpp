#include <fmt/format.h>

#include "cli/command.h"
#include "core/json_text.h"

namespace connect_auth::cli {
namespace {

std::string account_json(const storage::Account& a) {
  return fmt::format(R"({{"accountGuid":{},"companyName":{},"countryCode":{},"active":{}}})",
                     json_string(a.guid), json_string(a.company_name), json_string(a.country_code),
                     a.active ? "true" : "false");
}

}  // namespace

void add_account_commands(CLI::App& app, CommandContext& context) {
  auto* account = app.add_subcommand("account", "Manage accounts");
  account->require_subcommand(1);
  struct Args {
    std::string company, country, guid;
  };
  auto args = std::make_shared<Args>();

  auto* create = account->add_subcommand("create", "Create an account; prints its accountGuid");
  create->add_option("--company", args->company, "Company name")->required();
  create->add_option("--country", args->country, "ISO 3166-1 alpha-2 country code, e.g. US")
      ->required();
  on_admin_command(create, context, [args](domain::AdminService& admin, bool json) {
    auto created = admin.create_account(args->company, args->country);
    if (!created) return report(created.error());
    print_line(json ? fmt::format(R"({{"accountGuid":{}}})", json_string(*created)) : *created);
    return kExitOk;
  });

  auto* list = account->add_subcommand("list", "List accounts");
  on_admin_command(list, context, [](domain::AdminService& admin, bool json) {
    auto listed = admin.list_accounts();
    if (!listed) return report(listed.error());
    if (json) {
      print_line(json_array(*listed, account_json));
      return kExitOk;
    }
    for (const auto& a : *listed) {
      print_line(fmt::format("{}  {}  {}  {}", a.guid, a.country_code,
                             a.active ? "active  " : "inactive", a.company_name));
    }
    return kExitOk;
  });

  for (const bool active : {true, false}) {
    auto* command = account->add_subcommand(
        active ? "activate" : "deactivate",
        active ? "Activate an account"
               : "Deactivate an account: its data is no longer returned to anyone");
    command->add_option("guid", args->guid, "accountGuid")->required();
    on_admin_command(command, context, [args, active](domain::AdminService& admin, bool json) {
      auto done = admin.set_account_active(args->guid, active);
      if (!done) return report(done.error());
      print_line(
          json ? fmt::format(R"({{"accountGuid":{},"active":{}}})", json_string(args->guid),
                             active ? "true" : "false")
               : fmt::format("account {} is now {}", args->guid, active ? "active" : "inactive"));
      return kExitOk;
    });
  }
}

}  // namespace connect_auth::cli
