// Accounts: the companies whose data the API serves (wire-contract §1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace connect_auth::storage {

struct Account {
  std::string guid;  // UUID, lowercase, 36 chars
  std::string company_name;
  std::string country_code;  // ISO 3166-1 alpha-2, upper case
  bool active = true;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // kAccount change (ref = guid).
  virtual Result<void> create_account(const Account& account) = 0;
  virtual Result<Account> find_account(std::string_view guid) = 0;
  // Ordered by guid.
  virtual Result<std::vector<Account>> list_accounts() = 0;
  // kAccount change.
  virtual Result<void> set_account_active(std::string_view guid, bool active) = 0;
};

}  // namespace connect_auth::storage
