#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "hedgerow/query/parser.h"
#include "hedgerow/query/types.h"

namespace hedgerow::query {
namespace {

Result<Literal> ValueAs(const std::string& name, const std::string& text, const DataType& type) {
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format("Value '{}' of query parameter {} is not a {}", text, name, type.Name()));
  };
  if (type.id == TypeId::kNullable) {
    if (text == "\\N") return Literal(Null{});
    return ValueAs(name, text, *type.nested[0]);
  }
  if (type.id == TypeId::kString) return Literal(text);
  if (type.IsInteger()) {
    if (type.IsSigned()) {
      int64_t v = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (error != std::errc() || end != text.data() + text.size() || text.empty()) return bad();
      return Literal(v);
    }
    uint64_t v = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return bad();
    return Literal(v);
  }
  if (type.IsFloat()) {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) return bad();
    return Literal(v);
  }
  return Status::InvalidArgument(
      fmt::format("Query parameters of type {} are not supported yet (parameter {})", type.Name(), name));
}

Status Bind(ExprPtr& e, const std::map<std::string, std::string>& values);
Status BindUnion(SelectUnion& u, const std::map<std::string, std::string>& values);

Status BindAll(std::vector<ExprPtr>& list, const std::map<std::string, std::string>& values) {
  for (ExprPtr& e : list) HEDGEROW_RETURN_IF_ERROR(Bind(e, values));
  return Status::Ok();
}

Status Bind(ExprPtr& e, const std::map<std::string, std::string>& values) {
  if (!e) return Status::Ok();
  if (e->kind == Expr::Kind::kParameter) {
    auto it = values.find(e->parameter_name);
    if (it == values.end()) {
      return Status::InvalidArgument(fmt::format("Query parameter `{}` was not set", e->parameter_name));
    }
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr type, ParseDataType(e->type_name));
    HEDGEROW_ASSIGN_OR_RETURN(Literal value, ValueAs(e->parameter_name, it->second, *type));
    std::string alias = e->alias;
    e = MakeLiteral(std::move(value), e->position);
    e->alias = std::move(alias);
    return Status::Ok();
  }
  if (e->subquery) HEDGEROW_RETURN_IF_ERROR(BindUnion(*e->subquery, values));
  HEDGEROW_RETURN_IF_ERROR(BindAll(e->args, values));
  return BindAll(e->params, values);
}

Status BindUnion(SelectUnion& u, const std::map<std::string, std::string>& values) {
  for (auto& q : u.selects) {
    HEDGEROW_RETURN_IF_ERROR(BindAll(q->with, values));
    HEDGEROW_RETURN_IF_ERROR(BindAll(q->columns, values));
    auto bind_table = [&](TableExpr& t) -> Status {
      if (t.subquery) HEDGEROW_RETURN_IF_ERROR(BindUnion(*t.subquery, values));
      return Bind(t.function, values);
    };
    if (q->from) HEDGEROW_RETURN_IF_ERROR(bind_table(*q->from));
    for (JoinClause& j : q->joins) {
      HEDGEROW_RETURN_IF_ERROR(bind_table(j.table));
      HEDGEROW_RETURN_IF_ERROR(Bind(j.on, values));
    }
    if (q->array_join) HEDGEROW_RETURN_IF_ERROR(BindAll(q->array_join->exprs, values));
    HEDGEROW_RETURN_IF_ERROR(Bind(q->prewhere, values));
    HEDGEROW_RETURN_IF_ERROR(Bind(q->where, values));
    HEDGEROW_RETURN_IF_ERROR(BindAll(q->group_by, values));
    HEDGEROW_RETURN_IF_ERROR(Bind(q->having, values));
    for (OrderItem& o : q->order_by) HEDGEROW_RETURN_IF_ERROR(Bind(o.expr, values));
    if (q->limit_by) {
      HEDGEROW_RETURN_IF_ERROR(Bind(q->limit_by->limit, values));
      HEDGEROW_RETURN_IF_ERROR(Bind(q->limit_by->offset, values));
      HEDGEROW_RETURN_IF_ERROR(BindAll(q->limit_by->by, values));
    }
    HEDGEROW_RETURN_IF_ERROR(Bind(q->limit, values));
    HEDGEROW_RETURN_IF_ERROR(Bind(q->offset, values));
  }
  return Status::Ok();
}

}  // namespace

Status BindParameters(Statement& statement, const std::map<std::string, std::string>& values) {
  if (!statement.select) return Status::Ok();
  return BindUnion(*statement.select, values);
}

}  // namespace hedgerow::query
