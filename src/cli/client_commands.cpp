// `connect-auth token` and `connect-auth call`: the client side of the API from the command line,
// built on the client library (client/), against --base-url (default: the local server).
//
// Credentials: an API key (--api-id or CONNECT_AUTH_API_ID, the secret from CONNECT_AUTH_API_SECRET
// or --api-secret-file), or a user (--user-name or CONNECT_AUTH_USER_NAME, the password prompted
// for or read from standard input). Never a secret on the command line, where every user of the
// machine can read it in the process list.
//
// Token cache (cli/token_cache.h): tokens are kept in $XDG_CACHE_HOME/connect-auth/, one file per
// base URL and principal, so `call` in a loop does not log in every time; a user's refresh token
// is kept there too, so only the first login asks for the password.
#include <fmt/format.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/password_input.h"
#include "cli/token_cache.h"
#include "connect_auth/client/client.h"
#include "core/json_text.h"

namespace connect_auth::cli {
namespace {

namespace api = connect_auth::client;
namespace fs = std::filesystem;

struct ClientArgs {
  std::string base_url;
  std::string ca_file;
  std::string api_id;
  std::string api_secret_file;
  std::string user_name;
  bool no_cache = false;
  // call
  std::string method;
  std::string path;
  std::string data;
  std::string content_type = "application/json";
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// Exit code for a client error: OAuth refusals are the caller's input (2), the rest failures (1),
// an unreachable server "unavailable" (5).
int report_client_error(const api::Error& error) {
  std::fprintf(stderr, "error: %s\n", error.message().c_str());
  // curl: "SSL peer certificate or SSH remote key was not OK". A self-signed or private-CA
  // certificate is the usual cause, and the fix is an option the message should name.
  if (error.kind == api::Error::Kind::kNetwork &&
      error.description.find("certificate") != std::string::npos) {
    std::fprintf(stderr,
                 "hint: the server's TLS certificate could not be verified. If it is self-signed "
                 "or from a private CA, trust it with --ca-file PEM_FILE (for a development "
                 "server: its <data_dir>/tls/dev-cert.pem)\n");
  }
  switch (error.kind) {
    case api::Error::Kind::kOAuth:
    case api::Error::Kind::kUsage: return kExitUsage;
    case api::Error::Kind::kNetwork:
    case api::Error::Kind::kTimeout: return kExitUnavailable;
    default: return kExitFailure;
  }
}

// The local server, as `serve` with the same configuration would listen, and its development
// certificate when there is one.
Result<std::pair<std::string, std::string>> local_server(const GlobalOptions& options) {
  auto config = build_config(options);
  if (!config) return std::move(config).error();
  const bool tls = !config->server.insecure_http;
  auto listen = config::parse_listen(config->server.listen);
  if (!listen) return std::move(listen).error();
  auto [host, port] = *listen;
  // A wildcard address is where the server listens, not one to connect to (nor one its
  // development certificate names): the server is reached on loopback.
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string url = std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
  std::string ca;
  const fs::path dev_cert = config->tls_dir() / "dev-cert.pem";
  std::error_code ec;
  if (tls && config->tls.cert_file.empty() && fs::exists(dev_cert, ec)) ca = dev_cert.string();
  return std::pair{std::move(url), std::move(ca)};
}

Result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return make_error(ErrorCode::kInvalidRequest, "cannot read the API secret file " + path);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Everything a run needs to build its Client, and to build it again with the password when a
// cached refresh token turns out to be dead.
struct ClientSetup {
  api::Options options;
  std::string user;            // v4 login, or empty
  std::string api_id;          // v3 key, or empty
  std::string api_secret;      // wiped in the destructor
  fs::path cache;              // empty: no cache
  std::optional<std::string> cached_refresh;

