#include "storage/record_names.h"

#include <array>
#include <utility>

namespace connect_auth::storage {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoles{{
    {Role::kAdministrator, "ADMINISTRATOR"},
    {Role::kManager, "MANAGER"},
    {Role::kReporting, "REPORTING"},
}};

constexpr std::array<std::pair<ChangeKind, std::string_view>, 5> kChangeKinds{{
    {ChangeKind::kApiKey, "api_key"},
    {ChangeKind::kAccount, "account"},
    {ChangeKind::kUser, "user"},
    {ChangeKind::kSigningKey, "signing_key"},
    {ChangeKind::kAccessToken, "access_token"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                         Enum value) noexcept {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return {};
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                             std::string_view name) noexcept {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view role_name(Role role) noexcept { return name_of(kRoles, role); }
std::optional<Role> role_from_name(std::string_view name) noexcept {
  return value_of(kRoles, name);
}

std::string_view change_kind_name(ChangeKind kind) noexcept { return name_of(kChangeKinds, kind); }
std::optional<ChangeKind> change_kind_from_name(std::string_view name) noexcept {
  return value_of(kChangeKinds, name);
}

}  // namespace connect_auth::storage
