#include "tokens/rs256_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <mutex>
#include <stdexcept>

#include "core/base64.h"
#include "core/json_text.h"

namespace connect_auth::tokens {
namespace {

constexpr int kGeneratedBits = 2048;
constexpr unsigned long kPublicExponent = 65537;  // RFC 7518 §6.3.1.2 "AQAB"
// Contexts kept per key and operation: enough for every event-loop thread of a large host.
constexpr std::size_t kMaxIdleContexts = 64;

Error key_error(std::string description) {
  // OpenSSL's queue may name the failure, but it is per-thread state we must not leave behind.
  ERR_clear_error();
  return make_error(ErrorCode::kInternal, std::move(description));
}

const EVP_MD* sha256() {
  // Fetched once: EVP_MD_fetch walks the provider store under a lock.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }  // some hold private parts
};

// Big-endian bytes of an RSA public parameter; BN_bn2bin writes no leading zero bytes, which
// is what RFC 7518 §6.3.1 asks of "n" and "e".
std::string public_param_base64url(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return {};
  std::unique_ptr<BIGNUM, BnDeleter> bn(raw);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), bytes.data());
  return encode_base64url(bytes);
}

// A free list of EVP_PKEY_CTX initialised once for signing or verifying with one key. A call
// borrows a context for its duration: no per-call provider fetch or setup, no context shared
// between threads, and the lock is held only to push or pop a pointer.
class ContextPool {
 public:
  ContextPool(EVP_PKEY* pkey, bool signing) : pkey_(pkey), signing_(signing) {}
  ~ContextPool() {
    for (EVP_PKEY_CTX* ctx : idle_) EVP_PKEY_CTX_free(ctx);
  }
  ContextPool(const ContextPool&) = delete;
  ContextPool& operator=(const ContextPool&) = delete;

  // nullptr only if OpenSSL cannot make a context (allocation failure).
  EVP_PKEY_CTX* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        EVP_PKEY_CTX* ctx = idle_.back();
        idle_.pop_back();
        return ctx;
      }
    }
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_, nullptr);
    const bool ready = ctx != nullptr &&
                       (signing_ ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) == 1 &&
                       EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                       EVP_PKEY_CTX_set_signature_md(ctx, sha256()) == 1;
    if (!ready) {
      EVP_PKEY_CTX_free(ctx);
      ERR_clear_error();
      return nullptr;
    }
    return ctx;
  }

  void release(EVP_PKEY_CTX* ctx) {
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() < kMaxIdleContexts) {
        idle_.push_back(ctx);
        return;
      }
    }
    EVP_PKEY_CTX_free(ctx);
  }

 private:
  EVP_PKEY* const pkey_;
  const bool signing_;
  std::mutex mutex_;
  std::vector<EVP_PKEY_CTX*> idle_;
};

// Returns a borrowed context to its pool, also when the operation failed (a failed RSA verify
// leaves the context as it was).
class Lease {
 public:
  explicit Lease(ContextPool& pool) : pool_(pool), ctx_(pool.acquire()) {}
  ~Lease() {
    if (ctx_ != nullptr) pool_.release(ctx_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  EVP_PKEY_CTX* get() const { return ctx_; }

 private:
  ContextPool& pool_;
  EVP_PKEY_CTX* ctx_;
};

using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

BnPtr bn_param(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return nullptr;
  return BnPtr(raw);
}

// n = p·q, d·e ≡ 1 mod p-1 and mod q-1, and the CRT values derived from them. A stored key that
// fails this was damaged or assembled wrongly; OpenSSL's own pairwise check would also prove p
// and q prime, at ~100 ms per key on every ring rebuild, while this costs microseconds.
bool parts_agree(const EVP_PKEY* pkey) {
  BnPtr n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N);
  BnPtr e = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E);
  BnPtr d = bn_param(pkey, OSSL_PKEY_PARAM_RSA_D);
  BnPtr p = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
  BnPtr q = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
  BnPtr dp = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1);
  BnPtr dq = bn_param(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2);
  BnPtr qinv = bn_param(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  BnPtr extra = bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3);
  ERR_clear_error();  // a missing third factor is the normal case
  if (!n || !e || !d || !p || !q || !dp || !dq || !qinv || extra) return false;
  BN_CTX* ctx = BN_CTX_secure_new();
  if (ctx == nullptr) return false;
  BN_CTX_start(ctx);
  BIGNUM* t = BN_CTX_get(ctx);
  BIGNUM* p1 = BN_CTX_get(ctx);
  BIGNUM* q1 = BN_CTX_get(ctx);
  BIGNUM* de = BN_CTX_get(ctx);
  bool ok = de != nullptr && BN_mul(t, p.get(), q.get(), ctx) == 1 && BN_cmp(t, n.get()) == 0 &&
            BN_sub(p1, p.get(), BN_value_one()) == 1 && BN_sub(q1, q.get(), BN_value_one()) == 1 &&
            BN_mul(de, d.get(), e.get(), ctx) == 1 && BN_mod(t, de, p1, ctx) == 1 && BN_is_one(t) &&
            BN_mod(t, de, q1, ctx) == 1 && BN_is_one(t) && BN_mod(t, d.get(), p1, ctx) == 1 &&
            BN_cmp(t, dp.get()) == 0 && BN_mod(t, d.get(), q1, ctx) == 1 &&
            BN_cmp(t, dq.get()) == 0 && BN_mod_mul(t, qinv.get(), q.get(), p.get(), ctx) == 1 &&
            BN_is_one(t);
  BN_CTX_end(ctx);
  BN_CTX_free(ctx);  // a secure BN_CTX clears its numbers when freed
  ERR_clear_error();
  return ok;
}

