// PostHog's events list: GET /api/projects/:id/events/?event=&distinct_id=&after=&before=&limit=

#include <rapidjson/reader.h>

#include <charconv>

#include <fmt/format.h>

#include "hedgerow/api/query_api.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/api/project_auth.h"
#include "query_run.h"

namespace hedgerow::api {
namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

http::Response BadParameter(std::string_view attr, std::string_view detail) {
  return http::Response::Error(400, "validation_error", "invalid_input", fmt::format("{}: {}", attr, detail));
}

struct EventsFilter {
  std::optional<std::string> event, distinct_id;
  std::optional<int64_t> after_micros, before_micros;
  int64_t limit = kDefaultLimit;
};

// The filter from the query string, or the 400 naming the parameter.
std::optional<EventsFilter> ReadFilter(const http::Request& request, http::Response& refusal) {
  EventsFilter f;
  f.event = request.QueryParam("event");
  f.distinct_id = request.QueryParam("distinct_id");
  for (auto [name, into] : {std::pair{"after", &f.after_micros}, std::pair{"before", &f.before_micros}}) {
    std::optional<std::string> text = request.QueryParam(name);
    if (!text || text->empty()) continue;
    *into = ParseIso8601Micros(*text);
    if (!*into) {
      refusal = BadParameter(name, "expected an ISO 8601 time such as 2026-12-07T05:00:00Z");
      return std::nullopt;
    }
  }
  if (std::optional<std::string> text = request.QueryParam("limit"); text && !text->empty()) {
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), f.limit);
    if (error != std::errc() || end != text->data() + text->size() || f.limit < 1 || f.limit > kMaxLimit) {
      refusal = BadParameter("limit", fmt::format("expected a number from 1 to {}", kMaxLimit));
      return std::nullopt;
    }
  }
  return f;
}

// Newest first, one row more than the page to know whether another follows.
std::string EventsSql(const EventsFilter& f) {
  std::string sql =
      "SELECT uuid, event, distinct_id, properties, timestamp, elements_chain, person_id FROM events WHERE 1";
  if (f.event) sql += " AND event = " + query::QuoteStringLiteral(*f.event);
  if (f.distinct_id) sql += " AND distinct_id = " + query::QuoteStringLiteral(*f.distinct_id);
  if (f.after_micros) sql += " AND timestamp > " + query::QuoteStringLiteral(FormatClickHouseDateTime64(*f.after_micros));
  if (f.before_micros) sql += " AND timestamp < " + query::QuoteStringLiteral(FormatClickHouseDateTime64(*f.before_micros));
  return sql + fmt::format(" ORDER BY timestamp DESC, uuid LIMIT {}", f.limit + 1);
}

bool IsJsonObject(std::string_view text) {
  if (text.empty() || text.front() != '{') return false;
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::MemoryStream stream(text.data(), text.size());
  return !reader.Parse<rapidjson::kParseIterativeFlag>(stream, ignore).IsError();
}

// The next page: the same filters, before the last event's time (PostHog's cursor).
std::string NextUrl(const http::Request& request, int64_t last_micros) {
  std::string url = fmt::format("http://{}{}?", request.Header("host"), request.path);
  bool first = true;
  auto add = [&](std::string_view key, std::string_view value) {
    url += first ? "" : "&";
    first = false;
    url += key;
    url += '=';
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        url += static_cast<char>(c);
      } else {
        url += fmt::format("%{:02X}", c);
      }
    }
  };
  for (const auto& [key, value] : http::ParseUrlEncoded(request.query)) {
    if (key != "before") add(key, value);
  }
  add("before", FormatIso8601Micros(last_micros));
  return url;
}

http::Response EventsJson(const http::Request& request, const query::QueryResult& result, int64_t limit) {
  const size_t rows = std::min<size_t>(result.rows, static_cast<size_t>(limit));
  const query::Column &uuid = *result.columns[0], &event = *result.columns[1], &distinct_id = *result.columns[2],
                      &properties = *result.columns[3], &timestamp = *result.columns[4],
                      &elements_chain = *result.columns[5];
  std::string out = R"({"results":[)";
  for (size_t r = 0; r < rows; ++r) {
    if (r > 0) out += ',';
    out += R"({"id":)";
    AppendJsonString(out, query::FormatValue(uuid, r));
    out += R"(,"event":)";
    AppendJsonString(out, event.StringAt(r));
    out += R"(,"distinct_id":)";
    AppendJsonString(out, distinct_id.StringAt(r));
    out += R"(,"properties":)";
    std::string_view props = properties.StringAt(r);
    if (IsJsonObject(props)) {
      out += props;
    } else {
      out += "{}";  // never written so by ingestion; an empty object rather than a broken answer
    }
    out += R"(,"timestamp":)";
    AppendJsonString(out, FormatIso8601Micros(timestamp.Get<int64_t>(r)));
    out += R"(,"person":null,"elements":[],"elements_chain":)";
    AppendJsonString(out, elements_chain.StringAt(r));
    out += '}';
  }
  out += R"(],"next":)";
  if (result.rows > rows && rows > 0) {
    AppendJsonString(out, NextUrl(request, timestamp.Get<int64_t>(rows - 1)));
  } else {
    out += "null";
  }
  out += '}';
  return http::Response::Json(200, std::move(out));
}

}  // namespace

void AddEventsApiRoutes(http::Router& router, QueryApiOptions options) {
  router.Add("GET", "/api/projects/:id/events", [options](http::Request request, http::Reply reply) {
    http::Response refusal;
    std::optional<int64_t> project = AuthorizedProject(request, *options.meta, request.path_params.at("id"), "events", refusal);
    if (!project) return reply(std::move(refusal));
    std::optional<EventsFilter> filter = ReadFilter(request, refusal);
    if (!filter) return reply(std::move(refusal));
    Result<query::Statement> statement = query::ParseStatement(EventsSql(*filter));
    if (!statement.ok()) return reply(http::Response::Error(500, "server_error", "query_error", statement.status().message()));
    query::QueryContext context = LimitedContext(options, request, *project);
    auto run = [request = std::move(request), context, limit = filter->limit,
                statement = std::make_shared<query::Statement>(std::move(*statement))]() {
      Result<query::QueryResult> result = query::ExecuteStatement(*statement, context);
      if (!result.ok()) return http::Response::Error(500, "server_error", "query_error", result.status().message());
      return EventsJson(request, *result, limit);
    };
    RunQuery(options, std::move(reply), std::move(run),
             http::Response::Error(503, "server_error", "too_many_queries",
                                   "events: too many queries are running or waiting; retry later"));
  });
}

}  // namespace hedgerow::api
