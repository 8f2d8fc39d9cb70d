#pragma once

// Rewrites of expression trees the planner makes before running them: copies, aliases
// expanded where they are used, computed sub-expressions (aggregates, GROUP BY keys)
// replaced by the names of their columns, and the static type of an expression.

#include <map>
#include <set>
#include <string>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"
#include "hedgerow/query/types.h"

namespace hedgerow::query {

// A copy of the node with its parameters but without its arguments: rewrites fill those
// in as they transform them.
Result<ExprPtr> CloneWithoutArgs(const Expr& e);

// A deep copy (a subquery's tree is shared, not copied: nothing changes it once parsed).
Result<ExprPtr> CloneExpr(const Expr& e);

// `e` with every identifier that names an alias in `aliases` replaced by a copy of the
// aliased expression, recursively, as ClickHouse's: an alias wins over a column of its name,
// except inside its own expression (SELECT x + 1 AS x ... WHERE x = 1 compares x + 1).
Result<ExprPtr> ExpandAliases(const Expr& e, const std::map<std::string, const Expr*>& aliases);

// The dotted name of an identifier ("a", "t.a").
std::string IdentifierName(const Expr& e);
// Adds the names of identifiers in `e` that are in `columns`.
void CollectColumns(const Expr& e, const std::set<std::string>& columns, std::set<std::string>& out);
// Every aggregate call in `e` (outermost only), by FormatExpr text.
void CollectAggregates(const Expr& e, std::map<std::string, const Expr*>& out);
bool ContainsAggregate(const Expr& e);

// `e` with every sub-expression whose FormatExpr text (alias aside) is in `computed`
// replaced by an identifier of that text: evaluated over a chunk holding those columns.
Result<ExprPtr> ReplaceComputed(const Expr& e, const std::set<std::string>& computed);
// FormatExpr without the alias.
std::string ExprText(const Expr& e);

// The type `e` evaluates to over columns of these types (aggregates included).
Result<DataTypePtr> TypeOfExpr(const Expr& e, const std::map<std::string, DataTypePtr>& columns);

}  // namespace hedgerow::query
