#include "transport/dev_certificate.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <system_error>

namespace connect_auth::transport {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCertName = "dev-cert.pem";
constexpr const char* kKeyName = "dev-key.pem";
// The longest validity Apple platforms accept for a TLS server certificate.
constexpr long kValidDays = 825;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

// The most recent OpenSSL error as text, clearing the queue.
std::string openssl_error() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Error failure(const std::string& what) { return make_error(ErrorCode::kInternal, what); }

bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

Result<X509Ptr> make_certificate(EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return failure("cannot create the development certificate: " + openssl_error());
  }
  // RFC 5280 §4.1.2.2: a positive serial of up to 20 octets; random so that a regenerated
  // certificate never collides with one a browser or OS has cached.
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return failure("cannot create a certificate serial number: " + openssl_error());
  }
  // A minute in the past absorbs small clock differences between this host and its clients.
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), kValidDays, 0, nullptr) == nullptr) {
    return failure("cannot set the certificate validity: " + openssl_error());
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* organization = reinterpret_cast<const unsigned char*>("connect-auth development");
  const auto* common_name = reinterpret_cast<const unsigned char*>("localhost");
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, organization, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common_name, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return failure("cannot set the certificate names: " + openssl_error());
  }

  // The certificate is both the server's leaf and, handed to a client (--cacert, verify=...), its
  // own trust anchor; curl, Python requests and Java (keytool trust store) accept an exactly
  // matching trusted certificate without it being a CA. CA:FALSE matters: a developer who adds this
  // certificate to a system trust store must not thereby trust whoever holds the key to sign
  // certificates for any other name. The key identifiers are required by strict verifiers
  // (X509_V_FLAG_X509_STRICT, which newer Pythons enable by default).
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash") ||
      !add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always") ||
      !add_extension(cert.get(), &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1")) {
    return failure("cannot add the certificate extensions: " + openssl_error());
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return failure("cannot sign the development certificate: " + openssl_error());
  }
  return cert;
}

std::string to_pem(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// Writes `content` to `path` through a temporary file and rename(), so that a reader (or a crash)
// never sees a partial file, and the file has `mode` from its first byte on.
Result<void> write_atomically(const fs::path& path, const std::string& content, mode_t mode) {
  std::random_device random;
  fs::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return failure("cannot create " + temp.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return failure("cannot write " + temp.string() + ": " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  // The mode passed to open() is reduced by the umask; the key must be exactly owner-only.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return failure("cannot write " + temp.string() + ": " + std::strerror(saved));
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return failure("cannot rename " + temp.string() + " to " + path.string() + ": " +
                   std::strerror(saved));
  }
  return Ok{};
}

}  // namespace

Result<TlsFiles> ensure_dev_certificate(const fs::path& dir) {
  const fs::path cert_path = dir / kCertName;
  const fs::path key_path = dir / kKeyName;
  TlsFiles files{cert_path.string(), key_path.string()};

  std::error_code ec;
  if (fs::is_regular_file(cert_path, ec) && fs::is_regular_file(key_path, ec)) return files;

  if (!fs::exists(dir, ec)) {
    if (!fs::create_directories(dir, ec) && ec) {
      return failure("cannot create directory " + dir.string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return failure("cannot set permissions on " + dir.string() + ": " + ec.message());
  } else if (!fs::is_directory(dir, ec)) {
    return failure(dir.string() + " exists and is not a directory");
  }

  // P-256: a fraction of the handshake cost of RSA-2048, and accepted by every current client.
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return failure("cannot generate the development key: " + openssl_error());
  auto cert = make_certificate(key.get());
  if (!cert) return std::move(cert).error();

  const std::string key_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  const std::string cert_pem =
      to_pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert->get()); });
  if (key_pem.empty() || cert_pem.empty()) {
    return failure("cannot encode the development certificate: " + openssl_error());
  }
  // The key first: the pair counts as present only once the certificate exists too.
  if (auto written = write_atomically(key_path, key_pem, 0600); !written) {
    return std::move(written).error();
  }
  if (auto written = write_atomically(cert_path, cert_pem, 0644); !written) {
    return std::move(written).error();
  }
  return files;
}

}  // namespace connect_auth::transport
