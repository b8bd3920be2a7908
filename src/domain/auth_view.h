// An immutable, consistent picture of everything the token and resource paths need: API keys,
// accounts, users' roles and the signing keys. Built by AuthCache from the store; read lock-free.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/store.h"
#include "tokens/jwt.h"

namespace connect_auth::domain {

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, TransparentHash, std::equal_to<>>;

// Access tokens revoked by jti (RFC 7009) → the unix second after which they fail on their own.
// Sharded behind shared_ptrs: a new view shares every shard it does not change, so one more
// revocation copies about 1/64 of the set, not all of it (a key holder can mint and revoke many
// tokens of their own, and every revocation publishes a new view).
class RevokedTokens {
 public:
  bool contains(std::string_view jti) const {
    if (count_ == 0) return false;
    const auto& shard = shards_[shard_of(jti)];
    return shard && shard->find(jti) != shard->end();
  }
  void insert(std::string jti, std::int64_t until) {
    auto& shard = shards_[shard_of(jti)];
    auto copy = shard ? std::make_shared<StringMap<std::int64_t>>(*shard)
                      : std::make_shared<StringMap<std::int64_t>>();
    if (copy->insert_or_assign(std::move(jti), until).second) ++count_;
    shard = std::move(copy);
  }
  // Forgets entries that ended before `now`; copies only the shards that held one.
  void drop_expired(std::int64_t now) {
    for (auto& shard : shards_) {
      if (!shard) continue;
      const bool any = std::any_of(shard->begin(), shard->end(),
                                   [now](const auto& entry) { return entry.second < now; });
      if (!any) continue;
      auto copy = std::make_shared<StringMap<std::int64_t>>(*shard);
      count_ -= std::erase_if(*copy, [now](const auto& entry) { return entry.second < now; });
      shard = std::move(copy);
    }
  }
  std::size_t size() const { return count_; }

 private:
  static constexpr std::size_t kShards = 64;
  static std::size_t shard_of(std::string_view jti) {
    return std::hash<std::string_view>{}(jti) % kShards;
  }
  std::array<std::shared_ptr<const StringMap<std::int64_t>>, kShards> shards_{};
  std::size_t count_ = 0;
};

struct KeyEntry {
  tokens::SecretHash secret_hash{};
  std::int64_t generation = 0;
  std::int64_t user_id = 0;
  bool may_introspect = false;  // RFC 7662 permission
  std::vector<std::string> account_guids;
};

struct AccountEntry {
  std::string company_name;
  std::string country_code;
  bool active = true;
};

struct UserEntry {
  std::string user_name;
  bool disabled = false;
  // v4 access tokens issued (iat) before this unix second are refused: the store moves it on
  // every disable and password change, so those end every session at once.
  std::int64_t sessions_not_before = 0;
  std::unordered_set<std::string> account_guids;  // accounts where the user holds a role
};

struct AuthView {
  std::int64_t change_seq = 0;
  // Values behind shared_ptr so publishing a changed view copies pointers, not entries.
  StringMap<std::shared_ptr<const KeyEntry>> keys;
  StringMap<std::shared_ptr<const AccountEntry>> accounts;
  std::unordered_map<std::int64_t, std::shared_ptr<const UserEntry>> users;
  std::shared_ptr<const tokens::KeyRing> signing_keys;
  // Refused by every bearer check until they would have expired anyway.
  RevokedTokens revoked_tokens;

  const KeyEntry* find_key(std::string_view api_id) const {
    auto it = keys.find(api_id);
    return it == keys.end() ? nullptr : it->second.get();
  }
  const UserEntry* find_user(std::int64_t user_id) const {
    auto it = users.find(user_id);
    return it == users.end() ? nullptr : it->second.get();
  }
  bool is_revoked(std::string_view jti) const { return revoked_tokens.contains(jti); }
  const AccountEntry* find_account(std::string_view guid) const {
    auto it = accounts.find(guid);
    return it == accounts.end() ? nullptr : it->second.get();
  }
};

}  // namespace connect_auth::domain
