// Decoding PostgreSQL rows into the store's records, and the column lists each decoder expects,
// in order. A row the schema should have made impossible throws MalformedRow (pg_result.h).
#pragma once

#include <optional>
#include <vector>

#include "storage/postgres/pg_connection.h"
#include "storage/store.h"

namespace connect_auth::storage::postgres {

inline constexpr const char* kAccountColumns = "guid, company_name, country_code, active";
Account account_from(const PgResult& r, int row);

inline constexpr const char* kUserColumns =
    "id, user_name, password_hash, disabled, sessions_not_before";
User user_from(const PgResult& r, int row);

// user_id, account_guid, role
RoleGrant grant_from(const PgResult& r, int row);

inline constexpr const char* kApiKeyColumns =
    "api_id, user_id, secret_hash, generation, created_at, updated_at, may_introspect";
ApiKey api_key_from(const PgResult& r, int row);  // account_guids left empty

inline constexpr const char* kSigningKeyColumns =
    "kid, algorithm, sealed_material, created_at, active, retired_at, activates_at";
SigningKey signing_key_from(const PgResult& r, int row);

// Column 0 of every row, a key (PgParams::key).
std::vector<std::string> keys_of(const PgResult& r);

// Every key (or one user's), with its accounts, ordered by api_id: two queries, none per key.
std::vector<ApiKey> read_api_keys(PgConnection& conn, std::optional<std::int64_t> user_id);

}  // namespace connect_auth::storage::postgres
