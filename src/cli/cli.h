// The `connect-auth` command line: `serve` and the admin commands. Parses arguments, builds a
// Config, and calls into app/ and domain/; prints results as text or, with --json, as JSON.
#pragma once

namespace connect_auth::cli {

// Exit codes (documented in the README): 0 ok, 1 failure, 2 invalid input or usage,
// 3 not found, 4 already exists / conflict, 5 store unavailable.
int run(int argc, char** argv);

}  // namespace connect_auth::cli
