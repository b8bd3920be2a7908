// An immutable, consistent picture of everything the token and resource paths need: API keys,
// accounts, users' roles and the signing keys. Built by AuthCache from the store; read lock-free.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/records.h"
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

struct KeyEntry {
  storage::SecretHash secret_hash{};
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
  // Access tokens revoked by jti (RFC 7009) → their exp. Refused by every bearer check until
  // then; entries past exp are dropped as the cache goes (they would fail on exp anyway).
  StringMap<std::int64_t> revoked_jtis;

  const KeyEntry* find_key(std::string_view api_id) const {
    auto it = keys.find(api_id);
    return it == keys.end() ? nullptr : it->second.get();
  }
  const UserEntry* find_user(std::int64_t user_id) const {
    auto it = users.find(user_id);
    return it == users.end() ? nullptr : it->second.get();
  }
  bool is_revoked(std::string_view jti) const {
    return !revoked_jtis.empty() && revoked_jtis.find(jti) != revoked_jtis.end();
  }
  const AccountEntry* find_account(std::string_view guid) const {
    auto it = accounts.find(guid);
    return it == accounts.end() ? nullptr : it->second.get();
  }
};

}  // namespace connect_auth::domain
