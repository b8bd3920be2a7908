// The storage interface: one interface per aggregate, bundled into Store for wiring. Every
// engine (storage/sqlite/, storage/postgres/) implements all of them and passes the one
// conformance suite in tests/storage/store_conformance.h. SQL never leaves a backend, and the
// rules of what a mutation writes live once, in storage/mutations.h: a backend only executes
// statements. Which engine runs is chosen by the composition root (app/open_store.h).
//
// Error contract: a missing row is kStorageNotFound, a uniqueness clash kStorageConflict, an
// engine fault (locked, disconnected, I/O, a serialisation failure) kStorageUnavailable. A write
// that refers to a row that does not exist (grant_role or create_api_key naming an unknown user
// or account) is kStorageNotFound, not a conflict. Listing for an unknown user id is an empty
// list. Text keys compare as exact bytes. Descriptions are safe to show a client: never SQL, a
// file path or a database URL.
//
// Time convention: every time parameter names its unit: `_ms` is unix milliseconds (refresh
// tokens, login failures: they need sub-second steps), `_unix_s` unix seconds (everything
// compared with a JWT's iat/exp). Record fields say their unit in a comment.
//
// Implementations are safe to call from several threads at once, and several Store handles
// (processes, nodes) may share one database.
#pragma once

#include "storage/access_token_revocation_store.h"
#include "storage/account_store.h"
#include "storage/api_key_store.h"
#include "storage/change_feed.h"
#include "storage/login_failure_store.h"
#include "storage/refresh_token_store.h"
#include "storage/signing_key_store.h"
#include "storage/user_store.h"

namespace connect_auth::storage {

class Store : public AccountStore,
              public UserStore,
              public ApiKeyStore,
              public SigningKeyStore,
              public RefreshTokenStore,
              public AccessTokenRevocationStore,
              public LoginFailureStore,
              public ChangeFeed {
 public:
  ~Store() override = default;
};

}  // namespace connect_auth::storage
