// Checks on the raw bytes of a request that Beast 1.81 does not make itself. Plain functions on
// byte ranges, without Beast, so they are testable on their own (tests/transport).
#pragma once

#include <string_view>

namespace connect_auth::transport {

// RFC 9112 §5.2: obs-fold (a line break followed by SP or HTAB) is not allowed in requests;
// Beast silently joins folded lines. `raw` is a piece of the header section that Beast consumed:
// it consumes one complete field at a time, so a fold never straddles two pieces.
bool has_obs_fold(std::string_view raw) noexcept;

// RFC 9112 §2.2: a line ends with CRLF; a bare LF is refused here rather than tolerated.
// Beast only ever looks for CRLF (a header section ends at CRLF CRLF, a chunk-size line at
// CRLF), so a line ended by a bare LF leaves it waiting for more bytes until the read timeout.
//
// `pending` is what Beast left unparsed when it asked for more: the unfinished part of the
// header section, of a chunk-size line or of the trailer section. Beast consumes whole lines, so
// `pending` starts at a line boundary and holds no message body. A LF at its start, or after
// anything but CR, is bare. A CR at its very end may still be followed by LF: not an error yet.
bool has_bare_lf(std::string_view pending) noexcept;

}  // namespace connect_auth::transport
