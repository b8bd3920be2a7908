// A thin libcurl wrapper: one blocking request at a time per easy handle, handles pooled so that
// connections (and TLS sessions) are reused across calls and threads.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "connect_auth/client/client.h"

namespace connect_auth::client::detail {

struct HttpRequest {
  std::string_view method;  // "GET", "POST", …
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; wiped after the call (may hold a secret)
  std::string_view body;
  bool has_body = false;
};

class HttpTransport {
 public:
  explicit HttpTransport(const Options& options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // One attempt, no retries. kNetwork / kTimeout when there is no answer; any status is a value.
  Result<HttpResponse> perform(HttpRequest& request);

 private:
  void* acquire();  // a CURL*, from the pool or new
  void release(void* handle);

  std::chrono::milliseconds timeout_;
  bool verify_tls_;
  std::string ca_file_;
  std::string user_agent_;
  std::mutex mutex_;
  std::vector<void*> idle_;  // CURL* handles not in use; each keeps its own connection cache
};

}  // namespace connect_auth::client::detail
