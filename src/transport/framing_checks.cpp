#include "transport/framing_checks.h"

namespace connect_auth::transport {

bool has_obs_fold(std::string_view raw) noexcept {
  for (std::size_t pos = raw.find('\n'); pos != std::string_view::npos && pos + 1 < raw.size();
       pos = raw.find('\n', pos + 1)) {
    if (raw[pos + 1] == ' ' || raw[pos + 1] == '\t') return true;
  }
  return false;
}

bool has_bare_lf(std::string_view pending) noexcept {
  // Bounded by the read buffer (header cap + one body read), and memchr-fast: scanning it again
  // on every read costs little even for a client that sends one byte at a time.
  for (std::size_t pos = pending.find('\n'); pos != std::string_view::npos;
       pos = pending.find('\n', pos + 1)) {
    if (pos == 0 || pending[pos - 1] != '\r') return true;
  }
  return false;
}

}  // namespace connect_auth::transport
