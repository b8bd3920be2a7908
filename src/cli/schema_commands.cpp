// `connect-auth migrate`: apply the store's pending schema migrations explicitly (before rolling
// out a new version to several nodes), or with --status only report where the schema stands.
#include <fmt/format.h>

#include <memory>

#include "app/schema.h"
#include "cli/command.h"

namespace connect_auth::cli {
namespace {

void print_status(const app::SchemaStatus& status, bool json, bool applied) {
  if (json) {
    print_line(fmt::format(R"({{"engine":"{}","schemaVersion":{},"latestVersion":{}}})",
                           status.engine, status.current, status.latest));
  } else if (applied) {
    print_line(fmt::format("{} schema is at version {} (the latest this build knows)",
                           status.engine, status.current));
  } else {
    print_line(fmt::format("{} schema version {}, latest known {}{}", status.engine, status.current,
                           status.latest,
                           status.current < status.latest ? ": run `connect-auth migrate`" : ""));
  }
}

}  // namespace

void add_schema_commands(CLI::App& app, CommandContext& context) {
  auto* migrate = app.add_subcommand(
      "migrate", "Apply pending schema migrations to the store (SQLite or PostgreSQL)");
  auto status_only = std::make_shared<bool>(false);
  migrate->add_flag("--status", *status_only, "Only report the schema version; change nothing");
  migrate->callback([&context, status_only] {
    context.action = [&context, status_only] {
      auto config = build_config(context.options);
      if (!config) return report(config.error());
      const std::string url = config->effective_store_url();
      auto status = *status_only ? app::schema_status(url) : app::migrate_schema(url);
      if (!status) return report(status.error());
      print_status(*status, context.options.json, !*status_only);
      return kExitOk;
    };
  });
}

}  // namespace connect_auth::cli
