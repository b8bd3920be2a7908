#include "protocol/oauth2_endpoints.h"

#include <sodium.h>

#include <string>
#include <utility>

#include "core/base64.h"
#include "core/json_text.h"
#include "domain/client_auth.h"
#include "domain/v3_grant.h"
#include "http/error_response.h"
#include "protocol/deferred.h"
#include "protocol/request_parsing.h"

namespace connect_auth::protocol {
namespace {

using domain::AuthenticatedClient;
using domain::PresentedClient;
using http::error_response;

Error invalid_request(std::string description) {
  return make_error(ErrorCode::kInvalidRequest, std::move(description));
}

Error client_failed() {
  return make_error(ErrorCode::kInvalidClient, "client authentication failed");
}

Result<FormParams> read_form(const http::Request& request) {
  auto content_type = single_header(request, "content-type");
  if (!content_type) return std::move(content_type).error();
  if (!*content_type || !is_form_content_type(**content_type)) {
    return invalid_request("the body must be application/x-www-form-urlencoded");
  }
  return parse_form(request.body);
}

// HTTP Basic client authentication (RFC 6749 §2.3.1): base64 of the form-urlencoded id, a colon,
// the form-urlencoded secret. An empty secret is no secret (how public clients fill the field).
Result<PresentedClient> decode_basic(std::string_view credentials) {
  PresentedClient presented;
  if (credentials.empty() || credentials.size() > domain::kMaxEncodedCredentialBytes) {
    return client_failed();
  }
  auto decoded = decode_base64(credentials);
  if (!decoded) return client_failed();
  const std::size_t colon = decoded->find(':');
  std::optional<std::string> id;
  std::optional<std::string> secret;
  if (colon != std::string::npos) {
    id = form_decode(std::string_view(*decoded).substr(0, colon));
    secret = form_decode(std::string_view(*decoded).substr(colon + 1));
  }
  sodium_memzero(decoded->data(), decoded->size());
  if (!id || !secret || id->empty()) {
    if (secret) sodium_memzero(secret->data(), secret->size());
    return client_failed();
  }
  presented.client_id = std::move(*id);
  if (!secret->empty()) presented.client_secret = std::move(*secret);
  return presented;
}

// The client a request presents: Basic, or client_id (+ client_secret) in the form, never both
// methods (RFC 6749 §2.3: one method per request). A form client_id equal to the Basic one is
// tolerated (some libraries send both); a different one is not.
Result<PresentedClient> read_presented_client(const http::Request& request, const FormParams& form) {
  auto authorization = single_header(request, "authorization");
  if (!authorization) return std::move(authorization).error();
  const auto form_id = form.get("client_id");
  const auto form_secret = form.get("client_secret");
  if (*authorization) {
    auto basic = credentials_for_scheme(**authorization, "Basic");
    if (!basic) return invalid_request("the Authorization header must use the Basic scheme here");
    if (form_secret) return invalid_request("client credentials were sent in more than one way");
    auto presented = decode_basic(*basic);
    if (!presented) return presented;
    if (form_id && *form_id != *presented->client_id) {
      return invalid_request("client_id differs from the client authenticated by Basic");
    }
    return presented;
  }
  if (form_secret && !form_id) return invalid_request("client_secret was sent without client_id");
  PresentedClient presented;
  if (form_id) presented.client_id = std::string(*form_id);
  if (form_secret) presented.client_secret = std::string(*form_secret);
  return presented;
}

Result<AuthenticatedClient> authenticate(const EndpointContext& context,
                                         const http::Request& request, const FormParams& form,
                                         const domain::AuthView& view) {
  auto presented = read_presented_client(request, form);
  if (!presented) return std::move(presented).error();
  const std::string_view first_party =
      context.v4_codec != nullptr ? std::string_view(context.v4_codec->settings().client_id)
                                  : std::string_view();
  return domain::authenticate_client(*presented, view, context.secret_hasher, first_party);
}

Result<bool> wants_offline_access(const FormParams& form) {
  const auto scope = form.get("scope");
  if (!scope) return false;
  if (scope->size() > kMaxV4ScopeBytes) return invalid_request("scope is too long");
  return asks_for_offline_access(*scope, domain::kOfflineAccess);
}

// RFC 6749 §5.1; expires_in is a number here (the LRS dialect sends a string).
http::Response token_response(std::string_view access_token, std::int64_t expires_in,
                              const std::optional<std::string>& refresh_token,
                              std::string_view scope) {
  std::string body;
  body.reserve(160 + access_token.size());
  body.append(R"({"access_token":")");
  body.append(access_token);  // base64url and dots: nothing to escape
  body.append(R"(","token_type":"Bearer","expires_in":)");
  body.append(std::to_string(expires_in));
  if (refresh_token) {
    body.append(R"(,"refresh_token":")");
    body.append(*refresh_token);  // base64url
    body.append(R"(","scope":)");
    append_json_string(body, scope);
  }
  body.push_back('}');
  return http::no_store_response(200, "application/json", std::move(body));
}

http::Response user_token_response(const Result<domain::IssuedV4Tokens>& issued) {
  if (!issued) return error_response(issued.error());
  return token_response(issued->access_token, issued->expires_in, issued->refresh_token,
                        issued->scope);
}

Result<std::string> required(const FormParams& form, std::string_view name, std::size_t max_bytes) {
  const auto value = form.get(name);
  if (!value) return invalid_request(std::string(name) + " is missing");
  if (value->size() > max_bytes) return invalid_request(std::string(name) + " is too long");
  return std::string(*value);
}

http::Response client_credentials_grant(const EndpointContext& context, const FormParams& form,
                                        const AuthenticatedClient& client,
                                        const domain::AuthView& view) {
  if (client.kind != AuthenticatedClient::Kind::kApiKey) {
    // RFC 6749 §5.2: no client authentication at all is invalid_client (401).
    return error_response(client.anonymous
                              ? make_error(ErrorCode::kInvalidClient,
                                           "client authentication is required")
                              : make_error(ErrorCode::kUnauthorizedClient,
                                           "client_credentials needs an API key as the client"));
  }
  // API keys carry no scopes: an empty scope is the only one they can be granted.
  if (form.has("scope")) {
    return error_response(
        make_error(ErrorCode::kInvalidScope, "client_credentials grants take no scope"));
  }
  auto issued = domain::issue_v3_token(client.client_id, *client.key, view, context.v3_codec,
                                       context.clock, context.random);
  if (!issued) return error_response(issued.error());
  return token_response(issued->access_token, issued->expires_in, std::nullopt, {});
}

Result<V4TokenRequest> user_grant_request(const FormParams& form, std::string_view grant_type) {
  V4TokenRequest grant;
  if (grant_type == "password") {
    grant.grant = V4TokenRequest::Grant::kPassword;
    // Length caps come before anything that costs: no argon2 run for an over-long password.
    auto user_name = required(form, "username", kMaxUserNameBytes);
    if (!user_name) return std::move(user_name).error();
    auto password = required(form, "password", kMaxPasswordBytes);
    if (!password) return std::move(password).error();
    grant.user_name = std::move(*user_name);
    grant.password = std::move(*password);
  } else {
    grant.grant = V4TokenRequest::Grant::kRefreshToken;
    const auto token = form.get("refresh_token");
    if (!token) return invalid_request("refresh_token is missing");
    // bad-inputs §E: a huge token is one we never issued: invalid_grant like any unknown one.
    if (token->size() > kMaxRefreshTokenBytes) {
      return make_error(ErrorCode::kInvalidGrant, "the refresh token is invalid or expired");
    }
    grant.refresh_token = std::string(*token);
  }
  auto offline = wants_offline_access(form);
  if (!offline) return std::move(offline).error();
  grant.scope_present = form.has("scope");
  grant.offline_access = *offline;
  return grant;
}

// Owned copy of what a revocation or introspection job needs: the authenticated client without
// its view pointer (the job takes its own view on its thread), and the token.
struct TokenJob {
  const EndpointContext* context;
  AuthenticatedClient::Kind client_kind;
  std::string client_id;
  std::string token;