using Sha256Bytes = std::array<unsigned char, 32>;

bool digest(std::string_view data, Sha256Bytes& out) {
  unsigned int length = 0;
  return EVP_Digest(data.data(), data.size(), out.data(), &length, sha256(), nullptr) == 1 &&
         length == out.size();
}

}  // namespace

struct Rs256Key::State {
  explicit State(PkeyPtr key)
      : pkey(std::move(key)),
        signature_size(static_cast<std::size_t>(EVP_PKEY_get_size(pkey.get()))),
        signers(pkey.get(), true),
        verifiers(pkey.get(), false) {}

  // Declared first so the pools (whose contexts reference it) are destroyed before it.
  PkeyPtr pkey;
  std::size_t signature_size;
  ContextPool signers;
  ContextPool verifiers;
};

Result<std::shared_ptr<const Rs256Key>> Rs256Key::checked(std::string kid,
                                                          std::unique_ptr<State> state) {
  EVP_PKEY* pkey = state->pkey.get();
  if (EVP_PKEY_is_a(pkey, "RSA") != 1) return key_error("RS256 signing key is not an RSA key");
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < kMinRsaBits) return key_error("RS256 signing key is shorter than 2048 bits");
  if (bits > kMaxRsaBits) return key_error("RS256 signing key is longer than 4096 bits");
  if (!parts_agree(pkey)) return key_error("RS256 signing key is inconsistent");
  return std::make_shared<const Rs256Key>(ConstructionKey{}, std::move(kid), std::move(state));
}

Rs256Key::Rs256Key(ConstructionKey, std::string kid, std::unique_ptr<State> state)
    : kid_(std::move(kid)), state_(std::move(state)) {
  const std::string n = public_param_base64url(state_->pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  const std::string e = public_param_base64url(state_->pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  thumbprint_ = thumbprint(n, e);
  if (kid_.empty()) kid_ = thumbprint_;

  std::string header = R"({"kid":)";
  append_json_string(header, kid_);
  header.append(R"(,"alg":"RS256"})");
  append_base64url(encoded_header_, header);

  public_jwk_ = R"({"kty":"RSA","alg":"RS256","use":"sig","kid":)";
  append_json_string(public_jwk_, kid_);
  public_jwk_.append(R"(,"n":")").append(n).append(R"(","e":")").append(e).append("\"}");
}

Rs256Key::~Rs256Key() = default;

Result<std::shared_ptr<const Rs256Key>> Rs256Key::generate() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  BIGNUM* e = BN_new();
  EVP_PKEY* raw = nullptr;
  const bool generated = ctx != nullptr && e != nullptr && BN_set_word(e, kPublicExponent) == 1 &&
                         EVP_PKEY_keygen_init(ctx) == 1 &&
                         EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, kGeneratedBits) == 1 &&
                         EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1 &&
                         EVP_PKEY_generate(ctx, &raw) == 1;
  BN_free(e);
  EVP_PKEY_CTX_free(ctx);
  PkeyPtr pkey(raw);
  if (!generated) return key_error("RSA key generation failed");
  return checked({}, std::make_unique<State>(std::move(pkey)));
}

