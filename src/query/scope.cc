#include "scope.h"

#include <algorithm>

#include <fmt/format.h>

#include "rewrite.h"

namespace hedgerow::query {
namespace {

bool IsInFunction(std::string_view name) {
  return name == "in" || name == "notIn" || name == "globalIn" || name == "globalNotIn";
}

Result<ExprPtr> Resolve(const Expr& e, const Scope& scope, const SubqueryRunner& run, std::set<std::string>& bound) {
  if (e.kind == Expr::Kind::kIdentifier) {
    auto out = std::make_unique<Expr>();
    out->kind = Expr::Kind::kIdentifier;
    out->position = e.position;
    out->alias = e.alias;
    std::string name = IdentifierName(e);
    std::string internal = bound.count(name) ? "" : scope.Resolve(e.parts);
    out->parts = internal.empty() ? e.parts : std::vector<std::string>{internal};
    return out;
  }
  if (e.kind == Expr::Kind::kSubquery) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr value, run(*e.subquery, false));
    value->alias = e.alias;
    return value;
  }
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr out, CloneWithoutArgs(e));
  if (e.distinct && (e.name == "count" || e.name == "COUNT")) {
    // count(DISTINCT x) is uniqExact(x), as ClickHouse's count_distinct_implementation.
    out->name = "uniqExact";
    out->distinct = false;
  } else if (e.distinct) {
    return Status::InvalidArgument(fmt::format("{}(DISTINCT ...) is not supported: only count(DISTINCT ...) is", e.name));
  }
  if ((e.name == "count" || e.name == "COUNT") && e.args.size() == 1 && e.args[0]->kind == Expr::Kind::kAsterisk) {
    return out;  // count(*) is count()
  }
  std::vector<std::string> newly_bound;
  for (const std::string& p : e.lambda_params) {
    if (bound.insert(p).second) newly_bound.push_back(p);
  }
  for (size_t i = 0; i < e.args.size(); ++i) {
    const Expr& a = *e.args[i];
    if (i == 1 && e.kind == Expr::Kind::kFunction && IsInFunction(e.name) && a.kind == Expr::Kind::kSubquery) {
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr set, run(*a.subquery, true));
      out->args.push_back(std::move(set));
      continue;
    }
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr r, Resolve(a, scope, run, bound));
    out->args.push_back(std::move(r));
  }
  for (const std::string& p : newly_bound) bound.erase(p);
  return out;
}

void CollectInputs(const Expr& e, const Scope& scope, std::set<size_t>& out) {
  if (e.kind == Expr::Kind::kIdentifier && e.parts.size() == 1) {
    for (const ScopeColumn& c : scope.columns()) {
      if (c.internal == e.parts[0]) out.insert(c.input);
    }
  }
  for (const ExprPtr& a : e.args) CollectInputs(*a, scope, out);
}

}  // namespace

void Scope::AddInput(const std::vector<std::string>& qualifiers, const std::vector<std::string>& names,
                     const std::vector<DataTypePtr>& types, const std::set<std::string>& hidden) {
  const size_t input = qualifiers_.size();
  qualifiers_.push_back(qualifiers);
  std::set<std::string> taken;
  for (const ScopeColumn& c : columns_) taken.insert(c.internal);
  for (size_t i = 0; i < names.size(); ++i) {
    if (hidden.count(names[i])) continue;
    std::string internal = names[i];
    if (taken.count(internal)) {
      internal = (qualifiers.empty() ? std::string("_") : qualifiers[0]) + "." + names[i];
      for (int n = 2; taken.count(internal); ++n) internal = fmt::format("{}.{}_{}", qualifiers.empty() ? "_" : qualifiers[0], names[i], n);
    }
    taken.insert(internal);
    columns_.push_back(ScopeColumn{names[i], internal, types[i], input});
  }
}

void Scope::AddColumn(const std::string& name, DataTypePtr type) {
  for (ScopeColumn& c : columns_) {
    if (c.internal == name) {
      c.type = std::move(type);
      return;
    }
  }
  columns_.push_back(ScopeColumn{name, name, std::move(type), qualifiers_.size()});
}

bool Scope::Qualifies(size_t input, const std::string& qualifier) const {
  if (input >= qualifiers_.size()) return false;
  const auto& q = qualifiers_[input];
  return std::find(q.begin(), q.end(), qualifier) != q.end();
}

std::string Scope::Resolve(const std::vector<std::string>& parts) const {
  // A qualified name: db.t.x or t.x, when the qualifier names an input.
  for (size_t skip : {size_t{2}, size_t{1}}) {
    if (parts.size() <= skip) continue;
    std::string qualifier = parts[0];
    for (size_t i = 1; i < skip; ++i) qualifier += "." + parts[i];
    std::string rest = parts[skip];
    for (size_t i = skip + 1; i < parts.size(); ++i) rest += "." + parts[i];
    for (const ScopeColumn& c : columns_) {
      if (c.name == rest && Qualifies(c.input, qualifier)) return c.internal;
    }
  }
  std::string name = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) name += "." + parts[i];
  for (const ScopeColumn& c : columns_) {
    if (c.internal == name) return c.internal;
  }
  for (const ScopeColumn& c : columns_) {
    if (c.name == name) return c.internal;
  }
  return "";
}

std::map<std::string, DataTypePtr> Scope::Types() const {
  std::map<std::string, DataTypePtr> out;
  for (const ScopeColumn& c : columns_) out[c.internal] = c.type;
  return out;
}

Result<ExprPtr> ResolveExpr(const Expr& e, const Scope& scope, const SubqueryRunner& run_subquery) {
  std::set<std::string> bound;
  return Resolve(e, scope, run_subquery, bound);
}

std::set<size_t> InputsOf(const Expr& e, const Scope& scope) {
  std::set<size_t> out;
  CollectInputs(e, scope, out);
  return out;
}

}  // namespace hedgerow::query
