#include "cluster_sql.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "hedgerow/query/function_names.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::cluster {
namespace {

using query::Expr;
using query::SelectQuery;
using query::SelectUnion;
using query::TableExpr;

// The parser bounds nesting; a tree built by hand is bounded here too.
constexpr int kMaxDepth = 1000;

class Printer {
 public:
  explicit Printer(const SqlScope& scope) : scope_(scope) {}

  Status Union(const SelectUnion& u, std::string& out) {
    if (++depth_ > kMaxDepth) return Status::InvalidArgument("the query nests too deeply");
    for (size_t i = 0; i < u.selects.size(); ++i) {
      if (i > 0) out += " UNION ALL ";
      HEDGEROW_RETURN_IF_ERROR(Select(*u.selects[i], out));
    }
    --depth_;
    return Status::Ok();
  }

 private:
  Status Select(const SelectQuery& q, std::string& out) {
    // Names of WITH subqueries, which a FROM could read as tables.
    size_t ctes_before = ctes_.size();
    for (const auto& w : q.with) {
      if (w->kind == Expr::Kind::kSubquery && !w->alias.empty()) ctes_.push_back(w->alias);
    }
    if (!q.with.empty()) {
      out += "WITH ";
      HEDGEROW_RETURN_IF_ERROR(List(q.with, out));
      out += ' ';
    }
    out += q.distinct ? "SELECT DISTINCT " : "SELECT ";
    HEDGEROW_RETURN_IF_ERROR(List(q.columns, out));
    if (q.from) {
      out += " FROM ";
      HEDGEROW_RETURN_IF_ERROR(Table(*q.from, out));
    }
    for (const query::JoinClause& j : q.joins) {
      if (j.kind == query::JoinClause::Kind::kComma) {
        out += ", ";
      } else {
        static const char* kKinds[] = {"INNER", "LEFT", "RIGHT", "FULL", "CROSS", ""};
        static const char* kStrictness[] = {"", "ANY ", "ALL ", "ASOF ", "SEMI ", "ANTI "};
        out += fmt::format(" GLOBAL {}{} JOIN ", kStrictness[static_cast<int>(j.strictness)],
                           kKinds[static_cast<int>(j.kind)]);
      }
      HEDGEROW_RETURN_IF_ERROR(Table(j.table, out));
      if (j.on) {
        out += " ON ";
        HEDGEROW_RETURN_IF_ERROR(Print(*j.on, out));
      }
      if (!j.using_columns.empty()) {
        out += " USING (";
        for (size_t i = 0; i < j.using_columns.size(); ++i) out += (i > 0 ? ", " : "") + QuoteIdentifier(j.using_columns[i]);
        out += ')';
      }
    }
    if (q.array_join) {
      out += q.array_join->left ? " LEFT ARRAY JOIN " : " ARRAY JOIN ";
      HEDGEROW_RETURN_IF_ERROR(List(q.array_join->exprs, out));
    }
    // The tables are subqueries now, which take no PREWHERE: it joins WHERE.
    if (q.prewhere || q.where) {
      out += " WHERE ";
      if (q.prewhere && q.where) out += '(';
      if (q.prewhere) HEDGEROW_RETURN_IF_ERROR(Print(*q.prewhere, out));
      if (q.prewhere && q.where) out += ") AND (";
      if (q.where) HEDGEROW_RETURN_IF_ERROR(Print(*q.where, out));
      if (q.prewhere && q.where) out += ')';
    }
    if (!q.group_by.empty()) {
      out += " GROUP BY ";
      HEDGEROW_RETURN_IF_ERROR(List(q.group_by, out));
      if (q.with_totals) {
        return Status::InvalidArgument("WITH TOTALS is not supported with --store-backend clickhouse yet");
      }
    }
    if (q.having) {
      out += " HAVING ";
      HEDGEROW_RETURN_IF_ERROR(Print(*q.having, out));
    }
    for (size_t i = 0; i < q.order_by.size(); ++i) {
      const query::OrderItem& item = q.order_by[i];
      out += i == 0 ? " ORDER BY " : ", ";
      HEDGEROW_RETURN_IF_ERROR(Print(*item.expr, out));
      out += item.descending ? " DESC" : " ASC";
      if (item.nulls_first) out += *item.nulls_first ? " NULLS FIRST" : " NULLS LAST";
      if (!item.collation.empty()) out += " COLLATE " + query::QuoteStringLiteral(item.collation);
    }
    if (q.limit_by) {
      out += " LIMIT ";
      if (q.limit_by->offset) {
        HEDGEROW_RETURN_IF_ERROR(Print(*q.limit_by->offset, out));
        out += ", ";
      }
      HEDGEROW_RETURN_IF_ERROR(Print(*q.limit_by->limit, out));
      out += " BY ";
      HEDGEROW_RETURN_IF_ERROR(List(q.limit_by->by, out));
    }
    if (q.limit) {
      out += " LIMIT ";
      if (q.offset) {
        HEDGEROW_RETURN_IF_ERROR(Print(*q.offset, out));
        out += ", ";
      }
      HEDGEROW_RETURN_IF_ERROR(Print(*q.limit, out));
    } else if (q.offset) {
      return Status::InvalidArgument("OFFSET without LIMIT is not supported by the cluster's ClickHouse");
    }
    // SETTINGS are not printed: the limits they may lower are sent as the request's settings.
    ctes_.resize(ctes_before);
    return Status::Ok();
  }

