#include "http/router.h"

#include <algorithm>

#include "http/error_response.h"

namespace connect_auth::http {

void Router::add(Method method, std::string path, Handler handler) {
  Route& route = routes_[std::move(path)];
  route.handlers.emplace_back(method, std::move(handler));
  if (!route.allow.empty()) route.allow.append(", ");
  route.allow.append(method_name(method));
}

namespace {
Response route_not_found() {
  return error_response(make_error(ErrorCode::kNotFound, "no such endpoint"));
}

}  // namespace

Response Router::route(const Request& request) const {
  // Message framing (one Host, RFC 9112 §3.2; CL/TE rules) is the transport's job: a request
  // that reaches the router has already passed it.
  auto it = routes_.find(request.path);
  if (it == routes_.end()) return route_not_found();
  const Route& route = it->second;
  for (const auto& [method, handler] : route.handlers) {
    if (method == request.method) return handler(request);
  }
  return error_response(
      make_error(ErrorCode::kMethodNotAllowed,
                 "method " + std::string(method_name(request.method)) + " is not allowed here"),
      route.allow);
}

std::vector<RouteEntry> Router::routes() const {
  std::vector<RouteEntry> entries;
  for (const auto& [path, route] : routes_) {
    for (const auto& [method, handler] : route.handlers) entries.push_back({method, path});
  }
  // The map's order is unspecified; a stable order makes listings and diffs reproducible.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const RouteEntry& a, const RouteEntry& b) { return a.path < b.path; });
  return entries;
}

}  // namespace connect_auth::http
