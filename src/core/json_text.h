// Appending JSON string literals. Used for responses and log lines, where a full JSON library
// would allocate a DOM per call on the hot path; escaping is the only part that needs care.
#pragma once

#include <string>
#include <string_view>

namespace connect_auth {

// Appends `text` as a quoted JSON string (RFC 8259 §7). Control bytes, quotes, backslashes and
// DEL are escaped, so CR/LF and ANSI escapes from user input cannot forge log lines. Bytes that
// are not valid UTF-8 are replaced with U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

std::string json_string(std::string_view text);

}  // namespace connect_auth
