// GET /openapi.json: the OpenAPI 3.1 description of every public endpoint. The document is
// api/openapi.json, compiled into the binary at build time (src/protocol/CMakeLists.txt), so what
// a build serves is the document it was tested against; the check below keeps it equal to the
// router.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "http/router.h"

namespace connect_auth::protocol {

// api/openapi.json as compiled in (defined in the generated openapi_document.cpp).
std::string_view openapi_document() noexcept;

// GET (and HEAD) /openapi.json: 200, application/json, cacheable for five minutes: the document
// changes only with the binary.
http::Response handle_openapi(const http::Request& request);

// Compares the routes of `router` with the operations of an OpenAPI document: one readable line
// per route the document does not describe, then one per documented operation the router does
// not serve, each group sorted by path and method; empty when the two agree. Paths are compared
// exactly, as the router matches them. A document that is not JSON or has no "paths" object
// yields one line that says so.
std::vector<std::string> openapi_route_mismatches(const http::Router& router,
                                                  std::string_view openapi_json);

}  // namespace connect_auth::protocol
