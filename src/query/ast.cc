#include "hedgerow/query/ast.h"

#include <cmath>

#include <fmt/format.h>

namespace hedgerow::query {
namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string FormatList(const std::vector<ExprPtr>& list) {
  std::string out;
  for (const ExprPtr& e : list) {
    if (!out.empty()) out += ", ";
    out += FormatExpr(*e);
  }
  return out;
}

std::string FormatTable(const TableExpr& t) {
  std::string out;
  if (t.subquery) {
    out = "(" + FormatSelect(*t.subquery) + ")";
  } else if (t.function) {
    out = FormatExpr(*t.function);
  } else {
    out = t.database.empty() ? t.table : t.database + "." + t.table;
  }
  if (!t.alias.empty()) out += " AS " + t.alias;
  if (t.final) out += " FINAL";
  return out;
}

std::string FormatSettings(const std::vector<std::pair<std::string, Literal>>& settings) {
  std::string out;
  for (const auto& [name, value] : settings) {
    if (!out.empty()) out += ", ";
    out += name + " = " + FormatLiteral(value);
  }
  return out;
}

std::string FormatQuery(const SelectQuery& q) {
  std::string out;
  if (!q.with.empty()) out += "WITH " + FormatList(q.with) + " ";
  out += q.distinct ? "SELECT DISTINCT " : "SELECT ";
  out += FormatList(q.columns);
  if (q.from) out += " FROM " + FormatTable(*q.from);
  for (const JoinClause& j : q.joins) {
    if (j.kind == JoinClause::Kind::kComma) {
      out += ", " + FormatTable(j.table);
      continue;
    }
    static const char* kKinds[] = {"INNER", "LEFT", "RIGHT", "FULL", "CROSS", ""};
    static const char* kStrictness[] = {"", "ANY ", "ALL ", "ASOF ", "SEMI ", "ANTI "};
    out += fmt::format(" {}{}{} JOIN {}", j.global ? "GLOBAL " : "", kStrictness[static_cast<int>(j.strictness)],
                       kKinds[static_cast<int>(j.kind)], FormatTable(j.table));
    if (j.on) out += " ON " + FormatExpr(*j.on);
    if (!j.using_columns.empty()) out += " USING (" + Join(j.using_columns, ", ") + ")";
  }
  if (q.array_join) out += (q.array_join->left ? " LEFT ARRAY JOIN " : " ARRAY JOIN ") + FormatList(q.array_join->exprs);
  if (q.prewhere) out += " PREWHERE " + FormatExpr(*q.prewhere);
  if (q.where) out += " WHERE " + FormatExpr(*q.where);
  if (!q.group_by.empty()) out += " GROUP BY " + FormatList(q.group_by) + (q.with_totals ? " WITH TOTALS" : "");
  if (q.having) out += " HAVING " + FormatExpr(*q.having);
  if (!q.order_by.empty()) {
    out += " ORDER BY ";
    for (size_t i = 0; i < q.order_by.size(); ++i) {
      const OrderItem& item = q.order_by[i];
      if (i > 0) out += ", ";
      out += FormatExpr(*item.expr) + (item.descending ? " DESC" : " ASC");
      if (item.nulls_first) out += *item.nulls_first ? " NULLS FIRST" : " NULLS LAST";
      if (!item.collation.empty()) out += " COLLATE " + FormatLiteral(item.collation);
    }
  }
  if (q.limit_by) {
    out += " LIMIT " + FormatExpr(*q.limit_by->limit);
    if (q.limit_by->offset) out += " OFFSET " + FormatExpr(*q.limit_by->offset);
    out += " BY " + FormatList(q.limit_by->by);
  }
  if (q.limit) out += " LIMIT " + FormatExpr(*q.limit);
  if (q.offset) out += " OFFSET " + FormatExpr(*q.offset);
  if (!q.settings.empty()) out += " SETTINGS " + FormatSettings(q.settings);
  return out;
}

}  // namespace

std::string FormatLiteral(const Literal& literal) {
  struct Visitor {
    std::string operator()(const Null&) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(uint64_t u) const { return std::to_string(u); }
    std::string operator()(double d) const {
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      return fmt::format("{}", d);
    }
    std::string operator()(const std::string& s) const {
      std::string out = "'";
      for (char c : s) {
        if (c == '\'' || c == '\\') out += '\\';
        if (c == '\n') {
          out += "\\n";
          continue;
        }
        out += c;
      }
      return out + "'";
    }
  };
  return std::visit(Visitor{}, literal);
}

std::string FormatExpr(const Expr& e) {
  std::string out;
  switch (e.kind) {
    case Expr::Kind::kLiteral: out = FormatLiteral(e.literal); break;
    case Expr::Kind::kIdentifier: out = Join(e.parts, "."); break;
    case Expr::Kind::kAsterisk: out = e.parts.empty() ? "*" : Join(e.parts, ".") + ".*"; break;
    case Expr::Kind::kFunction:
      out = e.name;
      if (e.has_params) out += "(" + FormatList(e.params) + ")";
      out += "(" + std::string(e.distinct ? "DISTINCT " : "") + FormatList(e.args) + ")";
      break;
    case Expr::Kind::kLambda:
      out = "lambda(tuple(" + Join(e.lambda_params, ", ") + "), " + FormatExpr(*e.args[0]) + ")";
      break;
    case Expr::Kind::kSubquery: out = "(" + FormatSelect(*e.subquery) + ")"; break;
    case Expr::Kind::kParameter: out = "{" + e.parameter_name + ":" + e.type_name + "}"; break;
    case Expr::Kind::kConstant: out = e.name; break;
  }
  if (!e.alias.empty()) out += " AS " + e.alias;
  return out;
}

std::string FormatSelect(const SelectUnion& select) {
  std::string out;
  for (const auto& q : select.selects) {
    if (!out.empty()) out += " UNION ALL ";
    out += FormatQuery(*q);
  }
  return out;
}

}  // namespace hedgerow::query
