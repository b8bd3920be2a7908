#include "cli/password_input.h"

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace connect_auth::cli {
namespace {

std::string read_line_without_echo(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios saved{};
  tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  std::fprintf(stderr, "\n");
  return line;
}

}  // namespace

namespace {

Result<std::string> read_first_line() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    return make_error(ErrorCode::kInvalidRequest,
                      "no password on standard input (pipe it in, or run in a terminal)");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::string> read_login_password() {
  if (isatty(STDIN_FILENO)) return read_line_without_echo("Password: ");
  return read_first_line();
}

Result<std::string> read_password() {
  if (isatty(STDIN_FILENO)) {
    std::string first = read_line_without_echo("Password: ");
    std::string second = read_line_without_echo("Repeat password: ");
    const bool same = first == second;
    sodium_memzero(second.data(), second.size());
    if (!same) {
      sodium_memzero(first.data(), first.size());
      return make_error(ErrorCode::kInvalidRequest, "passwords do not match");
    }
    return first;
  }
  return read_first_line();
}

}  // namespace connect_auth::cli
