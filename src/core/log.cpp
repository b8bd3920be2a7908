#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "core/json_text.h"

namespace connect_auth::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto made = std::make_shared<spdlog::logger>("connect-auth", sink);
    // The message body is a pre-rendered run of JSON members; the pattern wraps it.
    made->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
    made->set_level(spdlog::level::info);
    made->flush_on(spdlog::level::trace);
    return made;
  }();
  return *instance;
}

}  // namespace

bool parse_level(std::string_view text, Level& out) {
  if (text == "debug")
    out = Level::kDebug;
  else if (text == "info")
    out = Level::kInfo;
  else if (text == "warn")
    out = Level::kWarn;
  else if (text == "error")
    out = Level::kError;
  else if (text == "off")
    out = Level::kOff;
  else
    return false;
  return true;
}

void set_level(Level level) { logger().set_level(to_spdlog(level)); }

bool enabled(Level level) { return logger().should_log(to_spdlog(level)); }

void event(Level level, std::string_view name, std::initializer_list<Field> fields) {
  spdlog::logger& out = logger();
  if (!out.should_log(to_spdlog(level))) return;
  std::string line;
  line.reserve(128);
  line.append("\"event\":");
  append_json_string(line, name);
  for (const Field& field : fields) {
    line.push_back(',');
    append_json_string(line, field.key);
    line.push_back(':');
    if (const auto* text = std::get_if<std::string_view>(&field.value)) {
      append_json_string(line, *text);
    } else if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
      line.append(std::to_string(*number));
    } else {
      line.append(std::get<bool>(field.value) ? "true" : "false");
    }
  }
  out.log(to_spdlog(level), spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace connect_auth::log
