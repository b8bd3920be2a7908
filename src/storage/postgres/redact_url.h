// A PostgreSQL connection URL with its secrets replaced by "***", for every place a URL could
// be printed (logs, `config check`, error reports). Error descriptions never carry a URL at
// all; this is for the messages that must say which database they mean.
#pragma once

#include <string>
#include <string_view>

namespace connect_auth::storage::postgres {

// Replaces with "***":
// - the password of the URI userinfo, "postgresql://user:PASSWORD@host/db";
// - the value of every query parameter whose (percent-decoded, case-folded) name ends in
//   "password" ("password=", "sslpassword="), as libpq reads both from the query;
// - in a keyword/value conninfo string ("host=h password='x y'"), the same keywords' values.
// Errs towards hiding too much: when it cannot tell where the userinfo ends (an unencoded '@'
// or '/' in a password) it hides everything up to the last candidate '@', host included.
std::string redact_url(std::string_view url);

}  // namespace connect_auth::storage::postgres
