#include "core/log.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace connect_auth::log {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(LogTest, ParsesKnownLevelsOnly) {
  Level level = Level::kInfo;
  EXPECT_TRUE(parse_level("debug", level));
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_TRUE(parse_level("warn", level));
  EXPECT_EQ(level, Level::kWarn);
  EXPECT_TRUE(parse_level("error", level));
  EXPECT_EQ(level, Level::kError);
  EXPECT_TRUE(parse_level("off", level));
  EXPECT_EQ(level, Level::kOff);
  EXPECT_TRUE(parse_level("info", level));
  EXPECT_EQ(level, Level::kInfo);
  for (const char* bad : {"", "INFO", "warning", "trace", "info "}) {
    Level untouched = Level::kWarn;
    EXPECT_FALSE(parse_level(bad, untouched)) << bad;
    EXPECT_EQ(untouched, Level::kWarn);
  }
}

TEST(LogTest, HostileFieldsStayInsideOneJsonLine) {
  // bad-inputs.md §G: CR/LF, quotes and ANSI escapes in user-controlled values are escaped, so a
  // line can neither be split nor gain members.
  set_level(Level::kInfo);
  const std::string user = "mallory\r\n{\"level\":\"error\",\"event\":\"forged\"}\x1b[2J";
  testing::internal::CaptureStderr();
  warn("login_failed", {{"user", user}, {"attempt", 3}, {"locked", false}});
  const std::string captured = testing::internal::GetCapturedStderr();

  const auto lines = lines_of(captured);
  ASSERT_EQ(lines.size(), 1u) << captured;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(lines[0], ec);
  ASSERT_FALSE(ec) << lines[0];
  const auto& object = value.as_object();
  EXPECT_EQ(object.at("event").as_string(), "login_failed");
  EXPECT_EQ(object.at("level").as_string(), "warning");
  EXPECT_EQ(object.at("user").as_string(), user);
  EXPECT_EQ(object.at("attempt").as_int64(), 3);
  EXPECT_EQ(object.at("locked").as_bool(), false);
  EXPECT_EQ(lines[0].find('\x1b'), std::string::npos);
}

TEST(LogTest, LevelFiltersEvents) {
  set_level(Level::kWarn);
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  testing::internal::CaptureStderr();
  info("not_shown");
  const std::string captured = testing::internal::GetCapturedStderr();
  EXPECT_EQ(captured, "");
  set_level(Level::kInfo);
}

}  // namespace
}  // namespace connect_auth::log
