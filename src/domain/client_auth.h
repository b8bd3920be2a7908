// Client authentication for the standard OAuth endpoints (RFC 6749 §2.3): who is calling
// /oauth2/token, /oauth2/revoke and /oauth2/introspect.
//
// Two kinds of client exist. Confidential clients are API keys (client_id = API ID,
// client_secret = API secret), authenticated with HTTP Basic or with form fields. The
// first-party client (id = tokens.v4.client_id) is public (RFC 6749 §2.1): it has no secret and
// is the client of every user grant, as in the v4 dialect where no client authenticates at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/auth_view.h"
#include "domain/client_credential.h"
#include "tokens/secret_hasher.h"

namespace connect_auth::domain {

// What a request presented: a client_id and maybe a secret, from one method only (the protocol
// layer refuses two methods at once). Wipes the secret when destroyed.
struct PresentedClient {
  std::optional<std::string> client_id;  // nullopt: the request named no client at all
  std::optional<std::string> client_secret;

  PresentedClient() = default;
  PresentedClient(PresentedClient&&) noexcept = default;
  PresentedClient& operator=(PresentedClient&&) noexcept = default;
  PresentedClient(const PresentedClient&) = delete;
  PresentedClient& operator=(const PresentedClient&) = delete;
  ~PresentedClient();
};

struct AuthenticatedClient {
  enum class Kind : std::uint8_t { kApiKey, kFirstParty };
  Kind kind = Kind::kFirstParty;
  bool anonymous = false;  // kFirstParty because the request named no client at all
  std::string client_id;
  const KeyEntry* key = nullptr;  // kApiKey; valid as long as the AuthView it came from
};

// The API key named by `credential` if its secret matches and its owner is enabled. Unknown id,
// wrong secret, deleted key and a disabled owner are one kInvalidClient error after the same
// work (one keyed hash, one constant-time compare), so neither answer nor timing tells them
// apart (wire-contract §2).
Result<const KeyEntry*> authenticate_api_key(const ClientCredential& credential,
                                             const AuthView& view,
                                             const tokens::SecretHasher& hasher);

// No client named, or the first-party id without a secret: the first-party client. The
// first-party id with a secret, or any other id without one or with a wrong one: kInvalidClient.
Result<AuthenticatedClient> authenticate_client(const PresentedClient& presented,
                                                const AuthView& view,
                                                const tokens::SecretHasher& hasher,
                                                std::string_view first_party_client_id);

}  // namespace connect_auth::domain
