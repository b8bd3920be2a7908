#include "storage/postgres/pg_result.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace connect_auth::storage::postgres {
namespace {

// Fixed OIDs from the server's pg_type.dat (see pg_params.cpp).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kBpcharOid = 1042;
constexpr Oid kVarcharOid = 1043;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const noexcept { return result_ == nullptr ? 0 : PQntuples(result_); }

int PgResult::columns() const noexcept { return result_ == nullptr ? 0 : PQnfields(result_); }

std::int64_t PgResult::affected_rows() const noexcept {
  if (result_ == nullptr) return 0;
  const char* tuples = PQcmdTuples(result_);  // "" for commands that touch no rows
  std::int64_t n = 0;
  const char* end = tuples + std::strlen(tuples);
  if (std::from_chars(tuples, end, n).ptr != end) return 0;
  return n;
}

std::string_view PgResult::command_tag() const noexcept {
  return result_ == nullptr ? std::string_view() : std::string_view(PQcmdStatus(result_));
}

int PgResult::column(std::string_view name) const {
  // PQfnumber folds unquoted names to lower case; quoting keeps the lookup exact.
  const std::string quoted = "\"" + std::string(name) + "\"";
  const int index = result_ == nullptr ? -1 : PQfnumber(result_, quoted.c_str());
  if (index < 0) throw MalformedRow("no such column in the result");
  return index;
}

void PgResult::check_cell(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw MalformedRow("row or column out of range");
  }
  if (PQgetisnull(result_, row, column) != 0) throw MalformedRow("unexpected NULL");
}

unsigned int PgResult::type_of(int column) const { return PQftype(result_, column); }

std::string_view PgResult::raw(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

bool PgResult::is_null(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw MalformedRow("row or column out of range");
  }
  return PQgetisnull(result_, row, column) != 0;
}

std::int64_t PgResult::get_int64(int row, int column) const {
  check_cell(row, column);
  const Oid type = type_of(column);
  if (type != kInt8Oid && type != kInt4Oid && type != kInt2Oid) {
    throw MalformedRow("expected an integer column");
  }
  const std::string_view text = raw(row, column);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw MalformedRow("integer column holds no integer");
  }
  return value;
}

std::optional<std::int64_t> PgResult::get_optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return get_int64(row, column);
}

std::string PgResult::get_text(int row, int column) const {
  check_cell(row, column);
  const Oid type = type_of(column);
  if (type != kTextOid && type != kVarcharOid && type != kBpcharOid && type != kNameOid) {
    throw MalformedRow("expected a text column");
  }
  return std::string(raw(row, column));
}

bool PgResult::get_bool(int row, int column) const {
  check_cell(row, column);
  if (type_of(column) != kBoolOid) throw MalformedRow("expected a boolean column");
  const std::string_view text = raw(row, column);
  if (text == "t") return true;
  if (text == "f") return false;
  throw MalformedRow("boolean column holds no boolean");
}

std::string PgResult::get_key(int row, int column) const {
  const std::vector<std::uint8_t> bytes = get_bytes(row, column);
  return {bytes.begin(), bytes.end()};
}

std::vector<std::uint8_t> PgResult::get_bytes(int row, int column) const {
  check_cell(row, column);
  if (type_of(column) != kByteaOid) throw MalformedRow("expected a bytea column");
  // Text-format bytea is "\x" + hex (bytea_output = hex, which every connection sets, so a
  // server configured for the old escape format cannot change what we read).
  const std::string_view text = raw(row, column);
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
    throw MalformedRow("bytea column is not in hex format");
  }
  std::vector<std::uint8_t> out;
  out.reserve((text.size() - 2) / 2);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    const int hi = hex_digit(text[i]);
    const int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) throw MalformedRow("bytea column is not in hex format");
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

}  // namespace connect_auth::storage::postgres
