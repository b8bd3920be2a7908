// Builds AuthViews by hand for pure domain tests (no store involved).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "domain/auth_view.h"
#include "tokens/jwt.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain::test {

inline std::array<std::uint8_t, 32> bytes_of(std::uint8_t fill) {
  std::array<std::uint8_t, 32> out{};
  out.fill(fill);
  return out;
}

struct ViewBuilder {
  std::shared_ptr<AuthView> view = std::make_shared<AuthView>();

  ViewBuilder& signing_key(const std::string& kid, std::uint8_t fill) {
    auto ring = std::make_shared<tokens::KeyRing>();
    if (view->signing_keys) *ring = *view->signing_keys;
    auto secret = bytes_of(fill);
    ring->add(tokens::Hs256Key::create(kid, secret).value(), true);
    view->signing_keys = ring;
    return *this;
  }
  ViewBuilder& account(const std::string& guid, const std::string& company, bool active = true) {
    auto entry = std::make_shared<AccountEntry>();
    entry->company_name = company;
    entry->country_code = "US";
    entry->active = active;
    view->accounts[guid] = entry;
    return *this;
  }
  ViewBuilder& user(std::int64_t id, std::vector<std::string> guids, bool disabled = false) {
    auto entry = std::make_shared<UserEntry>();
    entry->disabled = disabled;
    entry->account_guids.insert(guids.begin(), guids.end());
    view->users[id] = entry;
    return *this;
  }
  ViewBuilder& key(const std::string& api_id, const std::string& secret,
                   const tokens::SecretHasher& hasher, std::int64_t user_id,
                   std::vector<std::string> guids, std::int64_t generation = 1) {
    auto entry = std::make_shared<KeyEntry>();
    entry->secret_hash = hasher.hash(secret);
    entry->generation = generation;
    entry->user_id = user_id;
    entry->account_guids = std::move(guids);
    view->keys[api_id] = entry;
    return *this;
  }
};

}  // namespace connect_auth::domain::test
