// The ClickHouse HTTP interface over hedgerow's query engine.

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "hedgerow/http/request.h"

#include "hedgerow/api/query_api.h"
#include "hedgerow/common/base64.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/output_format.h"
#include "hedgerow/query/parser.h"
#include "query_errors.h"
#include "query_run.h"

namespace hedgerow::api {
namespace {

http::Response ClickHouseError(const ClickHouseCode& code, std::string_view message) {
  http::Response r = http::Response::Text(code.http_status,
                                          fmt::format("Code: {}. DB::Exception: {} ({})\n", code.number, message, code.name));
  r.SetHeader("X-ClickHouse-Exception-Code", std::to_string(code.number));
  return r;
}

// The password: basic auth, X-ClickHouse-Key, or ?password=.
std::string Password(const http::Request& request) {
  std::string_view auth = request.Header("Authorization");
  if (auth.substr(0, 6) == "Basic ") {
    std::optional<std::string> decoded = Base64Decode(auth.substr(6));
    if (decoded) {
      size_t colon = decoded->find(':');
      return colon == std::string::npos ? std::string() : decoded->substr(colon + 1);
    }
  }
  if (std::string_view key = request.Header("X-ClickHouse-Key"); !key.empty()) return std::string(key);
  return request.QueryParam("password").value_or("");
}

}  // namespace

void AddClickHouseRoutes(http::Router& router, QueryApiOptions options) {
  router.Add("GET,HEAD", "/ping", [](http::Request, http::Reply reply) { reply(http::Response::Text(200, "Ok.\n")); });
  router.Add("GET,POST", "/", [options](http::Request request, http::Reply reply) {
    std::string password = Password(request);
    Result<std::optional<int64_t>> project =
        password.empty() ? Result<std::optional<int64_t>>(std::nullopt) : options.meta->ProjectOfPersonalApiKey(password);
    if (!project.ok() || !*project) {
      return reply(ClickHouseError(kAuthenticationFailed,
                                   "default: Authentication failed: password is incorrect, or there is no user with "
                                   "such name (the password is a personal API key, phx_...)"));
    }
    // One database, as PostHog's: tables live in "default" (clients name it explicitly).
    std::string database = request.QueryParam("database").value_or(std::string(request.Header("X-ClickHouse-Database")));
    if (!database.empty() && database != "default") {
      return reply(ClickHouseError(kUnknownDatabase, fmt::format("Database {} doesn't exist", database)));
    }
    std::string sql = request.QueryParam("query").value_or("");
    if (request.method == "POST" && !request.body.empty()) sql += (sql.empty() ? "" : "\n") + request.body;
    if (sql.empty()) return reply(ClickHouseError(kSyntaxError, "Empty query"));
    Result<query::Statement> statement = query::ParseStatement(sql);
    if (!statement.ok()) return reply(ClickHouseError(CodeOf(statement.status()), statement.status().message()));
    std::map<std::string, std::string> parameters;  // param_name=value binds {name:Type}
    for (auto& [key, value] : http::ParseUrlEncoded(request.query)) {
      if (key.rfind("param_", 0) == 0) parameters[key.substr(6)] = value;
    }
    if (Status bound = query::BindParameters(*statement, parameters); !bound.ok()) {
      return reply(ClickHouseError(kBadArguments, bound.message()));
    }
    // Settings in the URL, as ClickHouse's HTTP interface takes them, after the query's own.
    for (const char* name : {"max_execution_time", "max_memory_usage", "max_result_rows"}) {
      std::optional<std::string> value = request.QueryParam(name);
      if (!value) continue;
      char* end = nullptr;
      double number = std::strtod(value->c_str(), &end);
      if (end == value->c_str() || *end != '\0') {
        return reply(ClickHouseError(kBadArguments, fmt::format("Setting {} takes a number, got '{}'", name, *value)));
      }
      statement->settings.emplace_back(name, query::Literal(number));
    }
    // The key's own project: ClickHouse has no notion of projects, the key stands for one.
    query::QueryContext context = LimitedContext(options, request, **project);
    std::string format = !statement->format.empty() ? statement->format
                                                    : request.QueryParam("default_format").value_or("TabSeparated");
    std::string query_id = request.QueryParam("query_id").value_or(Uuid::V4().ToString());
    auto run = [request = std::move(request), context, format, query_id,
                statement = std::make_shared<query::Statement>(std::move(*statement))]() {
      Result<query::QueryResult> result = query::ExecuteStatement(*statement, context);
      if (!result.ok()) return ClickHouseError(CodeOf(result.status()), result.status().message());
      Result<query::FormattedResult> body = query::FormatResult(*result, format);
      if (!body.ok()) return ClickHouseError(kUnknownFormat, body.status().message());
      http::Response r = http::Response::Text(200, std::move(body->body), body->content_type);
      r.SetHeader("X-ClickHouse-Format", format);
      r.SetHeader("X-ClickHouse-Query-Id", query_id);
      r.SetHeader("X-ClickHouse-Timezone", "UTC");
      r.SetHeader("X-ClickHouse-Summary",
                  fmt::format(R"({{"read_rows":"{}","read_bytes":"0","written_rows":"0","written_bytes":"0","total_rows_to_read":"0","result_rows":"{}","result_bytes":"0"}})",
                              result->rows, result->rows));
      return r;
    };
    RunQuery(options, std::move(reply), std::move(run),
             ClickHouseError(kTooManySimultaneousQueries, "Too many simultaneous queries: retry later"));
  });
}

}  // namespace hedgerow::api
