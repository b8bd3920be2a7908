// What each aggregate calls its failures, shared by every backend so that an error reads the
// same whichever engine produced it.
#pragma once

#include <string_view>

namespace connect_auth::storage {

// e.g. {"api key not found", "api key already exists"}; `missing_reference` names what a
// foreign key pointed to.
struct ErrorText {
  std::string_view not_found = "record not found";
  std::string_view conflict = "record already exists";
  std::string_view missing_reference = "referenced record not found";
};

inline constexpr ErrorText kAccountText{"account not found", "account already exists",
                                        "account not found"};
inline constexpr ErrorText kUserText{"user not found", "user name already exists",
                                     "user or account not found"};
inline constexpr ErrorText kApiKeyText{"api key not found", "api key already exists",
                                       "user or account not found"};
inline constexpr ErrorText kSigningKeyText{"signing key not found", "signing key already exists",
                                           "referenced record not found"};
inline constexpr ErrorText kRefreshText{"refresh token not found", "refresh token already exists",
                                        "user not found"};
inline constexpr ErrorText kFailureText{"failure count not found", "failure count already exists",
                                        "referenced record not found"};
inline constexpr ErrorText kChangeText{"change feed position has been pruned",
                                       "change already exists", "referenced record not found"};
inline constexpr ErrorText kRevokedText{"revoked token not found", "revoked token already exists",
                                        "referenced record not found"};

}  // namespace connect_auth::storage
