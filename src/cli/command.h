// Shared plumbing of the command line: global options, the chosen command's action, output
// helpers and exit codes. Each command group registers itself from its own file.
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/services.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/random.h"
#include "domain/admin.h"
#include "domain/password_hasher.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::cli {

// Exit codes (README): 0 ok, 1 failure, 2 invalid input or usage, 3 not found,
// 4 already exists / conflict, 5 store unavailable.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotFound = 3;
constexpr int kExitConflict = 4;
constexpr int kExitUnavailable = 5;

struct GlobalOptions {
  std::string config_file;
  std::string data_dir;
  bool json = false;
  // `serve` only; folded into the configuration as overrides.
  std::string listen;
  bool insecure_http = false;
  int threads = -1;
};

struct CommandContext {
  GlobalOptions options;
  // Set by the subcommand CLI11 parsed; run after parsing succeeds.
  std::function<int()> action;
};

// Configuration from --config/CONNECT_AUTH_CONFIG, the environment and the flags.
Result<config::Config> build_config(const GlobalOptions& options);

// Prints the error on stderr and returns its exit code.
int report(const Error& error);
void print_line(const std::string& text);

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

// Everything an admin command needs, opened from the configuration.
class AdminSession {
 public:
  static Result<std::unique_ptr<AdminSession>> open(const GlobalOptions& options);
  ~AdminSession();
  domain::AdminService& admin() { return *service_; }
  const config::Config& config() const { return config_; }
  storage::Store& store() { return *opened_.store; }
  const tokens::MasterKey& master_key() const { return *opened_.master_key; }
  const Clock& clock() const { return clock_; }
  Random& random() { return random_; }

 private:
  AdminSession() = default;
  config::Config config_;
  app::OpenedStore opened_;
  SystemClock clock_;
  SecureRandom random_;
  std::array<std::uint8_t, 32> pepper_{};
  std::unique_ptr<tokens::SecretHasher> hasher_;
  std::unique_ptr<domain::PasswordHasher> passwords_;
  std::unique_ptr<domain::AdminService> service_;
};

// Sets `context.action` to open an admin session and run `body` with it.
void on_admin_command(CLI::App* command, CommandContext& context,
                      std::function<int(domain::AdminService&, bool json)> body);

// Like on_admin_command, for commands that need more than the AdminService.
void on_session_command(CLI::App* command, CommandContext& context,
                        std::function<int(AdminSession&, bool json)> body);

void add_serve_command(CLI::App& app, CommandContext& context);
void add_account_commands(CLI::App& app, CommandContext& context);
void add_user_commands(CLI::App& app, CommandContext& context);
void add_key_commands(CLI::App& app, CommandContext& context);
void add_config_commands(CLI::App& app, CommandContext& context);
void add_signing_key_commands(CLI::App& app, CommandContext& context);
// `migrate [--status]`: the store schema, applied or reported.
void add_schema_commands(CLI::App& app, CommandContext& context);
// `token` and `call`: the client side (client/), against --base-url or the local server.
void add_client_commands(CLI::App& app, CommandContext& context);

}  // namespace connect_auth::cli
