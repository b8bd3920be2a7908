#include "http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "internal.h"

namespace connect_auth::client::detail {
namespace {

// Idle handles kept for reuse; more concurrent callers than this get a fresh handle (and
// connection) that is closed afterwards.
constexpr std::size_t kPoolSize = 8;
// An answer larger than this is not something this API sends; stop reading.
constexpr std::size_t kMaxBody = 16u << 20;

std::once_flag curl_init_once;

struct Collected {
  HttpResponse response;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* c = static_cast<Collected*>(user);
  const std::size_t n = size * count;
  if (c->response.body.size() + n > kMaxBody) {
    c->too_large = true;
    return 0;  // aborts the transfer
  }
  c->response.body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* c = static_cast<Collected*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    c->response.headers.clear();  // a new response (after a 100 Continue): start over
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  c->response.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

// curl keeps its own copies of the header lines (one may be the `user` credential): overwrite
// them before they are freed.
struct SlistDeleter {
  void operator()(curl_slist* list) const {
    for (curl_slist* node = list; node != nullptr; node = node->next) {
      volatile char* p = node->data;
      for (; *p != '\0'; ++p) *p = 'x';
    }
    curl_slist_free_all(list);
  }
};

// The words of curl_easy_strerror: they name what failed, never a URL, header or body.
Error no_answer(CURLcode code) {
  Error e;
  e.kind = code == CURLE_OPERATION_TIMEDOUT ? Error::Kind::kTimeout : Error::Kind::kNetwork;
  e.description = curl_easy_strerror(code);
  return e;
}

}  // namespace

HttpTransport::HttpTransport(const Options& options)
    : timeout_(options.timeout),
      verify_tls_(options.verify_tls),
      ca_file_(options.ca_file),
      user_agent_(options.user_agent) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpTransport::~HttpTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpTransport::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpTransport::release(void* handle) {
  // Forget every option (and so every pointer to this call's headers and body); live
  // connections, DNS and TLS session caches stay.
  curl_easy_reset(static_cast<CURL*>(handle));
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kPoolSize) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

Result<HttpResponse> HttpTransport::perform(HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(acquire());
  if (curl == nullptr) {
    Error e;
    e.description = "cannot create a libcurl handle";
    return e;
  }
  struct Release {
    HttpTransport* self;
    CURL* curl;
    ~Release() { self->release(curl); }
  } release{this, curl};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& h : request.headers) {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (next == nullptr) {
      Error e;
      e.description = "out of memory";
      return e;
    }
    (void)headers.release();
    headers.reset(next);
  }
  // A body of any size goes in one request; no 100-continue round trip.
  if (request.has_body) {
    curl_slist* next = curl_slist_append(headers.get(), "Expect:");
    if (next != nullptr) {
      (void)headers.release();
      headers.reset(next);
    }
  }

  Collected collected;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // never carry credentials elsewhere
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);        // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, verify_tls_ ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify_tls_ ? 2L : 0L);
  if (!ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
  if (!user_agent_.empty()) curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collected);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &collected);

  const std::string method(request.method);
  if (method == "GET" && !request.has_body) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (request.has_body || method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
    }
  }

  const CURLcode code = curl_easy_perform(curl);
  for (auto& h : request.headers) wipe(h);
  if (collected.too_large) {
    Error e;
    e.kind = Error::Kind::kProtocol;
    e.description = "the answer is larger than 16 MiB";
    return e;
  }
  if (code != CURLE_OK) return no_answer(code);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  collected.response.status = static_cast<int>(status);
  return std::move(collected.response);
}

}  // namespace connect_auth::client::detail
