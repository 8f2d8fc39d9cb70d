#pragma once

// A blocking HTTP/1.1 client for the peers hedgerow talks to: its own server (the CLI's
// query, expect and admin commands) and a ClickHouse node (the cluster store). One request
// per connection: the peers are near and the requests large, so a pool would save little.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow::http {

struct ClientRequest {
  std::string host;
  std::string port;
  std::string method = "GET";
  std::string target = "/";  // path and query string, already escaped
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // for the whole exchange
  size_t max_response_bytes = 1ull << 30;
};

struct ClientReply {
  unsigned status = 0;
  std::string body;
};

// Sends `request` and reads the answer. kUnavailable naming the peer and the step that failed
// (resolve, connect, send, read, timeout); any HTTP status is a reply.
Result<ClientReply> SendRequest(const ClientRequest& request);

// "a b&c" -> "a%20b%26c": a query-string value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view text);

}  // namespace hedgerow::http
