#include "storage/sqlite/row_codec.h"

#include <cstring>

#include "storage/record_names.h"

namespace connect_auth::storage::sqlite {

void bind_text(SQLite::Statement& st, int index, std::string_view value) {
  st.bind(index, std::string(value));  // bound with its length: embedded NULs are kept
}

void bind_bool(SQLite::Statement& st, int index, bool value) {
  st.bind(index, static_cast<std::int32_t>(value ? 1 : 0));
}

void bind_blob(SQLite::Statement& st, int index, const std::uint8_t* data, std::size_t size) {
  // A null pointer would bind SQL NULL, not an empty blob.
  static constexpr std::uint8_t kEmpty = 0;
  st.bind(index, size == 0 ? &kEmpty : data, static_cast<int>(size));
}

std::string text_at(const SQLite::Statement& st, int index) {
  return st.getColumn(index).getString();
}

std::string_view text_view_at(const SQLite::Statement& st, int index) {
  const SQLite::Column column = st.getColumn(index);
  const char* text = column.getText();
  return {text, static_cast<std::size_t>(column.getBytes())};
}

std::int64_t int_at(const SQLite::Statement& st, int index) {
  return st.getColumn(index).getInt64();
}

bool bool_at(const SQLite::Statement& st, int index) { return int_at(st, index) != 0; }

std::vector<std::uint8_t> blob_at(const SQLite::Statement& st, int index) {
  const SQLite::Column column = st.getColumn(index);
  const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
  return {data, data + column.getBytes()};
}

tokens::SecretHash hash_at(const SQLite::Statement& st, int index) {
  const SQLite::Column column = st.getColumn(index);
  const void* data = column.getBlob();
  tokens::SecretHash hash{};
  if (column.getBytes() != static_cast<int>(hash.size())) throw MalformedRow{};
  std::memcpy(hash.data(), data, hash.size());
  return hash;
}

std::vector<std::string> texts_of(SQLite::Statement& st) {
  std::vector<std::string> out;
  while (st.executeStep()) out.push_back(text_at(st, 0));
  return out;
}

std::string sql(std::string_view head, const char* columns, std::string_view tail) {
  std::string out(head);
  out += columns;
  out += tail;
  return out;
}

Account account_from(const SQLite::Statement& st) {
  return Account{text_at(st, 0), text_at(st, 1), text_at(st, 2), bool_at(st, 3)};
}

User user_from(const SQLite::Statement& st) {
  return User{int_at(st, 0), text_at(st, 1), text_at(st, 2), bool_at(st, 3), int_at(st, 4)};
}

RoleGrant grant_from(const SQLite::Statement& st) {
  const auto role = role_from_name(text_view_at(st, 2));
  if (!role) throw MalformedRow{};
  return RoleGrant{int_at(st, 0), text_at(st, 1), *role};
}

ApiKey api_key_from(const SQLite::Statement& st) {
  ApiKey key;
  key.api_id = text_at(st, 0);
  key.user_id = int_at(st, 1);
  key.secret_hash = hash_at(st, 2);
  key.generation = int_at(st, 3);
  key.created_at = int_at(st, 4);
  key.updated_at = int_at(st, 5);
  key.may_introspect = bool_at(st, 6);
  return key;
}

SigningKey signing_key_from(const SQLite::Statement& st) {
  SigningKey key;
  key.kid = text_at(st, 0);
  key.algorithm = text_at(st, 1);
  key.sealed_material = blob_at(st, 2);
  key.created_at = int_at(st, 3);
  key.active = bool_at(st, 4);
  if (!st.isColumnNull(5)) key.retired_at = int_at(st, 5);
  key.activates_at = int_at(st, 6);
  return key;
}

namespace {

// Fills each key's account_guids from `rows` (api_id, account_guid), which must be ordered by
// api_id like `keys`, then by account_guid: one pass, no query per key.
void attach_accounts(std::vector<ApiKey>& keys, SQLite::Statement& rows) {
  std::size_t i = 0;
  while (rows.executeStep()) {
    const std::string_view api_id = text_view_at(rows, 0);
    // Same collation on both sides, so equal ids line up; a row whose key is missing from
    // `keys` cannot exist (foreign key), so running off the end means corruption.
    while (i < keys.size() && keys[i].api_id != api_id) ++i;
    if (i == keys.size()) throw MalformedRow{};
    keys[i].account_guids.push_back(text_at(rows, 1));
  }
}

}  // namespace

std::vector<ApiKey> read_api_keys(SQLite::Database& db, std::optional<std::int64_t> user_id) {
  std::vector<ApiKey> keys;
  SQLite::Statement key_rows(db, sql("SELECT ", kApiKeyColumns,
                                     user_id ? " FROM api_keys WHERE user_id = ?1 ORDER BY api_id"
                                             : " FROM api_keys ORDER BY api_id"));
  if (user_id) key_rows.bind(1, *user_id);
  while (key_rows.executeStep()) keys.push_back(api_key_from(key_rows));

  SQLite::Statement account_rows(
      db, user_id ? "SELECT a.api_id, a.account_guid FROM api_key_accounts a "
                    "JOIN api_keys k ON k.api_id = a.api_id WHERE k.user_id = ?1 "
                    "ORDER BY a.api_id, a.account_guid"
                  : "SELECT api_id, account_guid FROM api_key_accounts "
                    "ORDER BY api_id, account_guid");
  if (user_id) account_rows.bind(1, *user_id);
  attach_accounts(keys, account_rows);
  return keys;
}

}  // namespace connect_auth::storage::sqlite
