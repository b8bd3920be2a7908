// Exact-path routing with per-method handlers. Unknown path → 404; known path, other method →
// 405 with Allow. Routes are registered at start-up and never change while serving, so lookups
// take no lock.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/message.h"

namespace connect_auth::http {

using Handler = std::function<Response(const Request&)>;

// One registered (method, path) pair, as Router::routes() lists it.
struct RouteEntry {
  Method method;
  std::string path;
  bool operator==(const RouteEntry&) const = default;
};

class Router {
 public:
  // Registers `handler` for `method` on `path`. HEAD is opt-in: register it (usually with the
  // GET handler; the transport drops the body) where it is harmless. Never on the token
  // endpoint, where a HEAD would mint and sign a token only to throw it away.
  void add(Method method, std::string path, Handler handler);

  Response route(const Request& request) const;

  // Every registered (method, path), sorted by path, then in registration order: what the
  // server answers, for checks such as the OpenAPI document's coverage of it.
  std::vector<RouteEntry> routes() const;

 private:
  struct Route {
    std::vector<std::pair<Method, Handler>> handlers;
    std::string allow;  // "GET, POST" for 405
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, Route, Hash, std::equal_to<>> routes_;
};

}  // namespace connect_auth::http
