// The composition root's shared pieces: what both `serve` and the admin commands open from a
// Config (data directory, master key, store). Nothing here is global.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/result.h"
#include "storage/store.h"
#include "tokens/master_key.h"

namespace connect_auth::app {

struct OpenedStore {
  std::unique_ptr<tokens::MasterKey> master_key;
  std::unique_ptr<storage::Store> store;
};

// Creates the data directory (0700) if needed, loads (or on first use creates) the master key
// and opens the store, running migrations.
Result<OpenedStore> open_data(const config::Config& config);

// Runs the server until SIGTERM/SIGINT. Returns the process exit code.
int serve(const config::Config& config);

}  // namespace connect_auth::app
