#include "tokens/hmac_sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <atomic>
#include <stdexcept>

namespace connect_auth::tokens {
namespace {

std::atomic<std::uint64_t> next_key_id{1};

EVP_MAC* hmac_algorithm() {
  // Fetched once: EVP_MAC_fetch takes a global lock and walks the provider store.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// A handful of per-thread contexts: a server holds few keys at once (pepper, one or two HS256
// signing keys during rotation).
struct ThreadContexts {
  struct Slot {
    std::uint64_t key_id = 0;
    EVP_MAC_CTX* ctx = nullptr;
  };
  std::array<Slot, 8> slots{};
  std::size_t next_victim = 0;
  ~ThreadContexts() {
    for (Slot& slot : slots) EVP_MAC_CTX_free(slot.ctx);
  }
};

thread_local ThreadContexts tls_contexts;

EVP_MAC_CTX* context_for(std::uint64_t key_id, const std::vector<std::uint8_t>& key) {
  ThreadContexts& contexts = tls_contexts;
  for (auto& slot : contexts.slots) {
    if (slot.key_id == key_id) {
      // A NULL key re-initialises with the key already set (EVP_MAC_init(3)).
      if (EVP_MAC_init(slot.ctx, nullptr, 0, nullptr) != 1) throw std::runtime_error("HMAC init");
      return slot.ctx;
    }
  }
  auto& slot = contexts.slots[contexts.next_victim];
  contexts.next_victim = (contexts.next_victim + 1) % contexts.slots.size();
  EVP_MAC_CTX_free(slot.ctx);
  slot = {};
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_algorithm());
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // EVP_MAC_init(3) reads a NULL key as "keep the current one"; an empty vector's data() is NULL.
  static constexpr std::uint8_t kEmptyKey = 0;
  const std::uint8_t* key_bytes = key.empty() ? &kEmptyKey : key.data();
  if (ctx == nullptr || EVP_MAC_init(ctx, key_bytes, key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx);
    throw std::runtime_error("HMAC-SHA256 is not available from OpenSSL");
  }
  slot.key_id = key_id;
  slot.ctx = ctx;
  return ctx;
}

}  // namespace

HmacSha256::HmacSha256(std::span<const std::uint8_t> key)
    : key_(key.begin(), key.end()), id_(next_key_id.fetch_add(1, std::memory_order_relaxed)) {}

HmacSha256::~HmacSha256() { sodium_memzero(key_.data(), key_.size()); }

Sha256Digest HmacSha256::mac(std::initializer_list<std::string_view> parts) const {
  EVP_MAC_CTX* ctx = context_for(id_, key_);
  for (std::string_view part : parts) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  }
  Sha256Digest digest{};
  std::size_t written = 0;
  if (EVP_MAC_final(ctx, digest.data(), &written, digest.size()) != 1 || written != digest.size()) {
    throw std::runtime_error("HMAC-SHA256 final failed");
  }
  return digest;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace connect_auth::tokens
