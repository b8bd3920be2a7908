// HTTP endpoints of the v3 slice. Handlers are thin: request → typed value → domain function →
// response. Everything they need arrives in EndpointContext; nothing is global.
#pragma once

#include <atomic>

#include "core/clock.h"
#include "core/random.h"
#include "domain/auth_cache.h"
#include "domain/v3_tokens.h"
#include "http/message.h"
#include "http/router.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::protocol {

struct EndpointContext {
  const domain::AuthCache& cache;
  const domain::V3TokenCodec& v3_codec;
  const tokens::SecretHasher& secret_hasher;
  const Clock& clock;
  Random& random;
  const std::atomic<bool>& ready;  // set once the server can serve
};

// POST|GET /rest/v3/oauth/token?grant_type=client_credentials (wire-contract §2).
http::Response handle_v3_token(const EndpointContext& context, const http::Request& request);

// GET /rest/v3/accounts with a bearer token (wire-contract §4).
http::Response handle_v3_accounts(const EndpointContext& context, const http::Request& request);

// GET /health/live and /health/ready.
http::Response handle_live(const http::Request& request);
http::Response handle_ready(const EndpointContext& context, const http::Request& request);

// All routes of the server.
http::Router build_router(const EndpointContext& context);

}  // namespace connect_auth::protocol
