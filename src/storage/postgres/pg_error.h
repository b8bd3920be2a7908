// Turns PostgreSQL failures into the store's error contract (store.h). The server's message
// is never copied: it can quote SQL, values, or (at connect time) host and user names.
//
// SQLSTATE classes are the stable interface here (PostgreSQL manual, appendix A "Error
// Codes"); message texts are translated and change between versions.
#pragma once

#include <string_view>

#include "core/error.h"
#include "storage/error_texts.h"
#include "storage/postgres/redact_url.h"  // redact_url(): every printed URL goes through it

namespace connect_auth::storage::postgres {

// One failed command as libpq reported it.
struct PgFault {
  std::string_view sqlstate;     // five characters; empty when the server sent none
  bool connection_lost = false;  // PQstatus() was no longer CONNECTION_OK afterwards
};

// 23505 unique_violation → kStorageConflict; 23503 foreign_key_violation → kStorageNotFound;
// other integrity violations (CHECK, NOT NULL: the store built a bad row) → kInternal;
// 40001 serialization_failure, 40P01 deadlock_detected, class 08 (connection), 57P0x (server
// shutting down), 55P03 lock_not_available (lock_timeout), 57014 (statement_timeout), class 53
// (out of resources), 25006 (read-only: a standby after failover), class 58 and XX (I/O,
// corruption), class 28 (authentication) and a lost connection → kStorageUnavailable;
// anything else (bad SQL, a wrong type: a bug) → kInternal.
Error error_from_fault(const PgFault& fault, const ErrorText& text = {});

// True when the connection that reported `fault` must not be reused: it is gone, or the server
// is ending it, or it may now be talking to a server that cannot write. The pool discards such
// a connection and dials a new one on a later acquire.
bool fault_breaks_connection(const PgFault& fault) noexcept;

// 40001 and 40P01: the transaction lost a race and running it again may well succeed.
bool fault_is_retryable(const PgFault& fault) noexcept;

}  // namespace connect_auth::storage::postgres
