// A self-signed certificate for local development and tests, so that TLS works out of the box
// without ever teaching anyone to run with plain HTTP. Never for production: operators configure
// their own certificate chain.
#pragma once

#include <filesystem>

#include "core/result.h"
#include "transport/server.h"

namespace connect_auth::transport {

// Returns dir/dev-cert.pem and dir/dev-key.pem, creating them first if either is missing: an
// ECDSA P-256 key (fast handshakes) and a certificate for CN=localhost with subjectAltName
// DNS:localhost, IP:127.0.0.1, IP:::1, valid 825 days, CA:FALSE. Clients trust it directly:
// `curl --cacert dev-cert.pem`, Python requests `verify="dev-cert.pem"`.
// A new `dir` is created with mode 0700; the key is written with mode 0600, atomically.
Result<TlsFiles> ensure_dev_certificate(const std::filesystem::path& dir);

}  // namespace connect_auth::transport