  TokenJob(const EndpointContext* c, const AuthenticatedClient& client, std::string_view t)
      : context(c), client_kind(client.kind), client_id(client.client_id), token(t) {}
  TokenJob(const TokenJob& other) = default;
  TokenJob& operator=(const TokenJob&) = delete;
  ~TokenJob() { sodium_memzero(token.data(), token.size()); }

  AuthenticatedClient client() const {
    AuthenticatedClient out;
    out.kind = client_kind;
    out.client_id = client_id;
    return out;
  }
};

std::string introspection_json(const domain::Introspection& result) {
  if (!result.active) return R"({"active":false})";
  std::string body = R"({"active":true,"token_type":)";
  append_json_string(body, result.token_type);
  const auto member = [&body](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    body.append(",\"").append(name).append("\":");
    append_json_string(body, value);
  };
  member("client_id", result.client_id);
  member("username", result.username);
  member("sub", result.sub);
  member("scope", result.scope);
  member("iss", result.iss);
  member("aud", result.aud);
  member("jti", result.jti);
  body.append(",\"iat\":").append(std::to_string(result.iat));
  body.append(",\"exp\":").append(std::to_string(result.exp));
  body.push_back('}');
  return body;
}

}  // namespace

http::Response handle_oauth2_token(const EndpointContext& context, const http::Request& request) {
  auto form = read_form(request);
  if (!form) return error_response(form.error());
  const auto grant_type = form->get("grant_type");
  if (!grant_type) return error_response(invalid_request("grant_type is missing"));

  const domain::AuthView& view = context.cache.view();
  auto client = authenticate(context, request, *form, view);
  if (!client) return error_response(client.error());

  if (*grant_type == "client_credentials") {
    return client_credentials_grant(context, *form, *client, view);
  }
  if (*grant_type != "password" && *grant_type != "refresh_token") {
    return error_response(make_error(ErrorCode::kUnsupportedGrantType,
                                     "grant_type must be client_credentials, password or "
                                     "refresh_token"));
  }
  if (context.v4_grants == nullptr) {
    return error_response(make_error(ErrorCode::kUnsupportedGrantType,
                                     "user grants are not enabled on this server"));
  }
  // User grants belong to the first-party client (wire-contract §6).
  if (client->kind != AuthenticatedClient::Kind::kFirstParty) {
    return error_response(make_error(ErrorCode::kUnauthorizedClient,
                                     "this client may not use the " + std::string(*grant_type) +
                                         " grant"));
  }
  auto grant = user_grant_request(*form, *grant_type);
  if (!grant) return error_response(grant.error());
  return run_user_grant(context, request, std::move(*grant), user_token_response);
}

http::Response handle_oauth2_revoke(const EndpointContext& context, const http::Request& request) {
  auto form = read_form(request);
  if (!form) return error_response(form.error());
  const domain::AuthView& view = context.cache.view();
  auto client = authenticate(context, request, *form, view);
  if (!client) return error_response(client.error());
  const auto token = form->get("token");
  if (!token) return error_response(invalid_request("token is missing"));
  if (context.token_inspector == nullptr) {
    return error_response(make_error(ErrorCode::kNotFound, "not found"));
  }
  // token_type_hint is only a hint (RFC 7009 §2.1): every type is searched whatever it says.
  return run_deferred(context.token_executor, request, [job = TokenJob(&context, *client, *token)] {
    auto revoked = job.context->token_inspector->revoke(job.token, job.client(),
                                                        job.context->cache.view());
    if (!revoked) return error_response(revoked.error());
    return http::no_store_response(200, "", "");
  });
}

http::Response handle_oauth2_introspect(const EndpointContext& context,
                                        const http::Request& request) {
  auto form = read_form(request);
  if (!form) return error_response(form.error());
  const domain::AuthView& view = context.cache.view();
  auto client = authenticate(context, request, *form, view);
  if (!client) return error_response(client.error());
  // RFC 7662 §2.1: only authorized protected resources may ask, so that the endpoint cannot be
  // used to scan for valid tokens.
  if (client->kind != AuthenticatedClient::Kind::kApiKey || !client->key->may_introspect) {
    return error_response(
        make_error(ErrorCode::kInvalidClient, "this client may not introspect tokens"));
  }
  const auto token = form->get("token");
  if (!token) return error_response(invalid_request("token is missing"));
  if (context.token_inspector == nullptr) {
    return error_response(make_error(ErrorCode::kNotFound, "not found"));
  }
  return run_deferred(context.token_executor, request, [job = TokenJob(&context, *client, *token)] {
    auto result = job.context->token_inspector->introspect(job.token, job.context->cache.view());
    if (!result) return error_response(result.error());
    return http::no_store_response(200, "application/json", introspection_json(*result));
  });
}

std::string metadata_path_for(std::string_view issuer) {
  std::string path(kMetadataPath);
  const std::size_t scheme = issuer.find("://");
  if (scheme == std::string_view::npos) return path;
  const std::size_t slash = issuer.find('/', scheme + 3);
  if (slash == std::string_view::npos) return path;
  std::string_view issuer_path = issuer.substr(slash);
  while (!issuer_path.empty() && issuer_path.back() == '/') issuer_path.remove_suffix(1);
  path.append(issuer_path);
  return path;
}

std::string authorization_server_metadata(const EndpointContext& context) {
  std::string issuer = context.v3_codec.settings().issuer;
  while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
  const bool users = context.v4_codec != nullptr && context.v4_grants != nullptr;
  const bool tokens = context.token_inspector != nullptr;
  std::string body = "{\"issuer\":";
  append_json_string(body, context.v3_codec.settings().issuer);
  const auto url = [&](std::string_view name, std::string_view path) {
    body.append(",\"").append(name).append("\":");
    append_json_string(body, issuer + std::string(path));
  };
  url("token_endpoint", "/oauth2/token");
  url("jwks_uri", "/oauth2/keys");
  if (tokens) {
    url("revocation_endpoint", "/oauth2/revoke");
    url("introspection_endpoint", "/oauth2/introspect");
  }
  body.append(users ? R"(,"grant_types_supported":["client_credentials","password","refresh_token"])"
                    : R"(,"grant_types_supported":["client_credentials"])");
  // No authorization endpoint, so no response type (RFC 8414 §2 still requires the member).
  body.append(R"(,"response_types_supported":[])");
  const std::string_view client_auth =
      R"(["client_secret_basic","client_secret_post","none"])";
  body.append(R"(,"token_endpoint_auth_methods_supported":)").append(client_auth);
  if (tokens) {
    body.append(R"(,"revocation_endpoint_auth_methods_supported":)").append(client_auth);
    body.append(
        R"(,"introspection_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"])");
  }
  if (users) body.append(R"(,"scopes_supported":["offline_access"])");
  url("service_documentation", "/openapi.json");
  body.push_back('}');
  return body;
}

}  // namespace connect_auth::protocol
