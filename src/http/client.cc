#include "hedgerow/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace hedgerow::http {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

// Runs `io` until `done` or the deadline; a step left unfinished is cancelled. Beast's
// timeouts hold for asynchronous operations only, so every step is one.
bool RunUntil(asio::io_context& io, const bool& done, std::chrono::steady_clock::time_point deadline) {
  io.restart();
  while (!done) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    if (io.run_one_for(left) == 0 && io.stopped()) break;
  }
  return done;
}

}  // namespace

Result<ClientReply> SendRequest(const ClientRequest& request) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  const std::string peer = request.host + ":" + request.port;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto timed_out = [&](std::string_view step) {
    return Status::Unavailable(fmt::format("{} did not answer within {} ms ({})", peer, request.timeout.count(), step));
  };
  beast::error_code ec;
  bool done = false;
  asio::ip::tcp::resolver::results_type endpoints;
  resolver.async_resolve(request.host, request.port, [&](beast::error_code e, asio::ip::tcp::resolver::results_type r) {
    ec = e;
    endpoints = std::move(r);
    done = true;
  });
  if (!RunUntil(io, done, deadline)) {
    resolver.cancel();
    return timed_out("resolving");
  }
  if (ec) return Status::Unavailable(fmt::format("cannot resolve {}: {}", peer, ec.message()));
  // The stream's own timer bounds connect, write and read; RunUntil only drives them.
  stream.expires_at(deadline);
  done = false;
  stream.async_connect(endpoints, [&](beast::error_code e, const asio::ip::tcp::endpoint&) {
    ec = e;
    done = true;
  });
  RunUntil(io, done, deadline + std::chrono::seconds(1));
  if (!done || ec == beast::error::timeout) return timed_out("connecting");
  if (ec) return Status::Unavailable(fmt::format("cannot connect to {}: {}", peer, ec.message()));
  beast::http::request<beast::http::string_body> out{beast::http::string_to_verb(request.method), request.target, 11};
  out.set(beast::http::field::host, peer);
  for (const auto& [name, value] : request.headers) out.set(name, value);
  out.body() = request.body;
  out.prepare_payload();
  done = false;
  beast::http::async_write(stream, out, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  RunUntil(io, done, deadline + std::chrono::seconds(1));
  if (!done || ec == beast::error::timeout) return timed_out("sending");
  if (ec) return Status::Unavailable(fmt::format("sending to {} failed: {}", peer, ec.message()));
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(request.max_response_bytes);
  done = false;
  beast::http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  RunUntil(io, done, deadline + std::chrono::seconds(1));
  if (!done || ec == beast::error::timeout) return timed_out("reading the answer");
  if (ec) return Status::Unavailable(fmt::format("reading the answer of {} failed: {}", peer, ec.message()));
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return ClientReply{parser.get().result_int(), std::move(parser.get().body())};
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace hedgerow::http
