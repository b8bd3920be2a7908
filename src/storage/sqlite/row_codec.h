// Binding values to SQLite statements and decoding rows into the store's records. Values are
// always bound, never spliced into SQL text (bad-inputs.md §G). A row the schema should have
// made impossible throws MalformedRow.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace connect_auth::storage::sqlite {

// Thrown while decoding a row the schema should have made impossible (a bad enum text, a hash
// of the wrong length); turned into kInternal before it can leave the store.
struct MalformedRow {};

// --- binding
void bind_text(SQLite::Statement& st, int index, std::string_view value);
void bind_bool(SQLite::Statement& st, int index, bool value);
void bind_blob(SQLite::Statement& st, int index, const std::uint8_t* data, std::size_t size);
template <class Bytes>
void bind_bytes(SQLite::Statement& st, int index, const Bytes& bytes) {
  bind_blob(st, index, bytes.data(), bytes.size());
}

// --- decoding
std::string text_at(const SQLite::Statement& st, int index);
std::string_view text_view_at(const SQLite::Statement& st, int index);
std::int64_t int_at(const SQLite::Statement& st, int index);
bool bool_at(const SQLite::Statement& st, int index);
std::vector<std::uint8_t> blob_at(const SQLite::Statement& st, int index);
tokens::SecretHash hash_at(const SQLite::Statement& st, int index);
std::vector<std::string> texts_of(SQLite::Statement& st);  // column 0 of every remaining row

// "head" + columns + "tail".
std::string sql(std::string_view head, const char* columns, std::string_view tail);

// --- records: the column list each decoder expects, in order.
inline constexpr const char* kAccountColumns = "guid, company_name, country_code, active";
Account account_from(const SQLite::Statement& st);

inline constexpr const char* kUserColumns =
    "id, user_name, password_hash, disabled, sessions_not_before";
User user_from(const SQLite::Statement& st);

// user_id, account_guid, role
RoleGrant grant_from(const SQLite::Statement& st);

inline constexpr const char* kApiKeyColumns =
    "api_id, user_id, secret_hash, generation, created_at, updated_at, may_introspect";
ApiKey api_key_from(const SQLite::Statement& st);  // account_guids left empty

inline constexpr const char* kSigningKeyColumns =
    "kid, algorithm, sealed_material, created_at, active, retired_at, activates_at";
SigningKey signing_key_from(const SQLite::Statement& st);

// Every key (or one user's), with its accounts, ordered by api_id: two queries, none per key.
std::vector<ApiKey> read_api_keys(SQLite::Database& db, std::optional<std::int64_t> user_id);

}  // namespace connect_auth::storage::sqlite
