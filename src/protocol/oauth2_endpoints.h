// The standard OAuth 2.0 surface (wire-contract §6): the same accounts, keys, users and tokens as
// the LRS dialect, in the shape stock client libraries and resource servers expect.
//   POST /oauth2/token       RFC 6749 §4.3, §4.4, §6: password, client_credentials, refresh_token
//   POST /oauth2/revoke      RFC 7009
//   POST /oauth2/introspect  RFC 7662
//   GET  /.well-known/oauth-authorization-server  RFC 8414
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"
#include "protocol/endpoints.h"

namespace connect_auth::protocol {

http::Response handle_oauth2_token(const EndpointContext& context, const http::Request& request);
http::Response handle_oauth2_revoke(const EndpointContext& context, const http::Request& request);
http::Response handle_oauth2_introspect(const EndpointContext& context,
                                        const http::Request& request);

// The RFC 8414 metadata document for this configuration, built once at start-up.
std::string authorization_server_metadata(const EndpointContext& context);

inline constexpr std::string_view kMetadataPath = "/.well-known/oauth-authorization-server";
// Where RFC 8414 §3.1 puts the metadata of `issuer`: kMetadataPath, followed by the issuer's
// path if it has one ("https://a.test/tenant" → "/.well-known/oauth-authorization-server/tenant").
std::string metadata_path_for(std::string_view issuer);

}  // namespace connect_auth::protocol
