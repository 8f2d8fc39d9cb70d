#pragma once

// One node of a ClickHouse cluster, spoken to over ClickHouse's HTTP interface.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow::cluster {

struct ClickHouseNode {
  std::string host;
  std::string port;
  std::string user = "default";
  std::string password;
  // host:port, for messages (never the password).
  std::string Name() const { return host + ":" + port; }
};

// --clickhouse-url: "http://USER:PASSWORD@HOST:PORT" or several of them separated by commas
// (one per shard, when the cluster has no distributed DDL to create tables on every shard).
// User and password are optional (default user, no password); they may be percent-encoded.
// kInvalidArgument saying what to fix.
Result<std::vector<ClickHouseNode>> ParseClickHouseUrls(std::string_view urls);

// ClickHouse's query settings, sent as URL parameters.
using QuerySettings = std::vector<std::pair<std::string, std::string>>;

struct NodeRequest {
  std::string_view sql;
  std::string_view body;  // rows of an INSERT ... FORMAT, sent after the query
  QuerySettings settings;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// Runs a statement on `node` and returns ClickHouse's answer. kUnavailable when the node
// cannot be reached or answers with a network or timeout error of its own (a shard down);
// kInvalidArgument with ClickHouse's message ("Code: 46, ... Unknown function ...") when it
// refuses the statement.
Result<std::string> RunOnNode(const ClickHouseNode& node, const NodeRequest& request);

// The N of ClickHouse's "Code: N" in a RunOnNode error; -1 without one.
int ClickHouseErrorCode(const Status& status);
// Whether ClickHouse's error `code` is about the values of the rows inserted (parsing, types,
// conversions, sizes, a column's expression throwing), not the table, the server or the cluster.
bool IsRowValueError(int code);

}  // namespace hedgerow::cluster
