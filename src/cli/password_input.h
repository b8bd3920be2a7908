#pragma once

#include <string>

#include "core/result.h"

namespace connect_auth::cli {

// Reads a password: from a terminal, prompted twice with echo off; otherwise the first line of
// standard input. Never from argv, where other users could read it in the process list.
Result<std::string> read_password();
// The same for logging in: prompted once (nothing to confirm).
Result<std::string> read_login_password();

}  // namespace connect_auth::cli
