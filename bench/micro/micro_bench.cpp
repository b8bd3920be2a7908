// Where a token request's CPU goes, piece by piece, without sockets.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"
#include "core/clock.h"
#include "core/random.h"
#include "domain/client_credential.h"
#include "domain/password_hasher.h"
#include "domain/resource_access.h"
#include "domain/v3_grant.h"
#include "tokens/hmac_sha256.h"
#include "tokens/rs256_key.h"

namespace connect_auth {
namespace {

constexpr const char* kGuid = "11111111-1111-4111-8111-111111111111";

struct Fixture {
  explicit Fixture(int keys) {
    pepper.fill(3);
    hasher = std::make_unique<tokens::SecretHasher>(pepper);
    auto ring = std::make_shared<tokens::KeyRing>();
    std::array<std::uint8_t, 32> secret{};
    secret.fill(9);
    ring->add(tokens::Hs256Key::create("hs-bench", secret).value(), true);
    view.signing_keys = ring;
    auto account = std::make_shared<domain::AccountEntry>();
    account->company_name = "Bench Co";
    account->country_code = "US";
    view.accounts[kGuid] = account;
    auto user = std::make_shared<domain::UserEntry>();
    user->account_guids.insert(kGuid);
    view.users[1] = user;
    view.keys.reserve(static_cast<std::size_t>(keys));
    for (int i = 0; i < keys; ++i) {
      std::string id = std::to_string(1'000'000'000'000'000'000LL + i);
      id.resize(25, 'K');
      auto entry = std::make_shared<domain::KeyEntry>();
      entry->secret_hash = hasher->hash("secret-" + id);
      entry->generation = 1;
      entry->user_id = 1;
      entry->account_guids = {kGuid};
      view.keys[id] = entry;
      if (i == keys / 2) api_id = id;
    }
    header = encode_base64(api_id + ":secret-" + api_id);
  }
  std::array<std::uint8_t, 32> pepper{};
  std::unique_ptr<tokens::SecretHasher> hasher;
  domain::AuthView view;
  domain::V3TokenCodec codec{{"https://127.0.0.1:8443", 1200, 30}};
  SystemClock clock;
  SecureRandom random;
  std::string api_id;
  std::string header;
};

void BM_DecodeCredential(benchmark::State& state) {
  Fixture f(1);
  for (auto _ : state) benchmark::DoNotOptimize(domain::decode_client_credential(f.header));
}
BENCHMARK(BM_DecodeCredential);

void BM_HmacSha256_300B(benchmark::State& state) {
  std::array<std::uint8_t, 32> key{};
  tokens::HmacSha256 hmac(key);
  std::string data(300, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(hmac.mac(data));
}
BENCHMARK(BM_HmacSha256_300B);

void BM_RandomBase64url16(benchmark::State& state) {
  SecureRandom random;
  for (auto _ : state) benchmark::DoNotOptimize(random_base64url(random, 16));
}
BENCHMARK(BM_RandomBase64url16);

// The whole v3 grant: decode, lookup, keyed hash + compare, mint and sign. Arg: keys loaded.
void BM_GrantV3(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto credential = domain::decode_client_credential(f.header);
    auto issued =
        domain::grant_v3_token(*credential, f.view, f.codec, *f.hasher, f.clock, f.random);
    if (!issued) state.SkipWithError("grant failed");
    benchmark::DoNotOptimize(issued);
  }
}
BENCHMARK(BM_GrantV3)->Arg(1000)->Arg(100000);

void BM_AuthenticateBearer(benchmark::State& state) {
  Fixture f(1000);
  const std::string token =
      f.codec.mint(*f.view.signing_keys->signing_key(tokens::JwsAlgorithm::kHs256), f.api_id, 1,
                   f.clock.now_seconds(), f.random);
  for (auto _ : state) {
    auto principal = domain::authenticate_bearer(token, f.view, f.codec, f.clock.now_seconds());
    if (!principal) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(principal);
  }
}
BENCHMARK(BM_AuthenticateBearer);

// Raw argon2id at the default v4 parameters (m = 19 MiB, t = 2, p = 1): the ceiling on password
// grants per second. items_per_second is the aggregate rate; Threads(2) shows whether memory
// bandwidth lets a second core add its share. A fixed iteration count keeps the case short.
void BM_Argon2idVerify(benchmark::State& state) {
  static const domain::PasswordHasher hasher(domain::Argon2Params{});
  static const std::string stored = hasher.hash("bench password").value();
  for (auto _ : state) {
    if (!hasher.verify(stored, "bench password")) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Argon2idVerify)
    ->Iterations(16)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// --- RS256 (v4 access tokens). A payload shaped like the seed's v4 claims (~330 bytes).
const std::string& v4_payload() {
  static const std::string payload =
      R"({"ver":1,"jti":"AT.PMtLSSaFSL2auiEDmgOrn0fvSkCejRpZPzBMLh-1KQo","iss":"https://127.0.0.1:8443",)"
      R"("aud":"https://127.0.0.1:8443","iat":1700000000,"exp":1700003600,"cid":"connect-auth",)"
      R"("uid":"42","scp":["offline_access"],"sub":"ops@acme.test"})";
  return payload;
}

const std::shared_ptr<const tokens::Rs256Key>& bench_rsa_key() {
  static const auto key = tokens::Rs256Key::generate().value();
  return key;
}

// Rs256Key::sign: base64url, SHA-256, RSA-2048 private operation with a pooled context.
// Threads(2): the pool and OpenSSL's RSA blinding under two signing threads.
void BM_Rs256Sign(benchmark::State& state) {
  const auto& key = bench_rsa_key();
  for (auto _ : state) benchmark::DoNotOptimize(key->sign(v4_payload()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Rs256Sign)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

// verify_jws on a ring holding the key: decode, kid lookup, RSA public operation.
void BM_Rs256Verify(benchmark::State& state) {
  static const tokens::KeyRing ring = [] {
    tokens::KeyRing r;
    r.add(bench_rsa_key(), true);
    return r;
  }();
  const std::string token = bench_rsa_key()->sign(v4_payload());
  for (auto _ : state) {
    auto verified = tokens::verify_jws(token, ring, tokens::JwsAlgorithm::kRs256);
    if (!verified) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Rs256Verify)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Baselines: OpenSSL's one-shot EVP_DigestSign/Verify with a fresh context per call (what a
// straightforward implementation does), over the same signing input.
EVP_PKEY* bench_rsa_pkey() {
  static EVP_PKEY* const pkey = [] {
    std::vector<std::uint8_t> der = bench_rsa_key()->pkcs8_der();
    const unsigned char* p = der.data();
    EVP_PKEY* parsed = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
    OPENSSL_cleanse(der.data(), der.size());
    return parsed;
  }();
  return pkey;
}

void BM_OpenSslDigestSignPerCallRs256(benchmark::State& state) {
  const std::string token = bench_rsa_key()->sign(v4_payload());
  const std::string input = token.substr(0, token.rfind('.'));
  unsigned char signature[512];
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t size = sizeof signature;
    EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, bench_rsa_pkey(), nullptr);
    EVP_DigestSign(ctx, signature, &size, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
    benchmark::DoNotOptimize(signature);
  }
}
BENCHMARK(BM_OpenSslDigestSignPerCallRs256)->Unit(benchmark::kMicrosecond);

void BM_OpenSslDigestVerifyPerCallRs256(benchmark::State& state) {
  const std::string token = bench_rsa_key()->sign(v4_payload());
  const std::size_t dot = token.rfind('.');
  const std::string input = token.substr(0, dot);
  const std::string signature = *decode_base64url(std::string_view(token).substr(dot + 1));
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, bench_rsa_pkey(), nullptr);
    const int ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
        reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("verify failed");
  }
}
BENCHMARK(BM_OpenSslDigestVerifyPerCallRs256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace connect_auth

BENCHMARK_MAIN();