  Status Table(const TableExpr& t, std::string& out) {
    std::string alias = t.alias;
    if (t.subquery) {
      out += '(';
      HEDGEROW_RETURN_IF_ERROR(Union(*t.subquery, out));
      out += ')';
    } else if (t.function) {
      // Only numbers(): the others (remote, url, file, ...) reach past the project.
      if (t.function->kind != Expr::Kind::kFunction || t.function->name != "numbers") {
        return Status::InvalidArgument(fmt::format("Unknown table function {}", t.function->name));
      }
      out += "numbers(";
      HEDGEROW_RETURN_IF_ERROR(List(t.function->args, out));
      out += ')';
    } else if ((t.database.empty() || t.database == "system") && t.table == "one") {
      out += "system.one";
    } else if (t.database.empty() &&
               std::find(ctes_.begin(), ctes_.end(), t.table) != ctes_.end()) {
      return Status::InvalidArgument(fmt::format(
          "WITH {} AS (SELECT ...) read as a table is not supported with --store-backend clickhouse yet: "
          "write the subquery in FROM",
          t.table));
    } else if ((t.database.empty() || t.database == "default") && store::FindPostHogTable(t.table) != nullptr) {
      out += fmt::format("(SELECT * FROM {}.{}{} WHERE team_id = {})", QuoteIdentifier(scope_.database),
                         QuoteIdentifier(t.table), t.final ? " FINAL" : "", scope_.team_id);
      if (alias.empty()) alias = t.table;
    } else {
      return Status::InvalidArgument(fmt::format("Table {}.{} doesn't exist.", t.database.empty() ? "default" : t.database,
                                                 t.table));
    }
    HEDGEROW_RETURN_IF_ERROR(CheckName(alias));
    if (!alias.empty()) out += " AS " + QuoteIdentifier(alias);
    if (t.final && (t.subquery || t.function)) return Status::InvalidArgument("FINAL applies to a table only");
    return Status::Ok();
  }

