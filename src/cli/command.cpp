#include "cli/command.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

extern char** environ;

namespace connect_auth::cli {
namespace {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return kExitUsage;
    case ErrorCode::kStorageNotFound: return kExitNotFound;
    case ErrorCode::kStorageConflict: return kExitConflict;
    case ErrorCode::kStorageUnavailable: return kExitUnavailable;
    case ErrorCode::kServiceBusy: return kExitUnavailable;
    default: return kExitFailure;
  }
}

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

int report(const Error& error) {
  std::fprintf(stderr, "connect-auth: error: %s\n", error.description.c_str());
  return exit_code_for(error.code);
}

void print_line(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

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

Result<std::unique_ptr<AdminSession>> AdminSession::open(const GlobalOptions& options) {
  auto config = build_config(options);
  if (!config) return std::move(config).error();
  auto opened = app::open_data(*config);
  if (!opened) return std::move(opened).error();
  std::unique_ptr<AdminSession> session(new AdminSession());
  session->config_ = std::move(*config);
  session->opened_ = std::move(*opened);
  session->pepper_ = session->opened_.master_key->pepper();
  session->hasher_ = std::make_unique<tokens::SecretHasher>(session->pepper_);
  auto passwords = domain::PasswordHasher::create(
      {static_cast<std::uint64_t>(session->config_.password.argon2_memory_kib) * 1024,
       static_cast<std::uint64_t>(session->config_.password.argon2_iterations)});
  if (!passwords) return std::move(passwords).error();
  session->passwords_ = std::make_unique<domain::PasswordHasher>(std::move(*passwords));
  session->service_ = std::make_unique<domain::AdminService>(
      *session->opened_.store, *session->hasher_, *session->passwords_, session->random_,
      session->clock_);
  return session;
}

AdminSession::~AdminSession() { sodium_memzero(pepper_.data(), pepper_.size()); }

void on_admin_command(CLI::App* command, CommandContext& context,
                      std::function<int(domain::AdminService&, bool json)> body) {
  command->callback([&context, body = std::move(body)] {
    context.action = [&context, body] {
      auto session = AdminSession::open(context.options);
      if (!session) return report(session.error());
      return body((*session)->admin(), context.options.json);
    };
  });
}

void on_session_command(CLI::App* command, CommandContext& context,
                        std::function<int(AdminSession&, bool json)> body) {
  command->callback([&context, body = std::move(body)] {
    context.action = [&context, body] {
      auto session = AdminSession::open(context.options);
      if (!session) return report(session.error());
      return body(**session, context.options.json);
    };
  });
}

}  // namespace connect_auth::cli
