// PostHog's query API: POST /api/projects/:id/query/ with a HogQLQuery.

#include <rapidjson/document.h>

#include <cmath>

#include <fmt/format.h>

#include "hedgerow/api/query_api.h"
#include "hedgerow/common/json.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/hogql.h"
#include "hedgerow/query/output_format.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/api/project_auth.h"
#include "query_run.h"

namespace hedgerow::api {
namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 50000;

http::Response QueryError(std::string_view detail) {
  return http::Response::Error(400, "validation_error", "query_error", detail);
}

// PostHog's answer: {"columns": [...], "types": [[name, type], ...], "results": [[...], ...]}.
http::Response ResultJson(const query::QueryResult& result) {
  std::string out = R"({"columns":[)";
  for (size_t i = 0; i < result.names.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, result.names[i]);
  }
  out += R"(],"types":[)";
  for (size_t i = 0; i < result.names.size(); ++i) {
    if (i > 0) out += ',';
    out += '[';
    AppendJsonString(out, result.names[i]);
    out += ',';
    AppendJsonString(out, result.columns[i]->type->Name());
    out += ']';
  }
  out += R"(],"results":[)";
  for (size_t r = 0; r < result.rows; ++r) {
    out += r > 0 ? ",[" : "[";
    for (size_t i = 0; i < result.columns.size(); ++i) {
      if (i > 0) out += ',';
      query::AppendJsonValue(out, *result.columns[i], r, false);
    }
    out += ']';
  }
  out += "]}";
  return http::Response::Json(200, std::move(out));
}

}  // namespace

void AddQueryApiRoutes(http::Router& router, QueryApiOptions options) {
  router.Add("POST", "/api/projects/:id/query", [options](http::Request request, http::Reply reply) {
    http::Response refusal;
    std::optional<int64_t> project = AuthorizedProject(request, *options.meta, request.path_params.at("id"), "query", refusal);
    if (!project) return reply(std::move(refusal));
    const int64_t project_id = *project;
    if (JsonNestsDeeperThan(request.body)) return reply(QueryError("query: the body nests too deeply"));
    rapidjson::Document body;
    body.Parse<rapidjson::kParseIterativeFlag>(request.body.data(), request.body.size());
    const rapidjson::Value* q = body.IsObject() && body.HasMember("query") ? &body["query"] : nullptr;
    if (q == nullptr || !q->IsObject() || !q->HasMember("query") || !(*q)["query"].IsString()) {
      return reply(QueryError(R"(query: expected {"query":{"kind":"HogQLQuery","query":"SELECT ..."}})"));
    }
    if (q->HasMember("kind") && (!(*q)["kind"].IsString() || std::string_view((*q)["kind"].GetString()) != "HogQLQuery")) {
      return reply(QueryError("query: only HogQLQuery is supported"));
    }
    Result<query::Statement> statement = query::ParseStatement((*q)["query"].GetString());
    if (!statement.ok()) return reply(QueryError(statement.status().message()));
    if (!statement->format.empty() && !query::IsOutputFormat(statement->format)) {
      return reply(QueryError("Unknown format " + statement->format));
    }
    if (statement->select) {
      if (Status sugar = query::ApplyHogQLSugar(*statement->select); !sugar.ok()) return reply(QueryError(sugar.message()));
    }
    // PostHog's limits: 100 rows unless the query says, never more than 50,000.
    if (statement->select) {
      for (auto& select : statement->select->selects) {
        if (!select->limit) {
          select->limit = query::MakeLiteral(kDefaultLimit, {});
          continue;
        }
        if (select->limit->kind == query::Expr::Kind::kLiteral) {
          const auto* u = std::get_if<uint64_t>(&select->limit->literal);
          const auto* i = std::get_if<int64_t>(&select->limit->literal);
          bool within = (u != nullptr && *u <= kMaxLimit) || (i != nullptr && *i >= 0 && static_cast<uint64_t>(*i) <= kMaxLimit);
          if (!within) {
            select->limit = query::MakeLiteral(static_cast<int64_t>(kMaxLimit), {});
          }
        }
      }
    }
    query::QueryContext context = LimitedContext(options, request, project_id);
    context.max_result_rows = kMaxLimit;  // a LIMIT that is not a literal cannot exceed it either
    auto run = [request = std::move(request), context, statement = std::make_shared<query::Statement>(std::move(*statement))]() {
      Result<query::QueryResult> result = query::ExecuteStatement(*statement, context);
      if (!result.ok()) return QueryError(result.status().message());
      return ResultJson(*result);
    };
    RunQuery(options, std::move(reply), std::move(run),
             http::Response::Error(503, "server_error", "too_many_queries",
                                   "query: too many queries are running or waiting; retry later"));
  });
}

}  // namespace hedgerow::api
