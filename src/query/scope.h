#pragma once

// The names a SELECT's expressions can use: the columns of its inputs (FROM and each
// JOIN), qualified or not, and the rewrites that turn what a query wrote into what the
// executor evaluates: identifiers resolved to chunk column names, subqueries run and
// replaced by their results.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/types.h"

namespace hedgerow::query {

struct ScopeColumn {
  std::string name;      // as its input names it
  std::string internal;  // the chunk column: `name`, or "q.name" when an earlier input has `name`
  DataTypePtr type;
  size_t input = 0;
};

class Scope {
 public:
  // Adds an input's columns; `hidden` ones (a JOIN's USING columns) resolve to the left's.
  void AddInput(const std::vector<std::string>& qualifiers, const std::vector<std::string>& names,
                const std::vector<DataTypePtr>& types, const std::set<std::string>& hidden = {});
  // A column that is not an input's (an ARRAY JOIN alias); replaces one of the same name.
  void AddColumn(const std::string& name, DataTypePtr type);

  // The chunk column `parts` names ("x", "t.x", "db.t.x"), or "" when none.
  std::string Resolve(const std::vector<std::string>& parts) const;
  const std::vector<ScopeColumn>& columns() const { return columns_; }
  size_t inputs() const { return qualifiers_.size(); }
  // True when `qualifier` names input `input`.
  bool Qualifies(size_t input, const std::string& qualifier) const;
  std::map<std::string, DataTypePtr> Types() const;

 private:
  std::vector<ScopeColumn> columns_;
  std::vector<std::vector<std::string>> qualifiers_;
};

// Runs a subquery for the rewrites below: its result as a one-row constant.
using SubqueryRunner = std::function<Result<ExprPtr>(const SelectUnion& subquery, bool as_set)>;

// `e` with identifiers resolved through `scope` (lambda parameters left alone), and each
// subquery replaced: the right side of IN by the set of its rows, any other by its one
// value (a scalar subquery).
Result<ExprPtr> ResolveExpr(const Expr& e, const Scope& scope, const SubqueryRunner& run_subquery);

// The indexes of the inputs whose columns `e` uses.
std::set<size_t> InputsOf(const Expr& e, const Scope& scope);

}  // namespace hedgerow::query
