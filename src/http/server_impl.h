#pragma once

// Private to the http module: the Asio/Beast machinery behind http::Server. Only
// server.cc and connection.cc include this, so Beast's templates compile in two
// translation units (plus the precompiled header), not in every user of the server.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "hedgerow/http/server.h"

namespace hedgerow::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

class Connection;

// Owns the io_context, the acceptor and the set of live connections.
// Thread-safe where marked; shared with every Connection so that the io_context outlives
// the last socket even when a handler answers after Stop().
class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
 public:
  Impl(ServerOptions options, Router router, MetricsRegistry* metrics);

  Status Start();
  void Stop(std::chrono::milliseconds drain);
  uint16_t port() const { return port_; }

  // Used by connections; all thread-safe.
  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  bool draining() const { return draining_.load(); }
  uint64_t NextRequestId() { return next_request_id_.fetch_add(1) + 1; }
  // `refused`: the connection was over max_connections (see Connection).
  void Unregister(Connection* connection, bool refused);
  // Runs `post` (which queues work on the io_context) unless the server has stopped taking
  // replies; returns false when it has, so a late handler's answer is dropped, not queued
  // on threads that are gone.
  bool PostReply(const std::function<void()>& post);
  // The metric series one (route, method, status) is counted in, looked up once: a
  // connection keeps the last ones it used, since keep-alive clients repeat themselves.
  struct RequestSeries {
    std::string route;
    std::string method;
    int status = 0;
    Counter* requests = nullptr;
    Histogram* duration = nullptr;
  };
  void RecordRequest(RequestSeries& series, const std::string& route, const std::string& method, int status,
                     double seconds);

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  std::vector<std::shared_ptr<Connection>> LiveConnections();

  const ServerOptions options_;
  const Router router_;
  MetricsRegistry* const metrics_;
  Gauge& open_connections_;
  Counter& refused_connections_;

  // One io_context per I/O thread, each told it has one thread: a connection lives on one
  // context, so its handlers never run concurrently (no strand needed), and what a thread
  // posts to its own context takes no lock and wakes nobody. A strand over one shared
  // context cost a mutex, a wake-up of the other thread and executor copies at every step
  // of every request. Other threads (a handler's late answer, Stop) still post safely.
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  size_t next_context_ = 0;  // round robin for accepted connections; on the acceptor's thread
  tcp::acceptor acceptor_;  // on contexts_[0]
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  bool running_ = false;  // Start/Stop run on one thread

  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_request_id_{0};

  std::mutex mu_;
  std::condition_variable connections_changed_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;  // guarded by mu_
  size_t serving_ = 0;   // connections_ being served; at most max_connections; guarded by mu_
  size_t refusing_ = 0;  // connections_ being answered 503; guarded by mu_
  bool taking_replies_ = true;                                             // guarded by mu_
};

// One client connection. Requests are read, handled and answered strictly one at a time, so
// pipelined requests are answered in order. All members are touched only on the thread of
// the socket's io_context; Shutdown/ForceClose/Deliver may be called from any thread and post
// to it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // A `refused` connection (one over max_connections) is answered 503 and closed.
  Connection(tcp::socket&& socket, std::shared_ptr<Server::Impl> server, bool refused);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Draining: closes the connection now if it waits idle for a request, else after the
  // current response.
  void Shutdown();
  void ForceClose();
  // Answers request `request_id` (from a Reply, any thread).
  void Deliver(uint64_t request_id, Response response);

 private:
  enum class State { kReadingHeader, kReadingBody, kHandling, kWriting, kClosed };

  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void Handle();
  void Send(Response response, bool keep_alive);
  void OnWritten(beast::error_code ec, bool keep_alive);
  // Answers a request that could not be read and closes after it.
  void Reject(int status, std::string_view code, std::string_view detail);
  // Answers a connection over the limit 503 before reading anything, and closes it.
  void Refuse();
  // Reads and discards what the client still sends, briefly, so that closing does not reset
  // the connection before the client read our error response.
  void Linger();
  void Close();
  // While a handler runs: watches the socket, and sets `disconnected` when the client closes.
  void WatchForDisconnect(std::shared_ptr<std::atomic<bool>> disconnected);

  const std::shared_ptr<Server::Impl> server_;
  const bool refused_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // The response being written: its status line and headers, serialized here (one string,
  // not Beast's field list and serializer), and its body.
  std::string response_head_;
  std::string response_body_;
  bhttp::response<bhttp::empty_body> continue_;
  std::array<char, 4096> discard_{};

  State state_ = State::kReadingHeader;
  bool watching_ = false;  // a WatchForDisconnect wait is pending
  bool shutdown_requested_ = false;
  uint64_t request_id_ = 0;
  std::string origin_;
  std::string route_;
  std::string method_;
  std::string remote_address_;  // the peer, read once
  Server::Impl::RequestSeries series_;
  // A handler that answers before it returns (on this thread) leaves its answer here, to be
  // sent without a trip through the io_context; see Handle().
  std::optional<Response> inline_reply_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace hedgerow::http