Result<std::shared_ptr<const Rs256Key>> Rs256Key::from_pkcs8_der(
    std::string kid, std::span<const std::uint8_t> der) {
  if (!is_valid_kid(kid)) {
    return key_error("signing key id must be 1-64 URL-safe characters");
  }
  // Only an unencrypted PKCS#8 PrivateKeyInfo for rsaEncryption, nothing after it. OpenSSL's
  // decoder alone would also take a bare PKCS#1 key, so the structure is checked first.
  const unsigned char* cursor = der.data();
  PKCS8_PRIV_KEY_INFO* info =
      der.empty() ? nullptr
                  : d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(der.size()));
  const X509_ALGOR* algorithm = nullptr;
  const bool rsa_pkcs8 = info != nullptr &&
                         PKCS8_pkey_get0(nullptr, nullptr, nullptr, &algorithm, info) == 1 &&
                         OBJ_obj2nid(algorithm->algorithm) == NID_rsaEncryption;
  PKCS8_PRIV_KEY_INFO_free(info);  // clears its copy of the private key (ASN1 free callback)
  if (!rsa_pkcs8) return key_error("RS256 signing key is not an RSA PKCS#8 key");
  if (cursor != der.data() + der.size()) return key_error("RS256 signing key has trailing bytes");

  EVP_PKEY* raw = nullptr;
  // The decoder reads the bytes in place: no copy of the key material is left behind by us.
  OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(
      &raw, "DER", "PrivateKeyInfo", "RSA", OSSL_KEYMGMT_SELECT_KEYPAIR, nullptr, nullptr);
  const unsigned char* data = der.data();
  std::size_t remaining = der.size();
  const bool decoded =
      decoder != nullptr && !der.empty() && OSSL_DECODER_from_data(decoder, &data, &remaining) == 1;
  OSSL_DECODER_CTX_free(decoder);
  PkeyPtr pkey(raw);
  if (!decoded || !pkey) return key_error("RS256 signing key is not an RSA PKCS#8 key");
  if (remaining != 0) return key_error("RS256 signing key has trailing bytes");
  return checked(std::move(kid), std::make_unique<State>(std::move(pkey)));
}

std::string Rs256Key::thumbprint(std::string_view n_base64url, std::string_view e_base64url) {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. base64url
  // text needs no JSON escaping.
  std::string canonical = R"({"e":")";
  canonical.append(e_base64url).append(R"(","kty":"RSA","n":")").append(n_base64url).append("\"}");
  Sha256Bytes hash{};
  if (!digest(canonical, hash)) throw std::runtime_error("SHA-256 failed");
  return encode_base64url(hash);
}

int Rs256Key::bits() const { return EVP_PKEY_get_bits(state_->pkey.get()); }

std::vector<std::uint8_t> Rs256Key::pkcs8_der() const {
  OSSL_ENCODER_CTX* encoder = OSSL_ENCODER_CTX_new_for_pkey(
      state_->pkey.get(), OSSL_KEYMGMT_SELECT_KEYPAIR, "DER", "PrivateKeyInfo", nullptr);
  unsigned char* data = nullptr;
  std::size_t length = 0;
  const bool encoded = encoder != nullptr && OSSL_ENCODER_to_data(encoder, &data, &length) == 1;
  OSSL_ENCODER_CTX_free(encoder);
  if (!encoded) {
    ERR_clear_error();
    throw std::runtime_error("PKCS#8 encoding failed");
  }
  std::vector<std::uint8_t> der(data, data + length);
  OPENSSL_clear_free(data, length);
  return der;
}

std::string Rs256Key::sign(std::string_view payload_json) const {
  const std::size_t signature_b64 = (state_->signature_size * 4 + 2) / 3;
  std::string token;
  token.reserve(encoded_header_.size() + 2 + (payload_json.size() * 4 + 2) / 3 + signature_b64);
  token.append(encoded_header_);
  token.push_back('.');
  append_base64url(token, payload_json);

  Sha256Bytes hash{};
  std::array<std::uint8_t, kMaxRsaBits / 8> signature{};
  std::size_t signature_size = signature.size();
  Lease ctx(state_->signers);
  if (ctx.get() == nullptr || !digest(token, hash) ||
      EVP_PKEY_sign(ctx.get(), signature.data(), &signature_size, hash.data(), hash.size()) != 1) {
    // Only allocation failure gets here; a token must never go out unsigned.
    ERR_clear_error();
    throw std::runtime_error("RS256 signing failed");
  }
  token.push_back('.');
  append_base64url(token, std::span<const std::uint8_t>(signature.data(), signature_size));
  return token;
}

bool Rs256Key::verify(std::string_view signing_input, std::string_view signature) const {
  if (signature.size() != state_->signature_size) return false;
  Sha256Bytes hash{};
  if (!digest(signing_input, hash)) return false;
  Lease ctx(state_->verifiers);
  if (ctx.get() == nullptr) return false;
  const int verified =
      EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                      signature.size(), hash.data(), hash.size());
  if (verified != 1) ERR_clear_error();
  return verified == 1;
}

}  // namespace connect_auth::tokens
