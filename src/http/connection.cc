#include <array>

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>

#include "hedgerow/common/compression.h"
#include "hedgerow/common/log.h"
#include "server_impl.h"

namespace hedgerow::http {
namespace {

// Completes one request exactly once: the first call wins, and a Reply dropped unanswered
// still answers (500) so the client is never left hanging.
class PendingReply {
 public:
  PendingReply(std::shared_ptr<Connection> connection, uint64_t request_id)
      : connection_(std::move(connection)), request_id_(request_id) {}
  ~PendingReply() {
    if (!answered_.exchange(true)) {
      connection_->Deliver(request_id_, Response::Error(500, "server_error", "no_response",
                                                        "http: handler finished without answering"));
    }
  }
  void Answer(Response response) {
    if (!answered_.exchange(true)) connection_->Deliver(request_id_, std::move(response));
  }

 private:
  const std::shared_ptr<Connection> connection_;
  const uint64_t request_id_;
  std::atomic<bool> answered_{false};
};

// The connection whose handler is running on this thread (set around the call in Handle()):
// a reply made from inside the handler is sent straight from there.
thread_local Connection* t_handling = nullptr;

void SplitTarget(const std::string& target, std::string& path, std::string& query) {
  size_t q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string::npos ? std::string() : target.substr(q + 1);
}

}  // namespace

Connection::Connection(tcp::socket&& socket, std::shared_ptr<Server::Impl> server, bool refused)
    : server_(std::move(server)), refused_(refused), stream_(std::move(socket)) {
  beast::error_code ec;
  auto remote = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_address_ = remote.address().to_string();
}

Connection::~Connection() { server_->Unregister(this, refused_); }

void Connection::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->refused_) return self->Refuse();
    self->ReadHeader();
  });
}

void Connection::Shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->shutdown_requested_ = true;
    // Idle between requests (nothing of the next one received yet): close now.
    if (self->state_ == State::kReadingHeader && self->buffer_.size() == 0) self->Close();
  });
}

void Connection::ForceClose() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void Connection::Deliver(uint64_t request_id, Response response) {
  if (t_handling == this && request_id == request_id_) {
    inline_reply_ = std::move(response);  // answered inside the handler: Handle() sends it
    return;
  }
  auto self = shared_from_this();
  server_->PostReply([&] {
    net::post(stream_.get_executor(), [self, request_id, r = std::move(response)]() mutable {
      if (self->state_ != State::kHandling || self->request_id_ != request_id) return;
      if (self->watching_) {
        // The disconnect watch is the only operation pending while handling: cancel it.
        beast::error_code ignored;
        self->stream_.socket().cancel(ignored);
      }
      bool keep_alive = !self->shutdown_requested_ && !self->server_->draining();
      self->Send(std::move(r), keep_alive);
    });
  });
}

void Connection::ReadHeader() {
  if (shutdown_requested_ && buffer_.size() == 0) return Close();
  state_ = State::kReadingHeader;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
  parser_->body_limit(server_->options().max_body_bytes);
  // A small POST arrives with its header: parse the body in the same pass, so that the
  // request is handled without another trip through the io_context.
  parser_->eager(true);
  stream_.expires_after(server_->options().read_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->OnHeader(ec);
                           });
}

