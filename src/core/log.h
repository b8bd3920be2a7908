// Structured logging: one JSON object per line on stderr, through spdlog.
// Field values are JSON-escaped, so CR/LF, quotes and ANSI escapes in user input cannot forge or
// corrupt a line. Callers must never pass a secret, token or password as a field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace connect_auth::log {

enum class Level : std::uint8_t { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error", "off".
bool parse_level(std::string_view text, Level& out);

void set_level(Level level);
bool enabled(Level level);

struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, bool> value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

void event(Level level, std::string_view name, std::initializer_list<Field> fields = {});

inline void info(std::string_view name, std::initializer_list<Field> fields = {}) {
  event(Level::kInfo, name, fields);
}
inline void warn(std::string_view name, std::initializer_list<Field> fields = {}) {
  event(Level::kWarn, name, fields);
}
inline void error(std::string_view name, std::initializer_list<Field> fields = {}) {
  event(Level::kError, name, fields);
}

}  // namespace connect_auth::log
