#include "transport/dev_certificate.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

namespace connect_auth::transport {
namespace {

namespace fs = std::filesystem;

class DevCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("connect-auth-devcert-" + std::to_string(::getpid()) + "-" + info->name()) / "certs";
    fs::remove_all(dir_.parent_path());
  }
  void TearDown() override { fs::remove_all(dir_.parent_path()); }

  fs::path dir_;
};

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr load_certificate(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509Ptr cert(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  return cert;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::set<std::string> subject_alt_names(X509* cert) {
  std::set<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* dns = name->d.dNSName;
      names.insert("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                        static_cast<std::size_t>(ASN1_STRING_length(dns))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      names.insert("IP:" + std::to_string(ASN1_STRING_length(ip)) + "-byte");
    }
  }
  GENERAL_NAMES_free(sans);
  return names;
}

// Verifies `cert` the way a client given it with --cacert does: as its own trust anchor, for
// the TLS server purpose, against a host name or IP address.
int verify_as_client(X509* cert, const char* host, const char* ip) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, cert);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  if (host != nullptr) X509_VERIFY_PARAM_set1_host(param, host, 0);
  if (ip != nullptr) X509_VERIFY_PARAM_set1_ip_asc(param, ip);
  const int ok = X509_verify_cert(ctx);
  const int error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return error;
}

TEST_F(DevCertificateTest, CreatesCertificateForLocalhostWithPrivateKeyMode0600) {
  auto files = ensure_dev_certificate(dir_);
  ASSERT_TRUE(files.ok()) << files.error().description;
  EXPECT_EQ(files->cert_chain_file, (dir_ / "dev-cert.pem").string());
  EXPECT_EQ(files->private_key_file, (dir_ / "dev-key.pem").string());
  EXPECT_EQ(mode_of(files->private_key_file), 0600u);
  EXPECT_EQ(mode_of(dir_), 0700u);
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);

  X509Ptr cert = load_certificate(files->cert_chain_file);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(subject_alt_names(cert.get()),
            (std::set<std::string>{"DNS:localhost", "IP:4-byte", "IP:16-byte"}));
  // The IPv6 entry is ::1 exactly, the IPv4 one 127.0.0.1.
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);

  // A leaf, not a CA: trusting it must not let its key vouch for other names.
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_NE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER, 0u);
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);

  // Validity: about 825 days from now.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
  EXPECT_GE(days, 824);
  EXPECT_LE(days, 825);

  // P-256 key, and the key file holds the matching private key.
  EVP_PKEY* public_key = X509_get0_pubkey(cert.get());
  ASSERT_NE(public_key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(public_key), EVP_PKEY_EC);
  FILE* key_file = std::fopen(files->private_key_file.c_str(), "r");
  ASSERT_NE(key_file, nullptr);
  EVP_PKEY* private_key = PEM_read_PrivateKey(key_file, nullptr, nullptr, nullptr);
  std::fclose(key_file);
  ASSERT_NE(private_key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert.get(), private_key), 1);
  EVP_PKEY_free(private_key);
}

TEST_F(DevCertificateTest, IsAcceptedAsItsOwnTrustAnchorUnderStrictVerification) {
  auto files = ensure_dev_certificate(dir_);
  ASSERT_TRUE(files.ok()) << files.error().description;
  X509Ptr cert = load_certificate(files->cert_chain_file);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(verify_as_client(cert.get(), "localhost", nullptr), X509_V_OK);
  EXPECT_EQ(verify_as_client(cert.get(), nullptr, "127.0.0.1"), X509_V_OK);
  EXPECT_EQ(verify_as_client(cert.get(), nullptr, "::1"), X509_V_OK);
  EXPECT_EQ(verify_as_client(cert.get(), "example.com", nullptr), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(DevCertificateTest, SecondCallReusesTheExistingFiles) {
  auto first = ensure_dev_certificate(dir_);
  ASSERT_TRUE(first.ok()) << first.error().description;
  const std::string cert = read_file(first->cert_chain_file);
  const std::string key = read_file(first->private_key_file);
  auto second = ensure_dev_certificate(dir_);
  ASSERT_TRUE(second.ok()) << second.error().description;
  EXPECT_EQ(second->cert_chain_file, first->cert_chain_file);
  EXPECT_EQ(read_file(second->cert_chain_file), cert);
  EXPECT_EQ(read_file(second->private_key_file), key);
}

TEST_F(DevCertificateTest, RegeneratesWhenOneFileIsMissing) {
  auto first = ensure_dev_certificate(dir_);
  ASSERT_TRUE(first.ok()) << first.error().description;
  const std::string cert = read_file(first->cert_chain_file);
  fs::remove(first->private_key_file);
  auto second = ensure_dev_certificate(dir_);
  ASSERT_TRUE(second.ok()) << second.error().description;
  EXPECT_NE(read_file(second->cert_chain_file), cert);
  EXPECT_EQ(mode_of(second->private_key_file), 0600u);
}

TEST_F(DevCertificateTest, UnwritableLocationIsAnError) {
  fs::create_directories(dir_.parent_path());
  std::ofstream(dir_.parent_path() / "file") << "x";
  auto result = ensure_dev_certificate(dir_.parent_path() / "file" / "certs");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(result.error().description.empty());
}

}  // namespace
}  // namespace connect_auth::transport
