// HTTP endpoints. Handlers are thin: request → typed value → domain function → response.
// Everything they need arrives in EndpointContext; nothing is global.
#pragma once

#include <atomic>
#include <functional>

#include "core/bounded_executor.h"
#include "core/clock.h"
#include "core/random.h"
#include "domain/auth_cache.h"
#include "domain/token_inspection.h"
#include "domain/v3_tokens.h"
#include "domain/v4_grant.h"
#include "domain/v4_tokens.h"
#include "http/message.h"
#include "http/router.h"
#include "protocol/v4_request.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::protocol {

struct EndpointContext {
  const domain::AuthCache& cache;
  const domain::V3TokenCodec& v3_codec;
  const tokens::SecretHasher& secret_hasher;
  const Clock& clock;
  Random& random;
  const std::atomic<bool>& ready;  // set once the server can serve

  // v4 (wire-contract §3). While v4_codec or v4_grants is null the v4 token endpoint is not
  // routed and v4 bearer tokens are refused.
  const domain::V4TokenCodec* v4_codec = nullptr;
  domain::V4GrantService* v4_grants = nullptr;
  // Bounded pools the v4 grants run on, off the event loop: password grants (argon2) on one,
  // refresh grants (a durable commit and an RS256 signature) on the other, so a password flood
  // cannot starve refreshes. A full pool answers 503 + Retry-After at once. Null (or a request
  // without a Deferral, as in unit tests): the grant runs inline.
  BoundedExecutor* password_executor = nullptr;
  BoundedExecutor* token_executor = nullptr;
  // How long clients may cache the JWKS. Kept below the signing-key publish delay, so a client
  // that cached the set just before a rotation refetches it before the new key signs.
  std::int64_t jwks_max_age_seconds = 60;

  // The standard OAuth surface (wire-contract §6). Null: /oauth2/revoke and /oauth2/introspect
  // are not routed.
  domain::TokenInspector* token_inspector = nullptr;

  // /health/ready also asks this when set (app/readiness: signing keys loaded, the store heard
  // from recently); `ready` alone decides when it is empty.
  std::function<bool()> ready_check;
};

// A user grant (password or refresh token) with everything it needs owned: the Request's views
// die when the handler returns, and the grant runs later on a pool thread. The parsed request
// wipes its secrets when destroyed. `render` writes the answer in the caller's dialect.
struct UserGrantJob {
  using Renderer = http::Response (*)(const Result<domain::IssuedV4Tokens>&);
  const EndpointContext* context;
  V4TokenRequest request;
  std::string remote_address;
  Renderer render;

  http::Response operator()() const;
};

// Runs `grant` on its pool (password grants on password_executor, refreshes on token_executor)
// and answers through the request's Deferral.
http::Response run_user_grant(const EndpointContext& context, const http::Request& request,
                              V4TokenRequest grant, UserGrantJob::Renderer render);

// POST|GET /rest/v3/oauth/token?grant_type=client_credentials (wire-contract §2).
http::Response handle_v3_token(const EndpointContext& context, const http::Request& request);

// GET /rest/v3/accounts with a bearer token (wire-contract §4).
http::Response handle_v3_accounts(const EndpointContext& context, const http::Request& request);

// POST /rest/v4/oauth/token (wire-contract §3): grantType PASSWORD or REFRESH_TOKEN, JSON body.
// Parses on the calling (event-loop) thread, then runs the grant on the matching executor and
// answers through the request's Deferral.
http::Response handle_v4_token(const EndpointContext& context, const http::Request& request);

// GET /oauth2/keys: the JWKS of the RS256 verification keys (RFC 7517, wire-contract §6).
http::Response handle_jwks(const EndpointContext& context, const http::Request& request);

// GET /health/live and /health/ready.
http::Response handle_live(const http::Request& request);
http::Response handle_ready(const EndpointContext& context, const http::Request& request);

// All routes of the server.
http::Router build_router(const EndpointContext& context);

}  // namespace connect_auth::protocol
