// Where a token request's CPU goes, piece by piece, without sockets.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "core/base64.h"
#include "core/clock.h"
#include "core/random.h"
#include "domain/client_credential.h"
#include "domain/resource_access.h"
#include "domain/v3_grant.h"
#include "tokens/hmac_sha256.h"

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
  const std::string token = f.codec.mint(*f.view.signing_keys->signing_key(), f.api_id, 1,
                                         f.clock.now_seconds(), f.random);
  for (auto _ : state) {
    auto principal = domain::authenticate_bearer(token, f.view, f.codec, f.clock.now_seconds());
    if (!principal) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(principal);
  }
}
BENCHMARK(BM_AuthenticateBearer);

}  // namespace
}  // namespace connect_auth

BENCHMARK_MAIN();
