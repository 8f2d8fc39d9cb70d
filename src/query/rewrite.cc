#include "rewrite.h"

#include <fmt/format.h>

#include "aggregate.h"
#include "functions_lambda.h"
#include "hedgerow/query/functions.h"

namespace hedgerow::query {

Result<ExprPtr> CloneWithoutArgs(const Expr& e) {
  auto out = std::make_unique<Expr>();
  out->kind = e.kind;
  out->position = e.position;
  out->literal = e.literal;
  out->parts = e.parts;
  out->name = e.name;
  out->has_params = e.has_params;
  out->distinct = e.distinct;
  out->lambda_params = e.lambda_params;
  out->parameter_name = e.parameter_name;
  out->type_name = e.type_name;
  out->alias = e.alias;
  out->constant = e.constant;
  out->subquery = e.subquery;
  for (const ExprPtr& p : e.params) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr copy, CloneExpr(*p));
    out->params.push_back(std::move(copy));
  }
  return out;
}

Result<ExprPtr> CloneExpr(const Expr& e) {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr out, CloneWithoutArgs(e));
  for (const ExprPtr& a : e.args) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr copy, CloneExpr(*a));
    out->args.push_back(std::move(copy));
  }
  return out;
}

std::string IdentifierName(const Expr& e) {
  std::string name;
  for (const std::string& part : e.parts) name += (name.empty() ? "" : ".") + part;
  return name;
}

std::string ExprText(const Expr& e) {
  if (e.alias.empty()) return FormatExpr(e);
  // FormatExpr ends with " AS alias": strip it rather than copy the tree.
  std::string text = FormatExpr(e);
  return text.substr(0, text.size() - e.alias.size() - 4);
}

namespace {

Result<ExprPtr> Expand(const Expr& e, const std::map<std::string, const Expr*>& aliases, std::set<std::string>& expanding,
                       int depth) {
  if (depth > 256) return Status::InvalidArgument("Aliases nest too deep");
  if (e.kind == Expr::Kind::kIdentifier) {
    std::string name = IdentifierName(e);
    auto it = aliases.find(name);
    if (it != aliases.end() && expanding.count(name) == 0 && it->second != &e) {
      // Inside its own expression a name is the column again: SELECT x + 1 AS x ... WHERE x.
      expanding.insert(name);
      Result<ExprPtr> expanded = Expand(*it->second, aliases, expanding, depth + 1);
      expanding.erase(name);
      HEDGEROW_RETURN_IF_ERROR(expanded.status());
      (*expanded)->alias.clear();
      return std::move(*expanded);
    }
  }
  const bool own = !e.alias.empty() && expanding.insert(e.alias).second;
  Result<ExprPtr> out = CloneWithoutArgs(e);
  for (size_t i = 0; out.ok() && i < e.args.size(); ++i) {
    Result<ExprPtr> expanded = Expand(*e.args[i], aliases, expanding, depth + 1);
    if (!expanded.ok()) {
      out = expanded.status();
      break;
    }
    (*out)->args.push_back(std::move(*expanded));
  }
  if (own) expanding.erase(e.alias);
  return out;
}

}  // namespace

Result<ExprPtr> ExpandAliases(const Expr& e, const std::map<std::string, const Expr*>& aliases) {
  std::set<std::string> expanding;
  return Expand(e, aliases, expanding, 0);
}

void CollectColumns(const Expr& e, const std::set<std::string>& columns, std::set<std::string>& out) {
  if (e.kind == Expr::Kind::kIdentifier) {
    std::string name = IdentifierName(e);
    if (columns.count(name)) out.insert(name);
  }
  for (const ExprPtr& a : e.args) CollectColumns(*a, columns, out);
}

void CollectAggregates(const Expr& e, std::map<std::string, const Expr*>& out) {
  if (e.kind == Expr::Kind::kFunction && Aggregate::IsAggregate(e.name)) {
    out.emplace(ExprText(e), &e);
    return;
  }
  for (const ExprPtr& a : e.args) CollectAggregates(*a, out);
}

bool ContainsAggregate(const Expr& e) {
  std::map<std::string, const Expr*> found;
  CollectAggregates(e, found);
  return !found.empty();
}

Result<ExprPtr> ReplaceComputed(const Expr& e, const std::set<std::string>& computed) {
  std::string text = ExprText(e);
  if (e.kind != Expr::Kind::kLiteral && computed.count(text)) {
    auto id = std::make_unique<Expr>();
    id->kind = Expr::Kind::kIdentifier;
    id->parts = {text};
    id->position = e.position;
    id->alias = e.alias;
    return id;
  }
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr out, CloneWithoutArgs(e));
  for (const ExprPtr& a : e.args) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr replaced, ReplaceComputed(*a, computed));
    out->args.push_back(std::move(replaced));
  }
  return out;
}

Result<DataTypePtr> TypeOfExpr(const Expr& e, const std::map<std::string, DataTypePtr>& columns) {
  switch (e.kind) {
    case Expr::Kind::kLiteral: return LiteralType(e.literal);
    case Expr::Kind::kConstant: return e.constant->type;
    case Expr::Kind::kIdentifier: {
      auto it = columns.find(IdentifierName(e));
      if (it == columns.end()) return Status::InvalidArgument(fmt::format("Missing columns: '{}'", IdentifierName(e)));
      return it->second;
    }
    case Expr::Kind::kFunction: {
      if (!e.args.empty() && e.args[0]->kind == Expr::Kind::kLambda) return HigherOrderReturnType(e, columns);
      std::vector<DataTypePtr> args;
      for (const ExprPtr& a : e.args) {
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*a, columns));
        args.push_back(std::move(t));
      }
      if (Aggregate::IsAggregate(e.name)) {
        HEDGEROW_ASSIGN_OR_RETURN(std::vector<Literal> params, Aggregate::Params(e));
        HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<Aggregate> aggregate, Aggregate::Make(e.name, params, args));
        return aggregate->ResultType();
      }
      return FunctionReturnType(e.name, args);
    }
    default: return Status::InvalidArgument(fmt::format("{} is not supported here yet", FormatExpr(e)));
  }
}

}  // namespace hedgerow::query
