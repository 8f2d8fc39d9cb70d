#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/http/request.h"
#include "hedgerow/http/response.h"

namespace hedgerow::http {

// Completes a request. Call exactly once, from any thread, possibly long after the handler
// returned (e.g. when the log's group commit completes). The server drops a second call, and
// answers 500 if every copy of a Reply is destroyed without being called.
using Reply = std::function<void(Response)>;

// Handles one request. Runs on an I/O thread and must not block: work that waits on disk or
// other threads hands `reply` over and returns.
using Handler = std::function<void(Request request, Reply reply)>;

// Maps (method, path) to handlers. Patterns are literal segments and ":name" parameters,
// e.g. "/api/projects/:id/query/". A trailing slash is optional on both sides, as in
// PostHog's capture ("/e" and "/e/" are one route). Build it fully, then hand it to a Server;
// after that it is immutable and safe to share.
class Router {
 public:
  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    std::string pattern;               // the matched pattern, for metrics and logs
    std::map<std::string, std::string> params;
    std::string allowed_methods;       // when the path matched but the method did not: "GET, POST"
  };

  // `methods` is a comma-separated list: "GET,POST".
  void Add(std::string_view methods, std::string_view pattern, Handler handler);
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace hedgerow::http