  ClientSetup() = default;
  ClientSetup(const ClientSetup&) = delete;
  ClientSetup& operator=(const ClientSetup&) = delete;
  ~ClientSetup() {
    sodium_memzero(api_secret.data(), api_secret.size());
    if (cached_refresh) sodium_memzero(cached_refresh->data(), cached_refresh->size());
  }
};

Result<void> prepare_setup(const GlobalOptions& global, const ClientArgs& args, ClientSetup& setup) {
  api::Options& options = setup.options;
  if (args.base_url.empty()) {
    auto local = local_server(global);
    if (!local) return std::move(local).error();
    options.base_url = local->first;
    options.ca_file = args.ca_file.empty() ? local->second : args.ca_file;
  } else {
    options.base_url = args.base_url;
    options.ca_file = args.ca_file;
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();

  setup.api_id = args.api_id.empty() ? env_or("CONNECT_AUTH_API_ID", "") : args.api_id;
  setup.user = args.user_name.empty() ? env_or("CONNECT_AUTH_USER_NAME", "") : args.user_name;
  if (setup.api_id.empty() == setup.user.empty()) {
    return make_error(ErrorCode::kInvalidRequest,
                      "give either an API key (--api-id or CONNECT_AUTH_API_ID) or a user "
                      "(--user-name or CONNECT_AUTH_USER_NAME)");
  }
  if (!setup.api_id.empty()) {
    setup.api_secret = env_or("CONNECT_AUTH_API_SECRET", "");
    if (!args.api_secret_file.empty()) {
      auto read = read_secret_file(args.api_secret_file);
      if (!read) return std::move(read).error();
      setup.api_secret = std::move(*read);
    }
    if (setup.api_secret.empty()) {
      return make_error(ErrorCode::kInvalidRequest,
                        "the API secret is missing: set CONNECT_AUTH_API_SECRET or pass "
                        "--api-secret-file");
    }
  }
  if (!args.no_cache) {
    // The secret is part of the key: a changed or wrong secret never reuses another's token.
    const std::string principal = setup.api_id.empty()
                                      ? "user:" + setup.user
                                      : "key:" + setup.api_id + ":" + setup.api_secret;
    setup.cache = cache_file(options.base_url, principal);
    CachedTokens cached = load_cache(setup.cache);
    options.cached_token = std::move(cached.access);
    setup.cached_refresh = std::move(cached.refresh);
    if (!setup.user.empty()) {
      // Every rotation is saved at once: the token the server just retired must never be the
      // one left on disk, whatever happens to this run afterwards.
      options.on_refresh_token = [file = setup.cache](const std::string& refresh_token) {
        save_cache(file, std::nullopt, refresh_token);
      };
    }
  }
  return Ok{};
}

// The Client: an API key; a user's cached refresh token; or a password login (asked for now).
Result<std::unique_ptr<api::Client>> build_client(ClientSetup& setup, bool use_cached_refresh) {
  api::Credentials credentials;
  if (!setup.api_id.empty()) {
    credentials = api::ApiKey{setup.api_id, setup.api_secret};
  } else if (use_cached_refresh && setup.cached_refresh) {
    credentials = api::StoredRefreshToken{*setup.cached_refresh};
  } else {
    auto password = read_login_password();
    if (!password) return std::move(password).error();
    credentials = api::UserLogin{setup.user, std::move(*password)};
  }
  return std::make_unique<api::Client>(setup.options, std::move(credentials));
}

bool is_dead_refresh_token(const api::Error& error) {
  return error.kind == api::Error::Kind::kOAuth && error.error == "invalid_grant";
}

// Runs `operation` with a Client; when a cached refresh token turns out to be dead (expired,
// revoked), forgets the cache and asks for the password once.
template <class Operation>
int with_client(const GlobalOptions& global, const ClientArgs& args, Operation operation) {
  ClientSetup setup;
  if (auto prepared = prepare_setup(global, args, setup); !prepared) return report(prepared.error());
  const bool cached_refresh = setup.cached_refresh.has_value();
  auto client = build_client(setup, /*use_cached_refresh=*/true);
  if (!client) return report(client.error());
  auto outcome = operation(**client);
  if (!outcome && cached_refresh && is_dead_refresh_token(outcome.error())) {
    forget_cache(setup.cache);
    setup.options.cached_token.reset();
    client = build_client(setup, /*use_cached_refresh=*/false);
    if (!client) return report(client.error());
    outcome = operation(**client);
  }
  if (!outcome) return report_client_error(outcome.error());
  if (!setup.cache.empty()) {
    if (auto token = (*client)->token(); token) save_cache(setup.cache, *token, (*client)->refresh_token());
  }
  return outcome.value();
}

int run_token(const GlobalOptions& global, const ClientArgs& args) {
  return with_client(global, args, [&](api::Client& client) -> api::Result<int> {
    auto token = client.token();
    if (!token) return std::move(token).error();
    if (global.json) {
      const auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                               token->expires_at.time_since_epoch())
                               .count();
      print_line(fmt::format(R"({{"tokenType":"Bearer","accessToken":{},"expiresAt":{}}})",
                             json_string(token->value), expires));
    } else {
      print_line(token->value);
    }
    return kExitOk;
  });
}

int run_call(const GlobalOptions& global, const ClientArgs& args) {
  if (args.path.empty() || args.path.front() != '/') {
    return report(make_error(ErrorCode::kInvalidRequest, "PATH must start with /"));
  }
  std::string body = args.data;
  if (!body.empty() && body.front() == '@') {  // curl's convention: @file
    std::ifstream in(body.substr(1), std::ios::binary);
    if (!in) return report(make_error(ErrorCode::kInvalidRequest, "cannot read " + body.substr(1)));
    std::stringstream text;
    text << in.rdbuf();
    body = text.str();
  }
  return with_client(global, args, [&](api::Client& client) -> api::Result<int> {
    auto response = client.call(args.method, args.path, body,
                                body.empty() ? std::string_view() : args.content_type);
    if (!response) return std::move(response).error();
    std::cout << response->body;
    if (!response->body.empty() && response->body.back() != '\n') std::cout << '\n';
    std::cout.flush();
    if (response->status >= 200 && response->status < 300) return kExitOk;
    std::fprintf(stderr, "HTTP %d\n", response->status);
    return kExitFailure;
  });
}

void add_credential_options(CLI::App* command, ClientArgs& args) {
  command->add_option("--base-url", args.base_url,
                      "server base URL, e.g. https://auth.example.com (default: the local server "
                      "of this configuration)");
  command->add_option("--ca-file", args.ca_file,
                      "PEM file of the CA to trust (default for the local server: its "
                      "development certificate)");
  command->add_option("--api-id", args.api_id, "API_ID (or CONNECT_AUTH_API_ID); the secret "
                                               "comes from CONNECT_AUTH_API_SECRET or --api-secret-file");
  command->add_option("--api-secret-file", args.api_secret_file,
                      "file whose first line is the API secret");
  command->add_option("--user-name", args.user_name,
                      "log in as this user (or CONNECT_AUTH_USER_NAME); the password is "
                      "prompted for, or read from standard input");
  command->add_flag("--no-cache", args.no_cache, "neither read nor write the token cache");
}

}  // namespace

void add_client_commands(CLI::App& app, CommandContext& context) {
  auto args = std::make_shared<ClientArgs>();

  auto* token = app.add_subcommand(
      "token", "Print a bearer token from a server (v3 API key or v4 user login); --json adds "
               "its expiry");
  add_credential_options(token, *args);
  token->callback([&context, args] {
    context.action = [&context, args] { return run_token(context.options, *args); };
  });

  auto* call = app.add_subcommand(
      "call", "Make an authenticated request, like curl with the token handled: "
              "call GET /rest/v3/accounts");
  call->add_option("method", args->method, "HTTP method, e.g. GET")->required();
  call->add_option("path", args->path, "path on the server, e.g. /rest/v3/accounts")->required();
  call->add_option("--data", args->data, "request body, or @FILE");
  call->add_option("--content-type", args->content_type, "Content-Type of --data")
      ->capture_default_str();
  add_credential_options(call, *args);
  call->callback([&context, args] {
    context.action = [&context, args] { return run_call(context.options, *args); };
  });
}

}  // namespace connect_auth::cli
