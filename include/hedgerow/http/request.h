#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hedgerow::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One HTTP request as handlers see it: the body is already decoded from any
// Content-Encoding: gzip (and that header removed), and path parameters are filled in by
// the router.
// A plain value; the handler owns it.
struct Request {
  uint64_t id = 0;         // unique per server run; appears in logs as request_id
  std::string method;      // "GET", "POST", ...
  std::string target;      // as sent: "/e/?ip=1&_=1700000000"
  std::string path;        // target up to '?', not decoded
  std::string query;       // target after '?', not decoded
  HeaderList headers;
  std::string body;
  std::string remote_address;  // peer IP of the socket
  std::map<std::string, std::string> path_params;  // ":id" segments, percent-decoded
  // Becomes true when the client closes its connection before the answer is sent, so that
  // a long handler (a query) can stop working for nobody. Never null for served requests.
  std::shared_ptr<std::atomic<bool>> disconnected = std::make_shared<std::atomic<bool>>(false);

  // Value of the first header named `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
  // The first query parameter named `name`, percent- and '+'-decoded; nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// Decodes %XX escapes (and '+' as space when `plus_as_space`). Malformed escapes are kept
// as they are, as browsers and PostHog's capture do.
std::string UrlDecode(std::string_view text, bool plus_as_space);

// Splits "a=1&b=two%20words" (a query string or an x-www-form-urlencoded body) into decoded
// pairs, in order. A key without '=' gets an empty value.
std::vector<std::pair<std::string, std::string>> ParseUrlEncoded(std::string_view text);

}  // namespace hedgerow::http
