#include "protocol/endpoints.h"

#include <string>
#include <utility>

#include "core/json_text.h"
#include "domain/client_credential.h"
#include "domain/resource_access.h"
#include "domain/v3_grant.h"
#include "http/error_response.h"
#include "protocol/deferred.h"
#include "protocol/oauth2_endpoints.h"
#include "protocol/openapi_endpoint.h"
#include "protocol/request_parsing.h"
#include "protocol/v4_request.h"

namespace connect_auth::protocol {
namespace {

using http::error_response;

// RFC 6749 §5.1: token responses must not be cached; data responses neither.
http::Response json_response(std::string body) {
  return http::no_store_response(200, "application/json", std::move(body));
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

// The seed's body, members in its order (wire-contract §3); expiresIn is a string. scope and
// refreshToken appear only when a refresh token is issued.
http::Response v4_token_response(const Result<domain::IssuedV4Tokens>& issued) {
  if (!issued) return error_response(issued.error());
  std::string body;
  body.reserve(160 + issued->access_token.size());
  body.append(R"({"tokenType":"Bearer","expiresIn":")");
  body.append(std::to_string(issued->expires_in));
  body.append(R"(","accessToken":")");
  body.append(issued->access_token);  // base64url and dots: nothing to escape
  body.push_back('"');
  if (issued->refresh_token) {
    body.append(R"(,"scope":)");
    append_json_string(body, issued->scope);
    body.append(R"(,"refreshToken":")");
    body.append(*issued->refresh_token);  // base64url
    body.push_back('"');
  }
  body.push_back('}');
  return json_response(std::move(body));
}

}  // namespace

http::Response UserGrantJob::operator()() const {
  // The view is taken on the thread that runs the grant (AuthCache views are per thread).
  const domain::AuthView& view = context->cache.view();
  if (request.grant == V4TokenRequest::Grant::kPassword) {
    return render(context->v4_grants->password_grant(
        {request.user_name, request.password, request.offline_access, remote_address}, view));
  }
  return render(context->v4_grants->refresh_grant(
      {request.refresh_token, request.scope_present, request.offline_access}, view));
}

http::Response run_user_grant(const EndpointContext& context, const http::Request& request,
                              V4TokenRequest grant, UserGrantJob::Renderer render) {
  BoundedExecutor* executor = grant.grant == V4TokenRequest::Grant::kPassword
                                  ? context.password_executor
                                  : context.token_executor;
  return run_deferred(executor, request,
                      UserGrantJob{&context, std::move(grant),
                                   std::string(request.remote_address), render});
}

http::Response handle_v4_token(const EndpointContext& context, const http::Request& request) {
  if (context.v4_grants == nullptr) {
    return error_response(make_error(ErrorCode::kNotFound, "not found"));
  }
  auto content_type = single_header(request, "content-type");
  if (!content_type) return error_response(content_type.error());
  auto parsed = parse_v4_token_request(content_type->value_or(std::string_view{}), request.body);
  if (!parsed) return error_response(parsed.error());

  return run_user_grant(context, request, std::move(*parsed), v4_token_response);
}

http::Response handle_jwks(const EndpointContext& context, const http::Request&) {
  const domain::AuthView& view = context.cache.view();
  http::Response response;
  response.content_type = "application/json";
  // Public keys: caches may keep them briefly. A new key is published for the rotation's
  // publish delay before anything signs with it, and max-age stays below that delay.
  response.add_header("Cache-Control",
                      "public, max-age=" + std::to_string(context.jwks_max_age_seconds));
  response.body = view.signing_keys ? view.signing_keys->jwks_json() : R"({"keys":[]})";
  return response;
}

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
  // RFC 6750 §3.1: no credentials at all is told only that a token is needed (no error code).
  if (!*authorization) return http::bearer_required_response();
  const Error invalid = make_error(ErrorCode::kInvalidToken, "a valid bearer token is required");
  auto token = credentials_for_scheme(**authorization, "Bearer");
  if (!token || token->empty()) return error_response(invalid);

  const domain::AuthView& view = context.cache.view();
  auto principal = domain::authenticate_bearer(
      *token, view, domain::BearerCodecs{context.v3_codec, context.v4_codec},
      context.clock.now_seconds());
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
  if (!context.ready.load(std::memory_order_acquire) ||
      (context.ready_check && !context.ready_check())) {
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
  if (context.v4_codec != nullptr && context.v4_grants != nullptr) {
    // POST only: the credentials travel in the body (wire-contract §3).
    router.add(Method::kPost, "/rest/v4/oauth/token",
               [&context](const http::Request& r) { return handle_v4_token(context, r); });
  }
  // GET routes that only read also answer HEAD (RFC 9110 §9.3.2).
  const auto get_and_head = [&router](std::string path, http::Handler handler) {
    router.add(Method::kGet, path, handler);
    router.add(Method::kHead, std::move(path), std::move(handler));
  };
  get_and_head("/rest/v3/accounts",
               [&context](const http::Request& r) { return handle_v3_accounts(context, r); });
  get_and_head("/oauth2/keys",
               [&context](const http::Request& r) { return handle_jwks(context, r); });
  // The standard OAuth surface (wire-contract §6). POST only, like the dialect's token endpoint.
  router.add(Method::kPost, "/oauth2/token",
             [&context](const http::Request& r) { return handle_oauth2_token(context, r); });
  if (context.token_inspector != nullptr) {
    router.add(Method::kPost, "/oauth2/revoke",
               [&context](const http::Request& r) { return handle_oauth2_revoke(context, r); });
    router.add(Method::kPost, "/oauth2/introspect", [&context](const http::Request& r) {
      return handle_oauth2_introspect(context, r);
    });
  }
  const http::Handler metadata = [document = authorization_server_metadata(context)](
                                     const http::Request&) {
    http::Response response;
    response.content_type = "application/json";
    response.add_header("Cache-Control", "public, max-age=300");
    response.body = document;
    return response;
  };
  get_and_head(std::string(kMetadataPath), metadata);
  // RFC 8414 §3.1: an issuer with a path has its metadata at the well-known path + that path.
  if (const std::string with_path = metadata_path_for(context.v3_codec.settings().issuer);
      with_path != kMetadataPath) {
    get_and_head(with_path, metadata);
  }
  get_and_head("/openapi.json", handle_openapi);
  get_and_head("/health/live", handle_live);
  get_and_head("/health/ready",
               [&context](const http::Request& r) { return handle_ready(context, r); });
  return router;
}

}  // namespace connect_auth::protocol
