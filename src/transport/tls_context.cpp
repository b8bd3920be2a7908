#include "transport/tls_context.h"

#include <openssl/ssl.h>

#include <string>

namespace connect_auth::transport {

namespace asio = boost::asio;

// TLS 1.2 suites (Mozilla "intermediate"): forward secrecy and AEAD only. TLS 1.3 suites are
// OpenSSL's defaults, all of which are fine.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

namespace {

int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
                const unsigned char* in, unsigned int in_len, void* /*arg*/) {
  // We speak HTTP/1.1 only; choosing it explicitly keeps ALPN-only clients from guessing h2.
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof kHttp11, in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

Result<void> configure_tls(asio::ssl::context& ctx, const TlsFiles& files) {
  if (files.cert_chain_file.empty() || files.private_key_file.empty()) {
    return make_error(ErrorCode::kInternal,
                      "TLS is enabled but no certificate chain or private key file is configured");
  }
  SSL_CTX* native = ctx.native_handle();
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                  asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return make_error(ErrorCode::kInternal, "cannot set the TLS 1.2 cipher list");
  }
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  static const unsigned char kSessionContext[] = "connect-auth";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);

  boost::system::error_code ec;
  ctx.use_certificate_chain_file(files.cert_chain_file, ec);
  if (ec) {
    return make_error(ErrorCode::kInternal,
                      "cannot load TLS certificate " + files.cert_chain_file + ": " + ec.message());
  }
  ctx.use_private_key_file(files.private_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return make_error(ErrorCode::kInternal, "cannot load TLS private key " +
                                                files.private_key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return make_error(ErrorCode::kInternal, "TLS private key " + files.private_key_file +
                                                " does not match certificate " +
                                                files.cert_chain_file);
  }
  return Ok{};
}

}  // namespace connect_auth::transport
