// The stored text of the enums in the storage records. Every backend stores these same strings, so
// a database dump reads the same whichever engine wrote it, and the names can never drift from the
// enum order.
#pragma once

#include <optional>
#include <string_view>

#include "storage/change_feed.h"

namespace connect_auth::storage {

// "ADMINISTRATOR", "MANAGER", "REPORTING": the spellings of the wire contract §1.
std::string_view role_name(Role role) noexcept;
std::optional<Role> role_from_name(std::string_view name) noexcept;

// "api_key", "account", "user", "signing_key".
std::string_view change_kind_name(ChangeKind kind) noexcept;
std::optional<ChangeKind> change_kind_from_name(std::string_view name) noexcept;

}  // namespace connect_auth::storage
