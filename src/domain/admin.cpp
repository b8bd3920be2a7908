#include "domain/admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "domain/client_credential.h"

namespace connect_auth::domain {
namespace {

Error invalid(std::string description) {
  return make_error(ErrorCode::kInvalidRequest, std::move(description));
}

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool is_valid_country_code(std::string_view code) {
  return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

// No control characters (they would corrupt logs and listings); UTF-8 is not checked.
bool is_printable_text(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// RFC 9562 version 4 UUID, lower case.
std::string new_account_guid(Random& random) {
  std::array<std::uint8_t, 16> b{};
  random.fill(b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

}  // namespace

std::optional<storage::Role> parse_role(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "ADMINISTRATOR") return storage::Role::kAdministrator;
  if (upper == "MANAGER") return storage::Role::kManager;
  if (upper == "REPORTING") return storage::Role::kReporting;
  return std::nullopt;
}

std::string_view role_name(storage::Role role) {
  switch (role) {
    case storage::Role::kAdministrator: return "ADMINISTRATOR";
    case storage::Role::kManager: return "MANAGER";
    case storage::Role::kReporting: return "REPORTING";
  }
  return "REPORTING";
}

AdminService::AdminService(storage::Store& store, const tokens::SecretHasher& hasher,
                           const PasswordHasher& passwords, Random& random, const Clock& clock)
    : store_(store), hasher_(hasher), passwords_(passwords), random_(random), clock_(clock) {}

AdminService::AdminService(storage::Store& store, const tokens::SecretHasher& hasher,
                           Random& random, const Clock& clock)
    : store_(store),
      hasher_(hasher),
      owned_passwords_(std::make_unique<const PasswordHasher>(Argon2Params{})),
      passwords_(*owned_passwords_),
      random_(random),
      clock_(clock) {}

std::string AdminService::new_api_id() {
  // 25 symbols of [A-Z0-9], uniform: bytes ≥ 252 are redrawn (252 = 7 × 36).
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id;
  id.reserve(kApiIdLength);
  std::array<std::uint8_t, 32> pool{};
  while (id.size() < kApiIdLength) {
    random_.fill(pool);
    for (std::uint8_t b : pool) {
      if (b >= 252) continue;
      id.push_back(kAlphabet[b % 36]);
      if (id.size() == kApiIdLength) break;
    }
  }
  return id;
}

std::string AdminService::new_api_secret() { return random_base64url(random_, 32); }  // 256 bits

Result<std::string> AdminService::create_account(std::string_view company_name,
                                                 std::string_view country) {
  if (company_name.empty() || company_name.size() > kMaxCompanyNameBytes ||
      !is_printable_text(company_name)) {
    return invalid("company name must be 1-200 printable characters");
  }
  std::string code(country);
  std::transform(code.begin(), code.end(), code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!is_valid_country_code(code)) {
    return invalid("country must be an ISO 3166-1 alpha-2 code such as US");
  }
  storage::Account account{new_account_guid(random_), std::string(company_name), code, true};
  auto created = store_.create_account(account);
  if (!created) return std::move(created).error();
  changed();
  return account.guid;
}

Result<void> AdminService::set_account_active(std::string_view guid, bool active) {
  if (!is_guid(guid)) return make_error(ErrorCode::kStorageNotFound, "account not found");
  auto done = store_.set_account_active(guid, active);
  if (done) changed();
  return done;
}

Result<std::vector<storage::Account>> AdminService::list_accounts() {
  return store_.list_accounts();
}

Result<std::int64_t> AdminService::create_user(std::string_view user_name,
                                               std::string_view password) {
  if (user_name.empty() || user_name.size() > kMaxUserNameBytes || !is_printable_text(user_name)) {
    return invalid("user name must be 1-254 printable characters");
  }
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return invalid("password must be 8-1024 bytes long");
  }
  auto hash = passwords_.hash(password);
  if (!hash) return std::move(hash).error();
  auto id = store_.create_user(user_name, *hash);
  if (id) changed();
  return id;
}

Result<void> AdminService::set_user_password(std::string_view user_name,
                                             std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return invalid("password must be 8-1024 bytes long");
  }
  auto user = store_.find_user_by_name(user_name);
  if (!user) return std::move(user).error();
  auto hash = passwords_.hash(password);
  if (!hash) return std::move(hash).error();
  // The store also ends the user's sessions: refresh families revoked, older access tokens
  // refused (sessions_not_before).
  auto done = store_.set_user_password(user->id, *hash);
  if (done) changed();
  return done;
}

Result<void> AdminService::set_user_disabled(std::string_view user_name, bool disabled) {
  auto user = store_.find_user_by_name(user_name);
  if (!user) return std::move(user).error();
  auto done = store_.set_user_disabled(user->id, disabled);
  if (done) changed();
  return done;
}

Result<void> AdminService::grant_role(std::string_view user_name, std::string_view account_guid,
                                      storage::Role role) {
  auto user = store_.find_user_by_name(user_name);
  if (!user) return std::move(user).error();
  if (!is_guid(account_guid)) return make_error(ErrorCode::kStorageNotFound, "account not found");
  auto account = store_.find_account(account_guid);
  if (!account) return std::move(account).error();
  auto done = store_.grant_role(user->id, account_guid, role);
  if (done) changed();
  return done;
}

Result<std::vector<storage::User>> AdminService::list_users() { return store_.list_users(); }

Result<NewApiKey> AdminService::create_api_key(std::string_view user_name,
                                               const std::vector<std::string>& account_guids,
                                               bool may_introspect) {
  if (account_guids.empty()) return invalid("a key needs at least one account");
  auto user = store_.find_user_by_name(user_name);
  if (!user) return std::move(user).error();
  if (user->disabled) return invalid("user is disabled");
  auto roles = store_.list_roles(user->id);
  if (!roles) return std::move(roles).error();
  std::vector<std::string> guids = account_guids;
  std::sort(guids.begin(), guids.end());
  guids.erase(std::unique(guids.begin(), guids.end()), guids.end());
  for (const std::string& guid : guids) {
    bool reachable = std::any_of(roles->begin(), roles->end(), [&](const storage::RoleGrant& g) {
      return g.account_guid == guid;
    });
    if (!reachable) {
      return invalid("user holds no role on account " + (is_guid(guid) ? guid : "(invalid id)"));
    }
  }
  NewApiKey created{new_api_id(), new_api_secret()};
  storage::ApiKey key;
  key.api_id = created.api_id;
  key.user_id = user->id;
  key.secret_hash = hasher_.hash(created.api_secret);
  key.generation = 1;
  key.account_guids = std::move(guids);
  key.created_at = key.updated_at = clock_.now_seconds();
  key.may_introspect = may_introspect;
  auto stored = store_.create_api_key(key);
  if (!stored) return std::move(stored).error();
  changed();
  return created;
}

Result<std::string> AdminService::regenerate_api_key(std::string_view api_id) {
  if (!is_well_formed_api_id(api_id)) {
    return make_error(ErrorCode::kStorageNotFound, "api key not found");
  }
  std::string secret = new_api_secret();
  auto generation = store_.regenerate_api_key(api_id, hasher_.hash(secret), clock_.now_seconds());
  if (!generation) return std::move(generation).error();
  changed();
  return secret;
}

Result<void> AdminService::delete_api_key(std::string_view api_id) {
  if (!is_well_formed_api_id(api_id)) {
    return make_error(ErrorCode::kStorageNotFound, "api key not found");
  }
  auto done = store_.delete_api_key(api_id);
  if (done) changed();
  return done;
}

Result<void> AdminService::set_api_key_introspection(std::string_view api_id, bool allowed) {
  if (!is_well_formed_api_id(api_id)) {
    return make_error(ErrorCode::kStorageNotFound, "api key not found");
  }
  auto done = store_.set_api_key_introspection(api_id, allowed);
  if (done) changed();
  return done;
}

Result<std::vector<storage::ApiKey>> AdminService::list_api_keys(
    std::optional<std::string_view> user_name) {
  std::optional<std::int64_t> user_id;
  if (user_name) {
    auto user = store_.find_user_by_name(*user_name);
    if (!user) return std::move(user).error();
    user_id = user->id;
  }
  return store_.list_api_keys(user_id);
}

}  // namespace connect_auth::domain
