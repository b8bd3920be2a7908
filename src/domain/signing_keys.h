// Start-up provisioning of signing keys: makes sure the store holds an active HS256 key,
// generating one (256 random bits, sealed with the master key) the first time.
#pragma once

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "storage/store.h"
#include "tokens/master_key.h"

namespace connect_auth::domain {

Result<void> ensure_hs256_signing_key(storage::Store& store, const tokens::MasterKey& master_key,
                                      Random& random, const Clock& clock);

}  // namespace connect_auth::domain
