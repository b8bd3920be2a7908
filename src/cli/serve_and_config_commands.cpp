#include <fmt/format.h>

#include "cli/command.h"
#include "core/json_text.h"

namespace connect_auth::cli {

void add_serve_command(CLI::App& app, CommandContext& context) {
  auto* serve = app.add_subcommand("serve", "Run the authorization server");
  serve->add_option("--listen", context.options.listen,
                    "HOST:PORT to listen on (default 127.0.0.1:8443)");
  serve->add_flag("--insecure-http", context.options.insecure_http,
                  "Serve plain HTTP (only behind a TLS-terminating proxy)");
  serve->add_option("--threads", context.options.threads, "Event-loop threads (0: one per core)");
  serve->callback([&context] {
    context.action = [&context] {
      auto config = build_config(context.options);
      if (!config) return report(config.error());
      return app::serve(*config);
    };
  });
}

void add_config_commands(CLI::App& app, CommandContext& context) {
  auto* config = app.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);

  auto* keys = config->add_subcommand("keys", "Document every configuration key");
  keys->callback([&context] {
    context.action = [&context] {
      auto docs = config::describe_keys();
      if (context.options.json) {
        print_line(json_array(docs, [](const config::KeyDoc& k) {
          return fmt::format(R"({{"key":{},"env":{},"type":{},"default":{},"doc":{}}})",
                             json_string(k.key), json_string(k.env), json_string(k.type),
                             json_string(k.default_value), json_string(k.doc));
        }));
        return kExitOk;
      }
      print_line("| key | environment variable | type | default | meaning |");
      print_line("|---|---|---|---|---|");
      for (const auto& k : docs) {
        print_line(fmt::format("| `{}` | `{}` | {} | `{}` | {} |", k.key, k.env, k.type,
                               k.default_value, k.doc));
      }
      print_line("");
      print_line("Other environment variables (not configuration keys):");
      print_line("");
      for (const auto& v : config::other_variables()) {
        print_line(fmt::format("- `{}`: {}", v.env, v.doc));
      }
      return kExitOk;
    };
  });

  auto* check = config->add_subcommand("check", "Validate the configuration and exit");
  check->callback([&context] {
    context.action = [&context] {
      auto loaded = build_config(context.options);
      if (!loaded) return report(loaded.error());
      print_line(context.options.json ? R"({"valid":true})" : "configuration is valid");
      return kExitOk;
    };
  });
}

}  // namespace connect_auth::cli
