#include "cli/cli.h"

#include "cli/command.h"

namespace connect_auth::cli {

int run(int argc, char** argv) {
  CLI::App app{
      "connect-auth: OAuth 2.0 authorization server for the LRS Connect API.\n"
      "Every command acts on the store named by the configuration (--config, CONNECT_AUTH_* "
      "variables, --data-dir)."};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  CommandContext context;
  app.add_option("--config", context.options.config_file,
                 "TOML configuration file (or CONNECT_AUTH_CONFIG)");
  app.add_option("--data-dir", context.options.data_dir, "Data directory (default ./var)");
  app.add_flag("--json", context.options.json, "Machine-readable JSON output");

  add_serve_command(app, context);
  add_account_commands(app, context);
  add_user_commands(app, context);
  add_key_commands(app, context);
  add_config_commands(app, context);
  add_signing_key_commands(app, context);
  add_schema_commands(app, context);
  add_client_commands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return context.action ? context.action() : kExitUsage;
}

}  // namespace connect_auth::cli
