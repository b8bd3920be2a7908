#include "protocol/endpoints.h"

#include <string>

#include "core/json_text.h"
#include "domain/client_credential.h"
#include "domain/resource_access.h"
#include "domain/v3_grant.h"
#include "http/error_response.h"
#include "protocol/request_parsing.h"

namespace connect_auth::protocol {
namespace {

using http::error_response;

http::Response json_response(std::string body) {
  http::Response response;
  response.status = 200;
  response.content_type = "application/json";
  // RFC 6749 §5.1: token responses must not be cached; data responses neither.
  response.add_header("Cache-Control", "no-store");
  response.add_header("Pragma", "no-cache");
  response.body = std::move(body);
  return response;
}

// Health answers are for probes, not caches.
http::Response health_response(std::string body) {
  http::Response response;
  response.content_type = "application/json";
  response.add_header("Cache-Control", "no-store");
  response.body = std::move(body);
  return response;
}

// Finds the one client credential of a v3 token request: the `user` header, or the same value
// as `Authorization: Basic` (RFC 6749 §2.3.1). Two methods at once is invalid_request (§2.3).
Result<domain::ClientCredential> read_client_credential(const http::Request& request) {
  auto user = single_header(request, "user");
  if (!user) return std::move(user).error();
  auto authorization = single_header(request, "authorization");
  if (!authorization) return std::move(authorization).error();
  if (*user && *authorization) {
    return make_error(ErrorCode::kInvalidRequest,
                      "client credentials were sent in more than one way");
  }
  if (*user) return domain::decode_client_credential(**user);
  if (*authorization) {
    auto basic = credentials_for_scheme(**authorization, "Basic");
    if (!basic) {
      return make_error(ErrorCode::kInvalidRequest,
                        "the Authorization header must use the Basic scheme here");
    }
    return domain::decode_client_credential(*basic);
  }
  return make_error(ErrorCode::kInvalidRequest,
                    "client credential is missing: send the user header with "
                    "base64(API_ID:API_SECRET)");
}

}  // namespace

http::Response handle_v3_token(const EndpointContext& context, const http::Request& request) {
  auto grant_type = single_query_param(request.query, "grant_type");
  if (!grant_type) return error_response(grant_type.error());
  if (!*grant_type) {
    return error_response(
        make_error(ErrorCode::kInvalidRequest, "the grant_type query parameter is required"));
  }
  if (**grant_type != "client_credentials") {
    return error_response(
        make_error(ErrorCode::kUnsupportedGrantType, "grant_type must be client_credentials"));
  }
  auto credential = read_client_credential(request);
  if (!credential) return error_response(credential.error());

  auto issued = domain::grant_v3_token(*credential, context.cache.view(), context.v3_codec,
                                       context.secret_hasher, context.clock, context.random);
  if (!issued) return error_response(issued.error());

  // Members and their order exactly as the seed document shows; expires_in is a string.
  std::string body;
  body.reserve(64 + issued->access_token.size());
  body.append(R"({"expires_in":")");
  body.append(std::to_string(issued->expires_in));
  body.append(R"(","token_type":"Bearer","access_token":")");
  body.append(issued->access_token);  // base64url and dots: nothing to escape
  body.append("\"}");
  return json_response(std::move(body));
}

http::Response handle_v3_accounts(const EndpointContext& context, const http::Request& request) {
  auto authorization = single_header(request, "authorization");
  if (!authorization) return error_response(authorization.error());
  const Error invalid = make_error(ErrorCode::kInvalidToken, "a valid bearer token is required");
  if (!*authorization) return error_response(invalid);
  auto token = credentials_for_scheme(**authorization, "Bearer");
  if (!token || token->empty()) return error_response(invalid);

  const domain::AuthView& view = context.cache.view();
  auto principal =
      domain::authenticate_bearer(*token, view, context.v3_codec, context.clock.now_seconds());
  if (!principal) return error_response(principal.error());

  std::string body = "[";
  for (const auto& visible : domain::visible_accounts(*principal, view)) {
    if (body.size() > 1) body.push_back(',');
    body.append(R"({"accountGuid":)");
    append_json_string(body, visible.guid);
    body.append(R"(,"companyName":)");
    append_json_string(body, visible.account->company_name);
    body.append(R"(,"countryCode":)");
    append_json_string(body, visible.account->country_code);
    body.push_back('}');
  }
  body.push_back(']');
  return json_response(std::move(body));
}

http::Response handle_live(const http::Request&) { return health_response(R"({"status":"live"})"); }

http::Response handle_ready(const EndpointContext& context, const http::Request&) {
  if (!context.ready.load(std::memory_order_acquire)) {
    return error_response(make_error(ErrorCode::kStorageUnavailable, "not ready"));
  }
  return health_response(R"({"status":"ready"})");
}

http::Router build_router(const EndpointContext& context) {
  using http::Method;
  http::Router router;
  auto v3_token = [&context](const http::Request& r) { return handle_v3_token(context, r); };
  // wire-contract §2 [decided]: GET is accepted as well as POST.
  router.add(Method::kPost, "/rest/v3/oauth/token", v3_token);
  router.add(Method::kGet, "/rest/v3/oauth/token", v3_token);
  // GET routes that only read also answer HEAD (RFC 9110 §9.3.2).
  const auto get_and_head = [&router](std::string path, http::Handler handler) {
    router.add(Method::kGet, path, handler);
    router.add(Method::kHead, std::move(path), std::move(handler));
  };
  get_and_head("/rest/v3/accounts",
               [&context](const http::Request& r) { return handle_v3_accounts(context, r); });
  get_and_head("/health/live", handle_live);
  get_and_head("/health/ready",
               [&context](const http::Request& r) { return handle_ready(context, r); });
  return router;
}

}  // namespace connect_auth::protocol
