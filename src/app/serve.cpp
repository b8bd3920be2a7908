#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "app/maintenance.h"
#include "app/readiness.h"
#include "app/services.h"
#include "core/bounded_executor.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "domain/auth_cache.h"
#include "domain/login_throttle.h"
#include "domain/password_hasher.h"
#include "domain/signing_keys.h"
#include "domain/v3_tokens.h"
#include "domain/v4_grant.h"
#include "domain/v4_tokens.h"
#include "protocol/endpoints.h"
#include "tokens/secret_hasher.h"
#include "transport/dev_certificate.h"
#include "transport/server.h"

namespace connect_auth::app {
namespace {

int fail(const Error& error) {
  log::error("startup_failed", {{"reason", error.description}});
  std::fprintf(stderr, "connect-auth: %s\n", error.description.c_str());
  return 1;
}

transport::Limits limits_from(const config::Config::Limits& c) {
  transport::Limits limits;
  limits.header_bytes = static_cast<std::size_t>(c.header_bytes);
  limits.body_bytes = static_cast<std::size_t>(c.body_bytes);
  limits.read_timeout = std::chrono::milliseconds(c.read_timeout_ms);
  limits.keepalive_timeout = std::chrono::milliseconds(c.keepalive_timeout_ms);
  limits.shutdown_grace = std::chrono::milliseconds(c.shutdown_grace_ms);
  limits.max_connections = static_cast<std::size_t>(c.max_connections);
  limits.max_connections_per_source =
      static_cast<std::size_t>(c.effective_max_connections_per_source());
  return limits;
}

std::size_t workers_or_cores(std::int64_t configured) {
  if (configured > 0) return static_cast<std::size_t>(configured);
  return std::max(1u, std::thread::hardware_concurrency());
}

domain::LoginThrottlePolicy throttle_policy(const config::Config::Throttle& c) {
  domain::LoginThrottlePolicy policy;
  policy.enabled = c.enabled;
  policy.window_ms = c.window_seconds * 1000;
  policy.per_user_and_source = {c.user_and_source_failures, 1'000, c.max_delay_seconds * 1000};
  policy.per_source = {c.source_failures, 1'000, c.max_delay_seconds * 1000};
  policy.per_user = {c.user_failures, 1'000, c.user_max_delay_seconds * 1000};
  return policy;
}

}  // namespace

int serve(const config::Config& config) {
  log::Level level = log::Level::kInfo;
  log::parse_level(config.log.level, level);
  log::set_level(level);

  auto opened = open_data(config);
  if (!opened) return fail(opened.error());
  storage::Store& store = *opened->store;
  const tokens::MasterKey& master_key = *opened->master_key;

  SystemClock clock;
  SecureRandom random;
  if (auto ensured = domain::ensure_signing_keys(store, master_key, random, clock); !ensured) {
    return fail(ensured.error());
  }
  domain::AuthCache cache(store, master_key);
  if (auto loaded = cache.load(); !loaded) return fail(loaded.error());

  auto listen = config::parse_listen(config.server.listen);
  if (!listen) return fail(listen.error());
  transport::ServerOptions options;
  options.host = listen->first;
  options.port = listen->second;
  options.tls = !config.server.insecure_http;
  options.threads = static_cast<int>(config.server.threads);
  options.limits = limits_from(config.limits);
  options.drain_delay = std::chrono::milliseconds(config.shutdown.drain_delay_ms);
  Readiness readiness(cache, std::chrono::milliseconds(config.cache.poll_interval_ms));
  options.on_shutdown_signal = [&readiness, delay_ms = config.shutdown.drain_delay_ms] {
    readiness.set_serving(false);  // /health/ready is 503 from now on
    log::info("shutdown_requested", {{"drain_delay_ms", delay_ms}});
  };
  std::string certificate_note;
  if (options.tls) {
    if (!config.tls.cert_file.empty()) {
      options.tls_files = {config.tls.cert_file, config.tls.key_file};
    } else {
      auto generated = transport::ensure_dev_certificate(config.tls_dir());
      if (!generated) return fail(generated.error());
      options.tls_files = *generated;
      certificate_note = std::filesystem::absolute(generated->cert_chain_file).string();
    }
  }

  transport::RequestObserver observer;
  if (config.log.access) {
    observer = [](const transport::RequestSummary& s) {
      // Only the path: query strings and headers may carry credentials.
      log::info("request", {{"request_id", s.request_id},
                            {"method", http::method_name(s.method)},
                            {"path", s.path},
                            {"status", s.status},
                            {"elapsed_us", static_cast<std::int64_t>(s.elapsed.count())},
                            {"remote", s.remote_address}});
    };
  }
  // The router is built once the bound port is known (the default issuer is the URL we serve
  // on, and --listen HOST:0 picks the port at bind time). No handler runs before run().
  const http::Router* router = nullptr;
  auto server = transport::make_server(
      options, [&router](const http::Request& request) { return router->route(request); },
      observer);
  if (auto started = server->start(); !started) return fail(started.error());
  const std::string scheme = options.tls ? "https" : "http";
  const bool v6 = options.host.find(':') != std::string::npos;
  const std::string url = scheme + "://" + (v6 ? "[" + options.host + "]" : options.host) + ":" +
                          std::to_string(server->port());
  const std::string issuer = config.issuer.empty() ? url : config.issuer;
  if (config.issuer.empty() && !options.tls) {
    // Stock OAuth clients refuse plain-http endpoints and compare the issuer exactly: behind a
    // TLS proxy the public https URL must be configured.
    log::warn("issuer_defaults_to_plain_http",
              {{"issuer", issuer},
               {"hint", "set issuer (CONNECT_AUTH_ISSUER) to the public https URL"}});
  }
  const std::string audience = config.tokens.v4.audience.empty() ? issuer : config.tokens.v4.audience;

  auto pepper = master_key.pepper();
  tokens::SecretHasher hasher(pepper);  // keeps its own copy of the key
  sodium_memzero(pepper.data(), pepper.size());
  domain::V3TokenCodec v3_codec(
      {issuer, config.tokens.v3.lifetime_seconds, config.tokens.clock_skew_seconds});
  auto passwords = domain::PasswordHasher::create(
      {static_cast<std::uint64_t>(config.password.argon2_memory_kib) * 1024,
       static_cast<std::uint64_t>(config.password.argon2_iterations)});
  if (!passwords) return fail(passwords.error());
  domain::LoginThrottle throttle(store, throttle_policy(config.throttle));
  domain::V4TokenCodec v4_codec({issuer, audience, config.tokens.v4.client_id,
                                 config.tokens.v4.lifetime_seconds,
                                 config.tokens.clock_skew_seconds});
  domain::V4GrantService v4_grants(store, v4_codec, *passwords, hasher, throttle, clock, random,
                                   {config.refresh_token.grace_period_seconds,
                                    config.refresh_token.idle_lifetime_seconds,
                                    config.refresh_token.absolute_lifetime_seconds});
  // Declared after the server so they are stopped first: a task still queued at shutdown
  // answers 503 through the server's (still existing) event loops.
  // Password hashing runs at low priority so argon2 never delays the event loops' requests.
  BoundedExecutor password_executor({"password", workers_or_cores(config.password.workers),
                                     static_cast<std::size_t>(config.password.queue),
                                     /*low_priority=*/true});
  BoundedExecutor token_executor({"grants", workers_or_cores(config.grants.workers),
                                  static_cast<std::size_t>(config.grants.queue),
                                  /*low_priority=*/false});
  domain::TokenInspector token_inspector(
      store, cache, domain::BearerCodecs{v3_codec, &v4_codec}, hasher, clock,
      {config.tokens.v4.client_id,
       storage::RefreshPolicy{config.refresh_token.grace_period_seconds * 1000,
                              config.refresh_token.idle_lifetime_seconds * 1000}});
  const std::atomic<bool>& serving = readiness.serving_flag();
  protocol::EndpointContext context{cache, v3_codec, hasher, clock, random, serving};
  context.ready_check = [&readiness] { return readiness.check(); };
  context.token_inspector = &token_inspector;
  context.v4_codec = &v4_codec;
  context.v4_grants = &v4_grants;
  context.password_executor = &password_executor;
  context.token_executor = &token_executor;
  context.jwks_max_age_seconds =
      std::clamp<std::int64_t>(config.signing_keys.publish_delay_seconds / 2, 0, 60);
  const http::Router routes = protocol::build_router(context);
  router = &routes;

  Maintenance maintenance(
      store, master_key, clock,
      {config.signing_keys.rotation_days * 86'400, config.signing_keys.publish_delay_seconds,
       std::max(config.tokens.v3.lifetime_seconds, config.tokens.v4.lifetime_seconds) +
           config.tokens.clock_skew_seconds,
       config.refresh_token.idle_lifetime_seconds * 1000, config.throttle.window_seconds * 1000});
  maintenance.start();

  cache.start_polling(std::chrono::milliseconds(config.cache.poll_interval_ms), clock);
  // Only the URL's scheme: the rest of a database URL may carry a password.
  const std::string store_url = config.effective_store_url();
  log::info("listening", {{"url", url},
                          {"issuer", issuer},
                          {"store", std::string_view(store_url).substr(0, store_url.find(':'))},
                          {"tls", options.tls}});
  std::printf("connect-auth is serving on %s\n", url.c_str());
  if (!certificate_note.empty()) {
    std::printf("development certificate: %s (pass it to clients, e.g. curl --cacert)\n",
                certificate_note.c_str());
  }
  std::printf(
      "next: create an account, a user and an API key with `connect-auth account create "
      "--help`, then POST %s/rest/v3/oauth/token?grant_type=client_credentials\n",
      url.c_str());
  std::fflush(stdout);
  readiness.set_serving(true);

  server->run();  // returns after SIGTERM/SIGINT, the drain delay and draining
  readiness.set_serving(false);
  maintenance.stop();
  password_executor.stop();
  token_executor.stop();
  cache.stop_polling();
  log::info("stopped");
  return 0;
}

}  // namespace connect_auth::app
