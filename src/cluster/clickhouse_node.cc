#include "hedgerow/cluster/clickhouse_node.h"

#include <fmt/format.h>

#include "hedgerow/http/client.h"
#include "hedgerow/http/request.h"

namespace hedgerow::cluster {
namespace {

// ClickHouse's error codes that mean a peer or the network failed, not the statement:
// TIMEOUT_EXCEEDED, SOCKET_TIMEOUT, NETWORK_ERROR, ALL_CONNECTION_TRIES_FAILED,
// ATTEMPT_TO_READ_AFTER_EOF, CANNOT_READ_FROM_SOCKET, CANNOT_WRITE_TO_SOCKET,
// ALL_REPLICAS_ARE_STALE, TOO_MANY_SIMULTANEOUS_QUERIES, UNEXPECTED_PACKET_FROM_SERVER; and
// the server's own state.
bool IsTransientCode(int code) {
  switch (code) {
    case 159: case 209: case 210: case 279: case 32: case 95: case 96: case 202: case 369: case 102: return true;
    // TOO_MANY_PARTS, MEMORY_LIMIT_EXCEEDED, READONLY: the server, for now; smaller inserts would not help.
    case 252: case 241: case 164: return true;
    default: return false;
  }
}

// The N of "Code: N, ..." at the start of a ClickHouse error; -1 without one.
int ErrorCode(std::string_view body) {
  constexpr std::string_view kPrefix = "Code: ";
  if (body.substr(0, kPrefix.size()) != kPrefix) return -1;
  int code = 0;
  size_t i = kPrefix.size();
  for (; i < body.size() && body[i] >= '0' && body[i] <= '9' && code < 100000; ++i) code = code * 10 + (body[i] - '0');
  return i == kPrefix.size() ? -1 : code;
}

Result<ClickHouseNode> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("--clickhouse-url must be http://USER:PASSWORD@HOST:PORT ({}), got \"{}\"", why, url));
  };
  if (url.substr(0, kScheme.size()) != kScheme) return invalid("only http:// is supported");
  std::string_view rest = url.substr(kScheme.size());
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash).find_first_not_of('/') != std::string_view::npos) return invalid("no path may follow the port");
    rest = rest.substr(0, slash);
  }
  ClickHouseNode node;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = credentials.find(':');
    node.user = http::UrlDecode(credentials.substr(0, colon), false);
    if (colon != std::string_view::npos) node.password = http::UrlDecode(credentials.substr(colon + 1), false);
    if (node.user.empty()) return invalid("the user is empty");
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return invalid("the port is missing");
  node.host = std::string(rest.substr(0, colon));
  node.port = std::string(rest.substr(colon + 1));
  if (node.host.empty()) return invalid("the host is missing");
  if (node.port.empty() || node.port.size() > 5 || node.port.find_first_not_of("0123456789") != std::string::npos) {
    return invalid("the port is not a number");
  }
  return node;
}

}  // namespace

int ClickHouseErrorCode(const Status& status) {
  const std::string& message = status.message();
  size_t at = message.find("Code: ");
  return at == std::string::npos ? -1 : ErrorCode(std::string_view(message).substr(at));
}

bool IsRowValueError(int code) {
  switch (code) {
    // CANNOT_PARSE_TEXT, CANNOT_READ_ALL_DATA, CANNOT_PARSE_QUOTED_STRING, CANNOT_PARSE_INPUT_ASSERTION_FAILED,
    // CANNOT_PARSE_DATE, CANNOT_PARSE_DATETIME, TYPE_MISMATCH, ARGUMENT_OUT_OF_BOUND, CANNOT_CONVERT_TYPE,
    // CANNOT_PARSE_NUMBER, INCORRECT_DATA, TOO_LARGE_STRING_SIZE, FUNCTION_THROW_IF_VALUE_IS_NON_ZERO.
    case 6: case 33: case 26: case 27: case 38: case 41: case 53: case 69: case 70: case 72: case 117: case 131:
    case 395: return true;
    default: return false;
  }
}

Result<std::vector<ClickHouseNode>> ParseClickHouseUrls(std::string_view urls) {
  std::vector<ClickHouseNode> nodes;
  while (!urls.empty()) {
    size_t comma = urls.find(',');
    std::string_view one = urls.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    HEDGEROW_ASSIGN_OR_RETURN(ClickHouseNode node, ParseUrl(one));
    nodes.push_back(std::move(node));
    urls = comma == std::string_view::npos ? std::string_view() : urls.substr(comma + 1);
  }
  if (nodes.empty()) return Status::InvalidArgument("--clickhouse-url is required with --store-backend clickhouse");
  return nodes;
}

Result<std::string> RunOnNode(const ClickHouseNode& node, const NodeRequest& request) {
  std::string target = "/?query=" + http::UrlEncode(request.sql);
  for (const auto& [name, value] : request.settings) target += "&" + name + "=" + http::UrlEncode(value);
  http::ClientRequest out{.host = node.host,
                          .port = node.port,
                          .method = "POST",
                          .target = std::move(target),
                          .headers = {{"X-ClickHouse-User", node.user}, {"X-ClickHouse-Key", node.password}},
                          .body = std::string(request.body),
                          .timeout = request.timeout};
  Result<http::ClientReply> reply = http::SendRequest(out);
  if (!reply.ok()) return Status::Unavailable("clickhouse: " + reply.status().message());
  if (reply->status == 200) return std::move(reply->body);
  const int code = ErrorCode(reply->body);
  std::string message = std::move(reply->body);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (message.empty()) message = fmt::format("HTTP {}", reply->status);
  message = fmt::format("clickhouse {}: {}", node.Name(), message);
  if (reply->status == 401 || reply->status == 403 || reply->status >= 502 || IsTransientCode(code)) {
    return Status::Unavailable(std::move(message));
  }
  return Status::InvalidArgument(std::move(message));
}

}  // namespace hedgerow::cluster
