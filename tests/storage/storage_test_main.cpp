// GoogleTest main with one extra mode: `storage_tests --child-writer <db> <tag> <count>` makes
// the binary a second writer process on a shared database file. Spawning a fresh image (rather
// than fork alone) matters: SQLite state inherited across fork() is unsafe to use.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "storage/sqlite/sqlite_store.h"

// The backend under test, by the name these tests have always used.
namespace connect_auth::storage {
using sqlite::SqliteStore;
}  // namespace connect_auth::storage

namespace {

int child_writer(const char* db, const std::string& tag, int count) {
  using namespace connect_auth;
  using namespace connect_auth::storage;
  auto store = SqliteStore::open(db);
  if (!store) {
    std::cerr << "child open: " << store.error().description << "\n";
    return store.error().code == ErrorCode::kStorageUnavailable ? 2 : 1;
  }
  int rc = 0;
  auto note = [&rc](const Error& e) {
    std::cerr << "child: " << e.description << "\n";
    rc = std::max(rc, e.code == ErrorCode::kStorageUnavailable ? 2 : 1);
  };
  for (int i = 0; i < count; ++i) {
    const std::string n = tag + "-" + std::to_string(i);
    const std::string guid = "acct-" + n;
    if (auto r = (*store)->create_account(Account{guid, "Child", "US", true}); !r) note(r.error());
    auto user = (*store)->create_user("user-" + n, "h");
    if (!user) {
      note(user.error());
      continue;
    }
    if (auto r = (*store)->grant_role(*user, guid, Role::kReporting); !r) note(r.error());
    ApiKey key;
    key.api_id = "K" + n;
    key.user_id = *user;
    key.account_guids = {guid};
    if (auto r = (*store)->create_api_key(key); !r) note(r.error());
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 5 && std::strcmp(argv[1], "--child-writer") == 0) {
      return child_writer(argv[2], argv[3], std::atoi(argv[4]));
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
  } catch (const std::exception& e) {
    std::cerr << "uncaught exception: " << e.what() << "\n";
    return 1;
  }
}
