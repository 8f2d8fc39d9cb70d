#include "hedgerow/http/server.h"

#include <fmt/format.h>

#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"
#include "server_impl.h"

namespace hedgerow::http {

Server::Impl::Impl(ServerOptions options, Router router, MetricsRegistry* metrics)
    : options_(std::move(options)),
      router_(std::move(router)),
      metrics_(metrics),
      open_connections_(metrics->GetGauge("hedgerow_http_open_connections",
                                          "Open HTTP connections", {{"server", options_.name}})),
      refused_connections_(metrics->GetCounter("hedgerow_http_connections_refused_total",
                                               "Connections refused for being over max_connections",
                                               {{"server", options_.name}})),
      contexts_([n = std::max<size_t>(1, options_.io_threads)] {
        std::vector<std::unique_ptr<net::io_context>> contexts;
        for (size_t i = 0; i < n; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
        return contexts;
      }()),
      acceptor_(contexts_[0]->get_executor()) {}

Status Server::Impl::Start() {
  const HostPort& listen = options_.listen;
  beast::error_code ec;
  tcp::resolver resolver(*contexts_[0]);
  auto endpoints = resolver.resolve(listen.host, std::to_string(listen.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  auto fail = [&](std::string_view what) {
    return Status::Unavailable(fmt::format("http: cannot listen on {} ({}): {}", listen.ToString(),
                                           what, ec.message()));
  };
  if (ec || endpoints.empty()) return fail("resolve");
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set_option");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  port_ = acceptor_.local_endpoint(ec).port();

  for (auto& context : contexts_) work_.push_back(net::make_work_guard(*context));
  DoAccept();
  const size_t n = contexts_.size();
  for (auto& context : contexts_) {
    threads_.emplace_back([c = context.get(), name = "http-" + options_.name] {
      NameCurrentThread(name);
      c->run();
    });
  }
  running_ = true;
  LogInfo("http", "listening",
          {{"server", options_.name}, {"addr", HostPort{listen.host, port_}.ToString()},
           {"io_threads", static_cast<uint64_t>(n)}});
  return Status::Ok();
}

void Server::Impl::DoAccept() {
  net::io_context& context = *contexts_[next_context_++ % contexts_.size()];
  acceptor_.async_accept(context,
                         beast::bind_front_handler(&Impl::OnAccept, shared_from_this()));
}

void Server::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: keep accepting; the pressure may pass.
    LogWarn("http", "accept failed", {{"server", options_.name}, {"error", ec.message()}});
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    const size_t limit = options_.max_connections;
    // Over the limit, a connection is still accepted, to be told 503 (clients retry on it)
    // rather than left waiting in the backlog; past as many again, it is closed at once.
    const bool refused = serving_ >= limit;
    if (refused && refusing_ >= limit) {
      lock.unlock();
      refused_connections_.Inc();
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      ++(refused ? refusing_ : serving_);
      // Answers go out in one write, and no small write may wait for a delayed ACK.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto connection = std::make_shared<Connection>(std::move(socket), shared_from_this(), refused);
      connections_.emplace(connection.get(), connection);
      lock.unlock();
      if (refused) refused_connections_.Inc();
      open_connections_.Add(1);
      connection->Start();
    }
  }
  DoAccept();
}

void Server::Impl::Unregister(Connection* connection, bool refused) {
  open_connections_.Add(-1);
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(connection);
  --(refused ? refusing_ : serving_);
  connections_changed_.notify_all();
}

bool Server::Impl::PostReply(const std::function<void()>& post) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!taking_replies_) return false;
  post();
  return true;
}

std::vector<std::shared_ptr<Connection>> Server::Impl::LiveConnections() {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [ptr, weak] : connections_) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

void Server::Impl::RecordRequest(RequestSeries& series, const std::string& route, const std::string& method,
                                 int status, double seconds) {
  if (series.requests == nullptr || series.status != status || series.route != route || series.method != method) {
    // A registry lookup takes its lock and builds the labels: once per change of series.
    series.route = route;
    series.method = method;
    series.status = status;
    series.requests = &metrics_->GetCounter("hedgerow_http_requests_total", "HTTP requests answered",
                                            {{"server", options_.name}, {"route", route}, {"method", method},
                                             {"status", std::to_string(status)}});
    series.duration = &metrics_->GetHistogram("hedgerow_http_request_duration_seconds",
                                              "Time from a request's last byte to its response being written",
                                              {{"server", options_.name}, {"route", route}});
  }
  series.requests->Inc();
  series.duration->Observe(seconds);
}

void Server::Impl::Stop(std::chrono::milliseconds drain) {
  if (!running_) return;
  running_ = false;
  draining_ = true;
  auto self = shared_from_this();
  net::post(acceptor_.get_executor(), [self] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
  for (auto& c : LiveConnections()) c->Shutdown();
  {
    std::unique_lock<std::mutex> lock(mu_);
    connections_changed_.wait_for(lock, drain, [this] { return connections_.empty(); });
    taking_replies_ = false;
  }
  std::vector<std::shared_ptr<Connection>> left = LiveConnections();
  if (!left.empty()) {
    LogWarn("http", "drain deadline passed; closing connections",
            {{"server", options_.name}, {"connections", static_cast<uint64_t>(left.size())}});
  }
  for (auto& c : left) c->ForceClose();
  left.clear();
  // With the acceptor and every socket closed, run() returns once the last completion
  // handler has run.
  work_.clear();
  for (auto& t : threads_) t.join();
  threads_.clear();
  LogInfo("http", "stopped", {{"server", options_.name}});
}

Server::Server(ServerOptions options, Router router, MetricsRegistry* metrics)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(router), metrics)) {}

Server::~Server() { Stop(); }

Status Server::Start() { return impl_->Start(); }

uint16_t Server::port() const { return impl_->port(); }

void Server::Stop(std::chrono::milliseconds drain) { impl_->Stop(drain); }

}  // namespace hedgerow::http
