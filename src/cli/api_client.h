#pragma once

// The commands that talk to a running server (query, expect): its query API over HTTP.

#include <rapidjson/document.h>

#include <cstdint>
#include <string>

#include "hedgerow/common/config.h"
#include "hedgerow/common/status.h"

namespace hedgerow::cli {

// --url, --api-key and --project, shared by the commands below.
std::vector<OptionSpec> ApiClientOptions(std::string_view section);

struct ApiTarget {
  std::string host;
  std::string port;
  std::string api_key;
  int64_t project = 1;
};

// The server named by --url/--api-key/--project; kInvalidArgument saying what to fix.
Result<ApiTarget> ApiTargetFrom(const Config& config);

struct ApiReply {
  unsigned status = 0;
  std::string body;
};

// One POST of `body` (JSON) to `path` with the key; kUnavailable saying what failed (connect,
// send, read). Any HTTP status is a reply.
Result<ApiReply> Post(const ApiTarget& target, const std::string& path, const std::string& body);
// The same with another method (DELETE, GET).
Result<ApiReply> Request(const ApiTarget& target, std::string_view method, const std::string& path,
                         const std::string& body);

// A query API answer: {"columns":[...],"types":[...],"results":[[...],...]}.
struct QueryAnswer {
  std::string body;  // as the server sent it
  rapidjson::Document doc;
  const rapidjson::Value& columns() const { return doc["columns"]; }
  const rapidjson::Value& results() const { return doc["results"]; }
};

// Runs `sql` through POST /api/projects/:project/query/. kUnavailable when the server cannot
// be reached or answers 5xx, kInvalidArgument with the server's detail when it refuses the
// request (4xx: the query, the key or the project).
Result<QueryAnswer> RunRemoteQuery(const ApiTarget& target, const std::string& sql);

// A JSON value as a table cell: strings as they are, NULL, anything else as JSON.
std::string CellText(const rapidjson::Value& v);

}  // namespace hedgerow::cli
