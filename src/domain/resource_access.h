// Bearer-token authentication for data endpoints (wire-contract §4) and what the caller may see.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/auth_view.h"
#include "domain/v3_tokens.h"

namespace connect_auth::domain {

struct Principal {
  std::string api_id;
  const KeyEntry* key = nullptr;  // valid as long as the AuthView it came from
};

// Verifies the token and that it is still backed by a live key of the same generation whose
// owner is enabled. Every failure is kInvalidToken.
Result<Principal> authenticate_bearer(std::string_view token, const AuthView& view,
                                      const V3TokenCodec& codec, std::int64_t now);

struct VisibleAccount {
  std::string_view guid;
  const AccountEntry* account;
};

// The active accounts granted to the key on which its owner still holds a role, in guid order.
std::vector<VisibleAccount> visible_accounts(const Principal& principal, const AuthView& view);

}  // namespace connect_auth::domain