  Status List(const std::vector<query::ExprPtr>& list, std::string& out) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += ", ";
      HEDGEROW_RETURN_IF_ERROR(Print(*list[i], out));
    }
    return Status::Ok();
  }

  void PrintLiteral(const query::Literal& literal, std::string& out) {
    struct Visitor {
      std::string& out;
      void operator()(const query::Null&) const { out += "NULL"; }
      void operator()(bool b) const { out += b ? "1" : "0"; }
      void operator()(int64_t v) const { out += fmt::format("{}", v); }
      void operator()(uint64_t v) const { out += fmt::format("{}", v); }
      void operator()(double v) const {
        if (std::isnan(v)) out += "nan";
        else if (std::isinf(v)) out += v > 0 ? "inf" : "-inf";
        else {
          // ClickHouse reads 1 as UInt8: a whole Float64 keeps its point.
          std::string text = fmt::format("{}", v);
          if (text.find_first_of(".e") == std::string::npos) text += ".0";
          out += text;
        }
      }
      void operator()(const std::string& s) const { out += query::QuoteStringLiteral(s); }
    };
    std::visit(Visitor{out}, literal);
  }

  // The scope is a `team_id = N` inside each table's subquery: no name the query gives may
  // be team_id, or a ClickHouse that carries WITH aliases into subqueries would compare it
  // instead of the column.
  static Status CheckName(std::string_view name) {
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "team_id" || lower.ends_with(".team_id")) {
      return Status::InvalidArgument(fmt::format("the name {} is reserved: it scopes the query to the project", name));
    }
    return Status::Ok();
  }

  Status Print(const Expr& e, std::string& out) {
    if (++depth_ > kMaxDepth) return Status::InvalidArgument("the query nests too deeply");
    HEDGEROW_RETURN_IF_ERROR(CheckName(e.alias));
    for (const std::string& p : e.lambda_params) HEDGEROW_RETURN_IF_ERROR(CheckName(p));
    const bool aliased = !e.alias.empty();
    if (aliased) out += '(';
    switch (e.kind) {
      case Expr::Kind::kLiteral: PrintLiteral(e.literal, out); break;
      case Expr::Kind::kIdentifier:
        for (size_t i = 0; i < e.parts.size(); ++i) out += (i > 0 ? "." : "") + QuoteIdentifier(e.parts[i]);
        break;
      case Expr::Kind::kAsterisk:
        for (const std::string& part : e.parts) out += QuoteIdentifier(part) + ".";
        out += '*';
        break;
      case Expr::Kind::kFunction: HEDGEROW_RETURN_IF_ERROR(Function(e, out)); break;
      case Expr::Kind::kLambda:
        out += '(';
        for (size_t i = 0; i < e.lambda_params.size(); ++i) out += (i > 0 ? ", " : "") + QuoteIdentifier(e.lambda_params[i]);
        out += ") -> ";
        HEDGEROW_RETURN_IF_ERROR(Print(*e.args[0], out));
        break;
      case Expr::Kind::kSubquery:
        out += '(';
        HEDGEROW_RETURN_IF_ERROR(Union(*e.subquery, out));
        out += ')';
        break;
      case Expr::Kind::kParameter:
        return Status::InvalidArgument(fmt::format("Substitution {{{}:{}}} is not set", e.parameter_name, e.type_name));
      case Expr::Kind::kConstant: return Status::Internal("cluster: a planned constant cannot be printed");
    }
    if (aliased) out += ") AS " + QuoteIdentifier(e.alias);
    --depth_;
    return Status::Ok();
  }

  Status Function(const Expr& e, std::string& out) {
    // Only what hedgerow's engine knows: on the cluster, other functions could read past the
    // project (dictGet, joinGet, file, nullIn with a table, ...).
    if (!query::IsKnownFunction(e.name)) return Status::InvalidArgument(fmt::format("Unknown function {}", e.name));
    // between(x, a, b) is ours (x evaluated once); ClickHouse spells it with two comparisons.
    if ((e.name == "between" || e.name == "notBetween") && e.args.size() == 3 && !e.has_params) {
      const bool negated = e.name == "notBetween";
      out += negated ? "((" : "((";
      HEDGEROW_RETURN_IF_ERROR(Print(*e.args[0], out));
      out += negated ? ") < (" : ") >= (";
      HEDGEROW_RETURN_IF_ERROR(Print(*e.args[1], out));
      out += negated ? ") OR (" : ") AND (";
      HEDGEROW_RETURN_IF_ERROR(Print(*e.args[0], out));
      out += negated ? ") > (" : ") <= (";
      HEDGEROW_RETURN_IF_ERROR(Print(*e.args[2], out));
      out += "))";
      return Status::Ok();
    }
    // IN with a subquery or a table: GLOBAL, so that a shard need not hold the right side.
    static const std::set<std::string, std::less<>> kIn = {"in", "notIn", "globalIn", "globalNotIn"};
    if (kIn.count(e.name) != 0 && e.args.size() == 2 &&
        (e.args[1]->kind == Expr::Kind::kSubquery || e.args[1]->kind == Expr::Kind::kIdentifier)) {
      if (e.args[1]->kind == Expr::Kind::kIdentifier) {
        return Status::InvalidArgument("IN a table is not supported with --store-backend clickhouse: write IN (SELECT ...)");
      }
      out += '(';
      HEDGEROW_RETURN_IF_ERROR(Print(*e.args[0], out));
      out += e.name == "in" || e.name == "globalIn" ? ") GLOBAL IN " : ") GLOBAL NOT IN ";
      return Print(*e.args[1], out);
    }
    std::string_view name = e.name;
    // 18.x has no JSONExtract*: one key of a flat object (properties) is what the
    // visitParam functions read (the first "key": in the text, at any depth).
    static const std::map<std::string_view, std::string_view> kVisitParam = {
        {"JSONExtractRaw", "visitParamExtractRaw"},     {"JSONExtractString", "visitParamExtractString"},
        {"JSONExtractInt", "visitParamExtractInt"},     {"JSONExtractUInt", "visitParamExtractUInt"},
        {"JSONExtractFloat", "visitParamExtractFloat"}, {"JSONExtractBool", "visitParamExtractBool"},
        {"JSONHas", "visitParamHas"}};
    if (auto it = kVisitParam.find(name); it != kVisitParam.end() && !scope_.version.json_functions() &&
        e.args.size() == 2 && e.args[1]->kind == Expr::Kind::kLiteral &&
        std::holds_alternative<std::string>(e.args[1]->literal)) {
      name = it->second;
    }
    out += name;
    if (e.has_params) {
      out += '(';
      HEDGEROW_RETURN_IF_ERROR(List(e.params, out));
      out += ')';
    }
    out += e.distinct ? "(DISTINCT " : "(";
    HEDGEROW_RETURN_IF_ERROR(List(e.args, out));
    out += ')';
    return Status::Ok();
  }

  const SqlScope& scope_;
  std::vector<std::string> ctes_;
  int depth_ = 0;
};

}  // namespace

Result<std::string> PrintScopedSelect(const query::SelectUnion& select, const SqlScope& scope) {
  std::string out;
  HEDGEROW_RETURN_IF_ERROR(Printer(scope).Union(select, out));
  return out;
}

}  // namespace hedgerow::cluster
