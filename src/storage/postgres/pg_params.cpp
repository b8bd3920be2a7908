#include "storage/postgres/pg_params.h"

#include <limits>

namespace connect_auth::storage::postgres {
namespace {

// Fixed OIDs from the server's pg_type.dat; stable across versions (libpq does not export
// them, and including the server's catalog headers would be a heavier dependency).
constexpr unsigned int kUnknownOid = 0;
constexpr unsigned int kBoolOid = 16;
constexpr unsigned int kByteaOid = 17;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kTextOid = 25;

constexpr int kTextFormat = 0;
constexpr int kBinaryFormat = 1;

}  // namespace

void PgParams::add(unsigned int type, const char* data, std::size_t length, int format) {
  // libpq lengths are int; nothing the store sends comes near 2 GiB, so this guards a bug.
  if (length > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    too_large_ = true;
    null();
    return;
  }
  storage_.emplace_back(data, length);
  types_.push_back(type);
  values_.push_back(storage_.back().data());
  lengths_.push_back(static_cast<int>(length));
  formats_.push_back(format);
}

PgParams& PgParams::text(std::string_view value) {
  // Binary format, with its length: libpq reads a text-format value up to its first NUL, which
  // would turn "name\0x" into "name". The server checks the bytes are UTF-8 without NUL.
  add(kTextOid, value.data(), value.size(), kBinaryFormat);
  return *this;
}

PgParams& PgParams::key(std::string_view value) {
  add(kByteaOid, value.data(), value.size(), kBinaryFormat);
  return *this;
}

PgParams& PgParams::int64(std::int64_t value) {
  const std::string s = std::to_string(value);
  add(kInt8Oid, s.data(), s.size(), kTextFormat);
  return *this;
}

PgParams& PgParams::boolean(bool value) {
  add(kBoolOid, value ? "t" : "f", 1, kTextFormat);
  return *this;
}

PgParams& PgParams::bytes(std::span<const std::uint8_t> value) {
  add(kByteaOid, reinterpret_cast<const char*>(value.data()), value.size(), kBinaryFormat);
  return *this;
}

PgParams& PgParams::null() {
  storage_.emplace_back();
  types_.push_back(kUnknownOid);
  values_.push_back(nullptr);  // libpq's NULL
  lengths_.push_back(0);
  formats_.push_back(kTextFormat);
  return *this;
}

}  // namespace connect_auth::storage::postgres