void Connection::OnHeader(beast::error_code ec) {
  if (state_ == State::kClosed) return;
  if (ec == bhttp::error::header_limit) {
    return Reject(431, "header_too_large",
                  fmt::format("http: request header block exceeds {} bytes",
                              server_->options().max_header_bytes));
  }
  if (ec == bhttp::error::body_limit) {
    return Reject(413, "payload_too_large",
                  fmt::format("http: request body exceeds {} bytes", server_->options().max_body_bytes));
  }
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::operation_aborted || ec == beast::error::timeout ||
      ec == net::error::connection_reset) {
    return Close();
  }
  if (ec) return Reject(400, "bad_request", fmt::format("http: malformed request: {}", ec.message()));

  started_ = std::chrono::steady_clock::now();
  auto& header = parser_->get();
  if (beast::iequals(header[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
    // curl and some SDKs wait for this before sending a body over 1 KiB.
    continue_ = bhttp::response<bhttp::empty_body>(bhttp::status::continue_, 11);
    bhttp::async_write(stream_, continue_,
                       [self = shared_from_this()](beast::error_code wec, size_t) {
                         if (wec) return self->Close();
                         self->ReadBody();
                       });
    return;
  }
  ReadBody();
}

void Connection::ReadBody() {
  if (parser_->is_done()) return Handle();
  state_ = State::kReadingBody;
  stream_.expires_after(server_->options().read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void Connection::OnBody(beast::error_code ec) {
  if (state_ == State::kClosed) return;
  if (ec == bhttp::error::body_limit) {
    return Reject(413, "payload_too_large",
                  fmt::format("http: request body exceeds {} bytes", server_->options().max_body_bytes));
  }
  if (ec == net::error::operation_aborted || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::eof ||
      ec == bhttp::error::partial_message) {
    return Close();
  }
  if (ec) return Reject(400, "bad_request", fmt::format("http: malformed request body: {}", ec.message()));
  Handle();
}

void Connection::Handle() {
  state_ = State::kHandling;
  stream_.expires_never();
  bhttp::request<bhttp::string_body> msg = parser_->release();
  parser_.reset();

  Request request;
  request.id = server_->NextRequestId();
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  SplitTarget(request.target, request.path, request.query);
  for (const auto& field : msg) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(msg.body());
  request.remote_address = remote_address_;

  request_id_ = request.id;
  origin_ = std::string(request.Header("Origin"));
  method_ = request.method;
  bool client_keep_alive = msg.keep_alive();
  if (!client_keep_alive) shutdown_requested_ = true;

  if (request.method == "OPTIONS") {
    // CORS preflight (or a plain OPTIONS): answered for every path, like PostHog's capture.
    route_ = "OPTIONS";
    Response r;
    r.SetHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    std::string_view asked = request.Header("Access-Control-Request-Headers");
    r.SetHeader("Access-Control-Allow-Headers",
                asked.empty() ? "Content-Type, Authorization, X-Requested-With" : std::string(asked));
    r.SetHeader("Access-Control-Max-Age", "86400");
    return Send(std::move(r), !shutdown_requested_ && !server_->draining());
  }

  std::string_view encoding = request.Header("Content-Encoding");
  if (!encoding.empty() && !beast::iequals(encoding, "identity")) {
    if (!beast::iequals(encoding, "gzip") && !beast::iequals(encoding, "x-gzip")) {
      route_ = "unmatched";
      return Send(Response::Error(415, "validation_error", "unsupported_encoding",
                                  fmt::format("http: Content-Encoding \"{}\" is not supported; "
                                              "send gzip or no encoding", encoding)),
                  !shutdown_requested_);
    }
    Result<std::string> inflated = GunzipLimited(request.body, server_->options().max_body_bytes);
    if (!inflated.ok()) {
      route_ = "unmatched";
      return Send(Response::Error(inflated.status(), inflated.status().code() == StatusCode::kTooLarge
                                                         ? "payload_too_large"
                                                         : "invalid_gzip"),
                  !shutdown_requested_);
    }
    request.body = std::move(*inflated);
    // The body is plain now; a handler must not try to undo the encoding again.
    std::erase_if(request.headers, [](const auto& h) { return beast::iequals(h.first, "Content-Encoding"); });
  }

  Router::Match match = server_->router().Find(request.method, request.path);
  if (match.handler == nullptr) {
    if (!match.allowed_methods.empty()) {
      route_ = match.pattern;
      Response r = Response::Error(405, "invalid_request", "method_not_allowed",
                                   fmt::format("http: {} is not allowed on {}; use {}",
                                               request.method, request.path, match.allowed_methods));
      r.SetHeader("Allow", match.allowed_methods);
      return Send(std::move(r), !shutdown_requested_);
    }
    route_ = "unmatched";
    return Send(Response::Error(404, "invalid_request", "not_found",
                                fmt::format("http: no endpoint at {}", request.path)),
                !shutdown_requested_);
  }
  route_ = match.pattern;
  request.path_params = std::move(match.params);

  std::shared_ptr<std::atomic<bool>> disconnected = request.disconnected;
  auto pending = std::make_shared<PendingReply>(shared_from_this(), request.id);
  Reply reply = [pending](Response r) { pending->Answer(std::move(r)); };
  t_handling = this;
  try {
    (*match.handler)(std::move(request), std::move(reply));
  } catch (const std::exception& e) {
    LogError("http", "handler threw", {{"request_id", request_id_}, {"route", route_}, {"error", e.what()}});
    pending->Answer(Response::Error(500, "server_error", "internal", "http: internal error"));
  }
  t_handling = nullptr;
  pending.reset();  // a handler that kept no copy of its Reply has answered by now (or gets 500)
  if (inline_reply_) {
    Response r = std::move(*inline_reply_);
    inline_reply_.reset();
    return Send(std::move(r), !shutdown_requested_ && !server_->draining());
  }
  // The answer comes later, from another thread: meanwhile, notice if the client leaves.
  WatchForDisconnect(std::move(disconnected));
}

void Connection::WatchForDisconnect(std::shared_ptr<std::atomic<bool>> disconnected) {
  if (buffer_.size() > 0) return;  // a pipelined request is already here: the client is alive
  watching_ = true;
  stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), disconnected](beast::error_code ec) {
    self->watching_ = false;
    if (ec) return;  // cancelled: the answer is going out
    // Readable with nothing to read is the end of the stream; bytes are the next pipelined
    // request, which waits for its turn.
    beast::error_code available_ec;
    if (self->stream_.socket().available(available_ec) == 0 || available_ec) disconnected->store(true);
  });
}

