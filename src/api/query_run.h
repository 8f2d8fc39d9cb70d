#pragma once

// What both query surfaces do around a query: its limits and where it runs.

#include <chrono>
#include <functional>

#include "hedgerow/api/query_api.h"
#include "hedgerow/http/request.h"
#include "hedgerow/http/response.h"
#include "hedgerow/http/router.h"
#include "hedgerow/query/executor.h"

namespace hedgerow::api {

// The context of a query of `team_id` asked by `request`: the server's deadline and memory
// limit, stopped when the client disconnects or the pool stops. The caller keeps `request`
// (its disconnected flag) alive while the query runs.
inline query::QueryContext LimitedContext(const QueryApiOptions& options, const http::Request& request, int64_t team_id) {
  query::QueryContext context{.store = options.store, .remote = options.remote, .team_id = team_id};
  context.deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                            std::chrono::duration<double>(options.max_execution_seconds));
  context.max_execution_seconds = options.max_execution_seconds;
  context.max_memory_bytes = options.max_memory_bytes;
  context.cancelled = request.disconnected.get();
  context.stopping = options.pool != nullptr ? options.pool->stopping() : nullptr;
  return context;
}

// Answers with `work()` run on the query pool (inline without one); `busy` when the pool's
// queue is full.
inline void RunQuery(const QueryApiOptions& options, http::Reply reply, std::function<http::Response()> work,
                     http::Response busy) {
  if (options.pool == nullptr) return reply(work());
  auto shared_reply = std::make_shared<http::Reply>(std::move(reply));
  bool queued = options.pool->Submit([shared_reply, work = std::move(work)] { (*shared_reply)(work()); });
  if (!queued) (*shared_reply)(std::move(busy));
}

}  // namespace hedgerow::api
