#include "cluster_query.h"

#include <cmath>

#include <fmt/format.h>

#include "cluster_sql.h"
#include "native_format.h"

namespace hedgerow::cluster {
namespace {

// A TabSeparated field as it was: names escape \t and \n, types their quotes (DateTime(\'UTC\')).
std::string UnescapeTsv(std::string_view field) {
  std::string out;
  for (size_t k = 0; k < field.size(); ++k) {
    char c = field[k];
    if (c == '\\' && k + 1 < field.size()) {
      char n = field[++k];
      out += n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n == '0' ? '\0' : n;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<query::QueryResult> ClusterQuery::ExecuteSelect(const query::SelectUnion& select,
                                                       const query::QueryContext& context) const {
  if (!context.team_id) return Status::InvalidArgument("cluster: a query must be scoped to a project");
  HEDGEROW_ASSIGN_OR_RETURN(std::string sql,
                            PrintScopedSelect(select, {.team_id = *context.team_id, .database = database_, .version = version_}));
  // readonly=2: the statement cannot write; the settings below still apply.
  // wait_end_of_query: an error after the first rows would come as HTTP 200 with the
  // message appended to the data; buffered, it comes as an error.
  QuerySettings settings{{"readonly", "2"},
                         {"enable_optimize_predicate_expression", "1"},
                         {"low_cardinality_allow_in_native_format", "0"},
                         {"wait_end_of_query", "1"}};
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  if (context.deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*context.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::InvalidArgument(fmt::format("Timeout exceeded: elapsed {} seconds", context.max_execution_seconds));
    settings.emplace_back("max_execution_time", fmt::format("{}", std::max<int64_t>(1, std::llround(left.count() / 1000.0))));
    timeout = left + std::chrono::seconds(5);  // ClickHouse stops first and says why
  }
  if (context.max_memory_bytes != 0) settings.emplace_back("max_memory_usage", fmt::format("{}", context.max_memory_bytes));
  settings.emplace_back("max_result_rows", fmt::format("{}", context.max_result_rows));
  settings.emplace_back("result_overflow_mode", "throw");
  HEDGEROW_ASSIGN_OR_RETURN(std::string answer,
                            RunOnNode(node_, {.sql = sql + " FORMAT Native", .settings = settings, .timeout = timeout}));
  HEDGEROW_ASSIGN_OR_RETURN(query::QueryResult result, ReadNative(answer, context.max_result_rows));
  if (!result.names.empty()) return result;
  // No rows: Native sends no block, so no names nor types; this header-only format has them.
  HEDGEROW_ASSIGN_OR_RETURN(std::string header,
                            RunOnNode(node_, {.sql = "SELECT * FROM (" + sql + ") LIMIT 0 FORMAT TabSeparatedWithNamesAndTypes",
                                              .settings = settings,
                                              .timeout = timeout}));
  std::string_view names_line = std::string_view(header).substr(0, header.find('\n'));
  std::string_view rest = header.find('\n') == std::string::npos ? std::string_view() : std::string_view(header).substr(header.find('\n') + 1);
  std::string_view types_line = rest.substr(0, rest.find('\n'));
  auto split = [](std::string_view line) {
    std::vector<std::string_view> fields;
    while (true) {
      size_t tab = line.find('\t');
      fields.push_back(line.substr(0, tab));
      if (tab == std::string_view::npos) return fields;
      line = line.substr(tab + 1);
    }
  };
  std::vector<std::string_view> names = split(names_line), types = split(types_line);
  if (names.size() != types.size()) return Status::Internal("clickhouse: a malformed header of an empty answer");
  for (size_t i = 0; i < names.size(); ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(query::DataTypePtr type, query::ParseDataType(UnescapeTsv(types[i])));
    result.names.push_back(UnescapeTsv(names[i]));
    result.columns.push_back(query::MakeEmpty(type));
  }
  return result;
}

}  // namespace hedgerow::cluster
