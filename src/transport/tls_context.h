// The server's TLS context: TLS 1.2+ with forward-secret AEAD suites, no renegotiation or
// compression, a server-side session cache, ALPN answering http/1.1, and the configured
// certificate chain and key (checked to match).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "core/result.h"
#include "transport/server.h"

namespace connect_auth::transport {

Result<void> configure_tls(boost::asio::ssl::context& ctx, const TlsFiles& files);

}  // namespace connect_auth::transport
