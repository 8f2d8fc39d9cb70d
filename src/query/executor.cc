#include "hedgerow/query/executor.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "aggregate.h"
#include "dispatch.h"
#include "functions_impl.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "hedgerow/store/store.h"
#include "plan.h"
#include "rewrite.h"

namespace hedgerow::query {
namespace {

Status NotSupported(std::string_view what) {
  return Status::InvalidArgument(fmt::format("{} is not supported yet", what));
}

Result<uint64_t> ConstantNumber(const ExprPtr& e, const char* clause) {
  if (!e) return uint64_t{0};
  Chunk one;
  one.rows = 1;
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*e, one));
  if (!c->is_const || !c->type->IsInteger()) {
    return Status::InvalidArgument(fmt::format("The {} must be a constant integer", clause));
  }
  return NumbersAs<uint64_t>(*c, 1)[0];
}

ExprPtr Identifier(std::string name) {
  auto id = std::make_unique<Expr>();
  id->kind = Expr::Kind::kIdentifier;
  id->parts = {std::move(name)};
  return id;
}

// a AND b, either of which may be absent.
ExprPtr And(ExprPtr a, ExprPtr b) {
  if (!a) return b;
  if (!b) return a;
  std::vector<ExprPtr> both;
  both.push_back(std::move(a));
  both.push_back(std::move(b));
  return MakeFunction("and", std::move(both), Position{});
}

}  // namespace

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

Result<QueryResult> ExecuteSelect(const SelectUnion& select, const QueryContext& context) {
  if (select.selects.size() != 1) return NotSupported("UNION ALL");
  const SelectQuery& q = *select.selects[0];
  if (!q.with.empty()) return NotSupported("WITH");
  if (q.distinct) return NotSupported("SELECT DISTINCT");
  if (!q.joins.empty()) return NotSupported("JOIN");
  if (q.array_join) return NotSupported("ARRAY JOIN");
  if (q.limit_by) return NotSupported("LIMIT BY");
  if (q.with_totals) return NotSupported("WITH TOTALS");
  Plan plan;

  // The table: system.one (no FROM), or one of the store's.
  std::set<std::string> columns;
  if (q.from) {
    if (q.from->subquery || q.from->function) return NotSupported("A subquery or table function in FROM");
    if (!q.from->database.empty() && q.from->database != "default") {
      return Status::InvalidArgument(fmt::format("Database {} doesn't exist", q.from->database));
    }
    plan.table = context.store == nullptr ? nullptr : context.store->table(q.from->table);
    if (plan.table == nullptr) return Status::InvalidArgument(fmt::format("Table default.{} doesn't exist.", q.from->table));
    plan.final = q.from->final;
    for (const store::ColumnDef& def : plan.table->schema().columns) {
      plan.column_types[def.name] = QueryType(def.type);
      columns.insert(def.name);
    }
  } else {
    plan.column_types["dummy"] = MakeType(TypeId::kUInt8);
    columns.insert("dummy");
  }

  // Aliases are usable anywhere: expanded where they are used.
  std::map<std::string, const Expr*> aliases;
  for (const ExprPtr& c : q.columns) {
    if (!c->alias.empty()) aliases[c->alias] = c.get();
  }
  for (const ExprPtr& c : q.columns) {
    if (c->kind == Expr::Kind::kAsterisk) {
      if (plan.table == nullptr || !c->parts.empty()) return NotSupported("This *");
      for (const store::ColumnDef& def : plan.table->schema().columns) {
        plan.outputs.push_back(Identifier(def.name));
        plan.names.push_back(def.name);
      }
      continue;
    }
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, ExpandAliases(*c, aliases, columns));
    plan.names.push_back(c->alias.empty() ? FormatExpr(*c) : c->alias);
    plan.outputs.push_back(std::move(e));
  }
  for (const ExprPtr* part : {&q.prewhere, &q.where}) {
    if (!*part) continue;
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, ExpandAliases(**part, aliases, columns));
    plan.where = And(std::move(plan.where), std::move(e));
  }
  // The team's rows only: its condition first, and its key range for the scan.
  if (context.team_id && columns.count("team_id")) {
    std::vector<ExprPtr> args;
    args.push_back(Identifier("team_id"));
    args.push_back(MakeLiteral(*context.team_id, Position{}));
    plan.where = And(MakeFunction("equals", std::move(args), Position{}), std::move(plan.where));
    plan.team_id = context.team_id;
  }
  for (const ExprPtr& g : q.group_by) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, ExpandAliases(*g, aliases, columns));
    plan.group_by.push_back(std::move(e));
  }
  for (const OrderItem& o : q.order_by) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, ExpandAliases(*o.expr, aliases, columns));
    plan.order_by.push_back(std::move(e));
    plan.order.push_back(OrderItem{nullptr, o.descending, o.nulls_first, o.collation});
  }
  if (q.having) {
    HEDGEROW_ASSIGN_OR_RETURN(plan.having, ExpandAliases(*q.having, aliases, columns));
  }
  HEDGEROW_ASSIGN_OR_RETURN(plan.limit, ConstantNumber(q.limit, "LIMIT"));
  HEDGEROW_ASSIGN_OR_RETURN(plan.offset, ConstantNumber(q.offset, "OFFSET"));
  plan.has_limit = q.limit != nullptr;

  // Aggregation: GROUP BY, or an aggregate anywhere in SELECT, HAVING or ORDER BY.
  for (const ExprPtr& e : plan.outputs) CollectAggregates(*e, plan.aggregate_calls);
  if (plan.having) CollectAggregates(*plan.having, plan.aggregate_calls);
  for (const ExprPtr& e : plan.order_by) CollectAggregates(*e, plan.aggregate_calls);
  if (plan.where && ContainsAggregate(*plan.where)) return Status::InvalidArgument("Aggregate function found in WHERE");
  plan.aggregating = !plan.group_by.empty() || !plan.aggregate_calls.empty() || plan.having;

  // The columns to read: every column any expression names (one, to count rows, if none).
  std::set<std::string> needed;
  for (const ExprPtr& e : plan.outputs) CollectColumns(*e, columns, needed);
  for (const ExprPtr& e : plan.group_by) CollectColumns(*e, columns, needed);
  for (const ExprPtr& e : plan.order_by) CollectColumns(*e, columns, needed);
  if (plan.where) CollectColumns(*plan.where, columns, needed);
  if (plan.having) CollectColumns(*plan.having, columns, needed);
  if (needed.empty()) needed.insert(plan.table != nullptr ? plan.table->schema().columns[0].name : "dummy");
  plan.scan_columns.assign(needed.begin(), needed.end());
  return RunPlan(plan, context);
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

Result<QueryResult> ExecuteStatement(const Statement& statement, const QueryContext& context) {
  switch (statement.kind) {
    case Statement::Kind::kSelect: return ExecuteSelect(*statement.select, context);
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
