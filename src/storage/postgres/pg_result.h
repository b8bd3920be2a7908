// The rows of one successful statement, owned (PQclear on destruction), with typed getters.
//
// Results arrive in libpq's text format and each getter checks the column's type as well as
// its text, so a schema or query mistake surfaces as MalformedRow rather than as a silently
// wrong value. MalformedRow is the one exception of this library: it is thrown only by these
// getters, inside the backend's own transaction code, which turns it into kInternal before
// anything leaves the store (as the SQLite backend does with its own MalformedRow).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_result;  // libpq's PGresult

namespace connect_auth::storage::postgres {

// A row the schema should have made impossible: a NULL where a value was expected, a column of
// another type, a hash of the wrong length. what() names the check, never the data.
class MalformedRow : public std::exception {
 public:
  explicit MalformedRow(const char* what) noexcept : what_(what) {}
  const char* what() const noexcept override { return what_; }

 private:
  const char* what_;
};

class PgResult {
 public:
  explicit PgResult(pg_result* result) noexcept : result_(result) {}
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const noexcept;
  int columns() const noexcept;
  // Rows touched by INSERT/UPDATE/DELETE (also with RETURNING); 0 for other commands.
  std::int64_t affected_rows() const noexcept;
  // The command tag, e.g. "COMMIT" or "ROLLBACK" (the server's answer to COMMIT of a failed
  // transaction), "INSERT 0 1".
  std::string_view command_tag() const noexcept;

  // The index of the named column. Throws MalformedRow if there is none.
  int column(std::string_view name) const;

  // Each getter throws MalformedRow when the cell is out of range or NULL, or of another type.
  bool is_null(int row, int column) const;
  std::int64_t get_int64(int row, int column) const;               // smallint, integer, bigint
  std::string get_text(int row, int column) const;                 // text, varchar, char, name
  bool get_bool(int row, int column) const;                        // boolean
  std::vector<std::uint8_t> get_bytes(int row, int column) const;  // bytea, zero bytes kept
  std::string get_key(int row, int column) const;  // a text key stored as bytea (PgParams::key)

  // A bytea of exactly N bytes (a 32-byte hash); another length throws MalformedRow.
  template <std::size_t N>
  std::array<std::uint8_t, N> get_fixed_bytes(int row, int column) const {
    const std::vector<std::uint8_t> bytes = get_bytes(row, column);
    if (bytes.size() != N) throw MalformedRow("bytea value of the wrong length");
    std::array<std::uint8_t, N> out{};
    std::memcpy(out.data(), bytes.data(), N);
    return out;
  }

  // NULL → nullopt, otherwise as get_int64.
  std::optional<std::int64_t> get_optional_int64(int row, int column) const;

 private:
  void check_cell(int row, int column) const;  // in range and not NULL
  unsigned int type_of(int column) const;
  std::string_view raw(int row, int column) const;

  pg_result* result_;
};

}  // namespace connect_auth::storage::postgres
