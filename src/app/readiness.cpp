#include "app/readiness.h"

#include <algorithm>

#include "tokens/jws_key.h"

namespace connect_auth::app {

std::chrono::milliseconds store_staleness_limit(std::chrono::milliseconds poll_interval) {
  return std::max(std::chrono::milliseconds(2'000), 4 * poll_interval);
}

bool is_ready(const ReadinessInputs& inputs) {
  return inputs.serving && inputs.signing_keys_loaded &&
         inputs.since_store_success <= store_staleness_limit(inputs.poll_interval);
}

bool Readiness::check() const {
  ReadinessInputs inputs;
  inputs.serving = serving();
  if (!inputs.serving) return false;  // draining: no need to look further
  const auto& ring = cache_.view().signing_keys;
  inputs.signing_keys_loaded = ring != nullptr &&
                               ring->signing_key(tokens::JwsAlgorithm::kHs256) != nullptr &&
                               ring->signing_key(tokens::JwsAlgorithm::kRs256) != nullptr;
  inputs.since_store_success = std::chrono::steady_clock::now() - cache_.last_success();
  inputs.poll_interval = poll_interval_;
  return is_ready(inputs);
}

}  // namespace connect_auth::app
