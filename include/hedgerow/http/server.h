#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hedgerow/common/config.h"
#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/http/router.h"

namespace hedgerow::http {

struct ServerOptions {
  std::string name = "api";  // label in logs and metrics: one process runs several servers
  HostPort listen{"127.0.0.1", 8000};
  size_t io_threads = 2;
  size_t max_header_bytes = 16 * 1024;           // larger header block -> 431
  size_t max_body_bytes = 20 * 1024 * 1024;      // as sent, and again after gzip -> 413
  std::chrono::milliseconds read_timeout{30000};  // to receive a request's header, then its body
  // Connections served at once. Beyond it a new connection is answered 503 with Retry-After
  // and closed, without reading its request (and past twice as many, closed unanswered),
  // so that memory and file descriptors stay bounded however many clients connect.
  size_t max_connections = 1024;
};

// An HTTP/1.1 server on `io_threads` Asio threads, each with its own io_context and a share
// of the connections (a connection stays on one thread): keep-alive, pipelining (requests on
// one connection are answered in order), connection/header/body limits, deadlines that drop
// slow clients, gzip request bodies, and CORS for browser SDKs (the Origin is echoed and
// OPTIONS preflights are answered for every path). A handler that answers before it returns
// has its answer written at once; one that answers later (from any thread) is watched for
// the client going away meanwhile (Request::disconnected).
//
// Lifecycle: construct -> Start() -> ... -> Stop(). Start and Stop are called from one
// thread; handlers run on the I/O threads. `metrics` must outlive the server.
class Server {
 public:
  Server(ServerOptions options, Router router, MetricsRegistry* metrics);
  ~Server();  // Stop()s if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. kUnavailable naming the address when it cannot bind
  // (in use, not local, no permission).
  Status Start();
  // The bound port (useful with port 0). Valid after Start().
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets in-flight requests finish and be answered
  // (with Connection: close) for up to `drain`, then closes whatever is left and joins the
  // I/O threads. Idempotent.
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

  class Impl;  // defined in src/http/server_impl.h; opaque to users

 private:
  std::shared_ptr<Impl> impl_;  // shared with connections; see server_impl.h
};

}  // namespace hedgerow::http