void Connection::Send(Response response, bool keep_alive) {
  state_ = State::kWriting;
  std::string& head = response_head_;
  head.clear();
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(response.status)));
  head += "\r\n";
  auto header = [&head](std::string_view name, std::string_view value) {
    head += name;
    head += ": ";
    // A value never ends the header early: CR and LF (from an echoed request header) go.
    for (char c : value) {
      if (c != '\r' && c != '\n') head += c;
    }
    head += "\r\n";
  };
  for (const auto& [name, value] : response.headers) header(name, value);
  header("Server", "hedgerow");
  header("X-Request-Id", std::to_string(request_id_));
  if (!origin_.empty()) {
    // Browser SDKs send credentials, which rules out "*": echo the origin instead.
    header("Access-Control-Allow-Origin", origin_);
    header("Access-Control-Allow-Credentials", "true");
    header("Vary", "Origin");
  }
  if (!keep_alive) header("Connection", "close");
  // 204 and 304 have no body and no length (RFC 9110). HEAD: the length a GET would have,
  // and no body: bytes after the header would be read as the start of the next response.
  bool bodiless = response.status == 204 || response.status == 304 || response.status < 200;
  if (!bodiless) header("Content-Length", std::to_string(response.body.size()));
  head += "\r\n";
  response_body_.clear();
  if (method_ != "HEAD" && !bodiless) response_body_ = std::move(response.body);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  server_->RecordRequest(series_, route_, method_, response.status, seconds);
  // 503s are load shedding (refused connections, a busy log): counted in the metrics, not
  // logged one by one when the server is busiest.
  if (response.status >= 500 && response.status != 503) {
    LogWarn("http", "request failed",
            {{"request_id", request_id_}, {"route", route_}, {"status", response.status}});
  } else if (LogEnabled(LogLevel::kDebug)) {
    LogDebug("http", "request", {{"request_id", request_id_}, {"route", route_},
                                 {"method", method_}, {"status", response.status}});
  }

  stream_.expires_after(server_->options().read_timeout);
  std::array<net::const_buffer, 2> buffers{net::buffer(response_head_), net::buffer(response_body_)};
  net::async_write(stream_, buffers, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
    self->OnWritten(ec, keep_alive);
  });
}

void Connection::OnWritten(beast::error_code ec, bool keep_alive) {
  if (state_ == State::kClosed) return;
  if (ec) return Close();
  if (!keep_alive) return Linger();
  ReadHeader();
}

void Connection::Reject(int status, std::string_view code, std::string_view detail) {
  started_ = std::chrono::steady_clock::now();
  request_id_ = server_->NextRequestId();
  route_ = "unmatched";
  method_ = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string()) : "";
  origin_ = parser_ && parser_->is_header_done() ? std::string(parser_->get()[bhttp::field::origin]) : "";
  parser_.reset();
  std::string_view type = status >= 500 ? "server_error" : "validation_error";
  Send(Response::Error(status, type, code, detail), false);
}

void Connection::Refuse() {
  started_ = std::chrono::steady_clock::now();
  request_id_ = server_->NextRequestId();
  route_ = "refused";
  Response r = Response::Error(503, "server_error", "too_many_connections",
                               fmt::format("http: {} connections are open, the most this server takes; retry later",
                                           server_->options().max_connections));
  r.SetHeader("Retry-After", "1");
  // Linger() then reads the request the client sends anyway, so closing does not reset the
  // connection before the client has read this answer.
  Send(std::move(r), false);
}

void Connection::Linger() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  state_ = State::kWriting;
  stream_.expires_after(std::chrono::seconds(1));
  stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) return self->Close();
    self->Linger();
  });
}

void Connection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace hedgerow::http
