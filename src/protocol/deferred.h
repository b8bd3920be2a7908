// Running a handler's slow part (argon2, a durable commit, an RS256 signature) off the event
// loop: the job runs on a bounded executor and its response goes back through the request's
// Deferral.
#pragma once

#include <utility>

#include "core/bounded_executor.h"
#include "core/error.h"
#include "http/error_response.h"
#include "http/message.h"

namespace connect_auth::protocol {

// `job` is a callable returning http::Response that owns everything it needs (the Request's
// views die when the handler returns). It runs inline when there is no executor or no Deferral
// (unit tests). A full executor answers 503 + Retry-After at once, never queueing.
template <class Job>
http::Response run_deferred(BoundedExecutor* executor, const http::Request& request, Job job) {
  if (request.deferral == nullptr || executor == nullptr) return job();
  http::Responder responder = request.deferral->defer();
  const bool submitted =
      executor->try_submit([job = std::move(job), responder = std::move(responder)]() mutable {
        http::Response response;
        try {
          response = job();
        } catch (...) {
          response = http::error_response(make_error(ErrorCode::kInternal, "the request failed"));
        }
        responder.send(std::move(response));
      });
  if (!submitted) {
    // Answered now: the transport drops whatever the discarded task's Responder sends, because
    // this handler answered after all.
    Error busy = make_error(ErrorCode::kServiceBusy, "the server is busy, retry shortly");
    busy.retry_after_seconds = 1;
    return http::error_response(busy);
  }
  return http::Response::deferred_marker();
}

}  // namespace connect_auth::protocol
