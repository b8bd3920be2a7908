// The `connect-auth` command line: `serve` and the admin commands. Parses arguments, builds a
// Config, and calls into app/ and domain/; prints results as text or, with --json, as JSON.
#pragma once

namespace connect_auth::cli {

// Exit codes: see cli/command.h and the README.
int run(int argc, char** argv);

}  // namespace connect_auth::cli
