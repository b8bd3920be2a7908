// Creating the SQLite database file and its directories privately: the database holds secret
// hashes, sealed signing keys and refresh-token hashes.
#pragma once

#include <filesystem>

#include "core/result.h"

namespace connect_auth::storage::sqlite {

// mkdir -p with mode 0700 for the directories we create.
Result<void> make_parent_directories(const std::filesystem::path& file);

// Creates the file with mode 0600 before SQLite sees it: SQLite would create it 0644 (less the
// umask), and it gives the -wal and -shm files the database file's mode, so all three stay
// private. An existing file keeps its mode: the operator may have chosen a shared group.
Result<void> create_private_file(const std::filesystem::path& file);

}  // namespace connect_auth::storage::sqlite
