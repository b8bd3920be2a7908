// Thin entry point: everything is wired in cli/ and app/.
#include "cli/cli.h"

int main(int argc, char** argv) { return connect_auth::cli::run(argc, argv); }
