// The statements besides SELECT that tools send first: SHOW TABLES, SHOW DATABASES,
// DESCRIBE and EXISTS, answered as ClickHouse answers them.

#include <algorithm>

#include <fmt/format.h>

#include "functions_impl.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/store/store.h"
#include "plan.h"

namespace hedgerow::query {

DataTypePtr QueryType(store::Type type) {
  // Parsed once per store type: every scanned block asks for each of its columns.
  static const std::vector<DataTypePtr> types = [] {
    std::vector<DataTypePtr> out;
    for (int t = 0; t <= static_cast<int>(store::Type::kDate); ++t) {
      Result<DataTypePtr> parsed = ParseDataType(store::TypeName(static_cast<store::Type>(t)));
      out.push_back(parsed.ok() ? *parsed : MakeType(TypeId::kString));  // every store type has a query type
    }
    return out;
  }();
  return types[static_cast<size_t>(type)];
}

namespace {

// A result of String columns from rows of text.
QueryResult TextResult(std::vector<std::string> names, const std::vector<std::vector<std::string>>& rows) {
  QueryResult out;
  out.names = std::move(names);
  out.rows = rows.size();
  for (size_t c = 0; c < out.names.size(); ++c) {
    auto column = MakeEmpty(MakeType(TypeId::kString));
    for (const auto& row : rows) {
      column->chars += row[c];
      column->offsets.push_back(column->chars.size());
      ++column->rows;
    }
    out.columns.push_back(std::move(column));
  }
  return out;
}

}  // namespace

Result<QueryContext> ApplySettings(const QueryContext& context, const std::vector<std::pair<std::string, Literal>>& settings) {
  QueryContext out = context;
  for (const auto& [name, value] : settings) {
    if (name != "max_execution_time" && name != "max_memory_usage" && name != "max_result_rows") continue;
    double number = 0;
    if (const auto* u = std::get_if<uint64_t>(&value)) number = static_cast<double>(*u);
    else if (const auto* i = std::get_if<int64_t>(&value)) number = static_cast<double>(*i);
    else if (const auto* d = std::get_if<double>(&value)) number = *d;
    else return Status::InvalidArgument(fmt::format("Setting {} takes a number", name));
    // 0 (unlimited), nan and values past any server limit cannot raise the server's limits.
    if (!(number > 0) || number >= 9e18 || (name == "max_execution_time" && number > 1e9)) continue;
    if (name == "max_execution_time") {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                             std::chrono::duration<double>(number));
      if (!out.deadline || deadline < *out.deadline) {
        out.deadline = deadline;
        out.max_execution_seconds = number;
      }
    } else if (name == "max_memory_usage") {
      uint64_t bytes = static_cast<uint64_t>(number);
      if (out.max_memory_bytes == 0 || bytes < out.max_memory_bytes) out.max_memory_bytes = bytes;
    } else {
      out.max_result_rows = std::min<size_t>(out.max_result_rows, static_cast<size_t>(number));
    }
  }
  return out;
}

Result<QueryResult> ExecuteStatement(const Statement& statement, const QueryContext& given) {
  std::vector<std::pair<std::string, Literal>> settings = statement.settings;
  if (statement.select) {
    for (const auto& q : statement.select->selects) settings.insert(settings.end(), q->settings.begin(), q->settings.end());
  }
  HEDGEROW_ASSIGN_OR_RETURN(QueryContext context, ApplySettings(given, settings));
  switch (statement.kind) {
    case Statement::Kind::kSelect:
      return context.remote != nullptr ? context.remote->ExecuteSelect(*statement.select, context)
                                       : ExecuteSelect(*statement.select, context);
    case Statement::Kind::kShowDatabases: return TextResult({"name"}, {{"default"}, {"system"}});
    case Statement::Kind::kShowTables: {
      std::vector<std::vector<std::string>> rows;
      if (context.store != nullptr && (statement.database.empty() || statement.database == "default")) {
        for (const auto& table : context.store->tables()) {
          if (statement.like.empty() || MatchLike(table->schema().name, statement.like, false)) rows.push_back({table->schema().name});
        }
      }
      std::sort(rows.begin(), rows.end());
      return TextResult({"name"}, rows);
    }
    case Statement::Kind::kDescribe:
    case Statement::Kind::kExists: {
      const store::Table* table = context.store == nullptr ? nullptr : context.store->table(statement.table);
      if (!statement.database.empty() && statement.database != "default") table = nullptr;
      if (statement.kind == Statement::Kind::kExists) {
        QueryResult out;
        out.names = {"result"};
        out.rows = 1;
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, MakeConstColumn(int64_t{table != nullptr}, 1, MakeType(TypeId::kUInt8)));
        out.columns.push_back(Materialize(c));
        return out;
      }
      if (table == nullptr) return Status::InvalidArgument(fmt::format("Table default.{} doesn't exist.", statement.table));
      std::vector<std::vector<std::string>> rows;
      for (const store::ColumnDef& def : table->schema().columns) {
        rows.push_back({def.name, QueryType(def.type)->Name(), "", ""});
      }
      return TextResult({"name", "type", "default_type", "default_expression"}, rows);
    }
  }
  return Status::Internal("unknown statement");
}

}  // namespace hedgerow::query
