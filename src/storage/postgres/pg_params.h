// The parameters of one statement, bound by position ($1, $2, …). Values always travel apart
// from the SQL text (PQexecParams / PQexecPrepared), so no value is ever spliced into SQL.
//
// Text, integers and booleans go in libpq's text format; bytes go in binary format, so a
// 32-byte hash is sent as its 32 bytes (zero bytes included) with no escaping either way.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace connect_auth::storage::postgres {

class PgParams {
 public:
  PgParams() = default;
  PgParams(const PgParams&) = delete;  // the pointer arrays point into this object
  PgParams& operator=(const PgParams&) = delete;
  PgParams(PgParams&&) = delete;
  PgParams& operator=(PgParams&&) = delete;

  // A text value, sent with its length (never cut at a NUL). The server refuses a NUL byte or
  // invalid UTF-8 as a data exception; keys that may hold such bytes go through key().
  PgParams& text(std::string_view value);
  // A text key (user name, api id, guid, kid, jti, feed ref) as the exact bytes of a BYTEA
  // column: PostgreSQL text cannot hold a NUL byte or invalid UTF-8, and the store's contract
  // is that keys compare, order and round-trip as exact bytes, as on SQLite.
  PgParams& key(std::string_view value);
  PgParams& int64(std::int64_t value);                   // int8
  PgParams& boolean(bool value);                         // bool
  PgParams& bytes(std::span<const std::uint8_t> value);  // bytea, binary format
  PgParams& null();                                      // SQL NULL, type left to the server

  int size() const noexcept { return static_cast<int>(values_.size()); }
  // A value over libpq's 2 GiB limit was added (as NULL); executing these parameters then
  // fails with kInternal instead of sending a truncated value.
  bool too_large() const noexcept { return too_large_; }
  // Views in the shape libpq takes; valid while this object lives and is not appended to.
  const unsigned int* types() const noexcept { return types_.data(); }
  const char* const* values() const noexcept { return values_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  void add(unsigned int type, const char* data, std::size_t length, int format);

  // A deque never moves its elements, so the pointers in values_ stay valid as it grows.
  std::deque<std::string> storage_;
  std::vector<unsigned int> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  bool too_large_ = false;
};

}  // namespace connect_auth::storage::postgres
