// Small, strict readers for the parts of a request that OAuth endpoints look at.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/message.h"

namespace connect_auth::protocol {

// The decoded value of a query parameter that must appear at most once. nullopt when absent;
// kInvalidRequest when repeated or not decodable (RFC 6749 §3.1: parameters MUST NOT repeat).
Result<std::optional<std::string>> single_query_param(std::string_view query,
                                                      std::string_view name);

// The value of a header that must appear at most once (bad-inputs.md §A: duplicates of user,
// Authorization or Host are refused, never first- or last-wins).
Result<std::optional<std::string_view>> single_header(const http::Request& request,
                                                      std::string_view name);

// Splits "Scheme credentials" (RFC 9110 §11.4); the scheme is matched case-insensitively.
// Returns the credentials part if the scheme matches, nullopt otherwise.
std::optional<std::string_view> credentials_for_scheme(std::string_view authorization,
                                                       std::string_view scheme);

}  // namespace connect_auth::protocol
