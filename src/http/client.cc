#include "hedgerow/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace hedgerow::http {

namespace beast = boost::beast;
namespace asio = boost::asio;

Result<ClientReply> SendRequest(const ClientRequest& request) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::error_code ec;
  const std::string peer = request.host + ":" + request.port;
  auto endpoints = resolver.resolve(request.host, request.port, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot resolve {}: {}", peer, ec.message()));
  stream.expires_after(request.timeout);
  stream.connect(endpoints, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot connect to {}: {}", peer, ec.message()));
  beast::http::request<beast::http::string_body> out{beast::http::string_to_verb(request.method), request.target, 11};
  out.set(beast::http::field::host, peer);
  for (const auto& [name, value] : request.headers) out.set(name, value);
  out.body() = request.body;
  out.prepare_payload();
  beast::http::write(stream, out, ec);
  if (ec) return Status::Unavailable(fmt::format("sending to {} failed: {}", peer, ec.message()));
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(request.max_response_bytes);
  beast::http::read(stream, buffer, parser, ec);
  if (ec == beast::error::timeout) {
    return Status::Unavailable(fmt::format("{} did not answer within {} ms", peer, request.timeout.count()));
  }
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
