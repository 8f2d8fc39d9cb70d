#pragma once

// The syntax tree of a query in ClickHouse's SELECT dialect, as ClickHouse's own parser
// builds it: every operator is a function call under ClickHouse's name for it (a + b is
// plus(a, b), a[i] is arrayElement(a, i), INTERVAL 1 DAY is toIntervalDay(1), CASE is multiIf or
// caseWithExpression, [..] is array(..), (a, b) is tuple(a, b), x::T is CAST(x, 'T')), so
// the planner and the executor know functions only. Two are ours: x [NOT] BETWEEN a AND b is
// between(x, a, b) / notBetween(x, a, b), so that x is evaluated once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hedgerow::query {

struct Position {
  uint32_t line = 1;    // 1-based
  uint32_t column = 1;  // 1-based, in bytes
};

struct SelectUnion;
struct Column;  // column.h

// A literal: NULL, a boolean, an integer (signed or unsigned, as ClickHouse's smallest fit
// picks later), a float or a string.
struct Null {
  bool operator==(const Null&) const = default;
};
using Literal = std::variant<Null, bool, int64_t, uint64_t, double, std::string>;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind : uint8_t {
    kLiteral,     // literal
    kIdentifier,  // parts: a, t.a, db.t.a
    kAsterisk,    // *, or parts[0].* (parts holds the qualifier)
    kFunction,    // name(args), name(params)(args); operators too
    kLambda,      // lambda_params -> args[0]
    kSubquery,    // (SELECT ...)
    kParameter,   // {name:Type}: parameter_name, type_name
    kConstant,    // a value the planner computed (a subquery's result): constant, named by `name`
  };
  Kind kind = Kind::kLiteral;
  Position position;
  Literal literal;
  std::vector<std::string> parts;
  std::string name;                     // function name as written (case kept)
  std::vector<ExprPtr> args;
  std::vector<ExprPtr> params;          // quantile(0.5)(x): the 0.5
  bool has_params = false;              // quantile()(x) has empty params
  bool distinct = false;                // count(DISTINCT x)
  std::vector<std::string> lambda_params;
  std::shared_ptr<SelectUnion> subquery;  // shared by the copies alias expansion makes
  std::string parameter_name, type_name;
  std::string alias;                    // AS alias, or an implicit alias in a list
  std::shared_ptr<const Column> constant;  // kConstant: one row, is_const
};

// FROM's table: a table (optionally db.table), a subquery or a table function.
struct TableExpr {
  std::string database, table;
  std::unique_ptr<SelectUnion> subquery;
  ExprPtr function;  // numbers(10)
  std::string alias;
  bool final = false;
  Position position;
};

struct JoinClause {
  enum class Kind : uint8_t { kInner, kLeft, kRight, kFull, kCross, kComma };
  enum class Strictness : uint8_t { kDefault, kAny, kAll, kAsof, kSemi, kAnti };
  Kind kind = Kind::kInner;
  Strictness strictness = Strictness::kDefault;
  bool global = false;
  TableExpr table;
  ExprPtr on;
  std::vector<std::string> using_columns;
};

struct ArrayJoinClause {
  bool left = false;
  std::vector<ExprPtr> exprs;  // with their aliases
};

struct OrderItem {
  ExprPtr expr;
  bool descending = false;
  std::optional<bool> nulls_first;  // unset: ClickHouse's default (NULLS LAST)
  std::string collation;
};

struct LimitBy {
  ExprPtr limit;
  ExprPtr offset;  // may be null
  std::vector<ExprPtr> by;
};

struct SelectQuery {
  // WITH expr AS name, ... or WITH name AS (SELECT ...): both as expressions with aliases
  // (a subquery is an Expr of kind kSubquery).
  std::vector<ExprPtr> with;
  bool distinct = false;
  std::vector<ExprPtr> columns;
  std::optional<TableExpr> from;
  std::vector<JoinClause> joins;          // in order, after `from`
  std::optional<ArrayJoinClause> array_join;
  ExprPtr prewhere, where;
  std::vector<ExprPtr> group_by;
  bool with_totals = false;
  ExprPtr having;
  std::vector<OrderItem> order_by;
  std::optional<LimitBy> limit_by;
  ExprPtr limit, offset;
  std::vector<std::pair<std::string, Literal>> settings;
};

struct SelectUnion {
  std::vector<std::unique_ptr<SelectQuery>> selects;  // UNION ALL of these, in order
};

// One statement as sent: a query, or one of the introspection statements tools send first.
struct Statement {
  enum class Kind : uint8_t { kSelect, kShowTables, kShowDatabases, kDescribe, kExists };
  Kind kind = Kind::kSelect;
  std::unique_ptr<SelectUnion> select;  // kSelect
  std::string database, table;          // kDescribe, kExists; kShowTables: FROM db
  std::string like;                     // SHOW TABLES LIKE '...'
  std::string format;                   // FORMAT name, if any
  std::vector<std::pair<std::string, Literal>> settings;  // trailing SETTINGS of the statement
};

// Trees built by hand (the planner's rewrites, the parser's operators).
ExprPtr MakeFunction(std::string name, std::vector<ExprPtr> args, Position position);
ExprPtr MakeLiteral(Literal literal, Position position);

// The expression in ClickHouse's own functional notation, for tests and error messages:
// plus(1, multiply(2, 3)), identifiers joined with dots, strings quoted, aliases as
// "AS name" after the expression.
std::string FormatExpr(const Expr& expr);
// The whole query, one clause after another, each expression as FormatExpr writes it.
std::string FormatSelect(const SelectUnion& select);
std::string FormatLiteral(const Literal& literal);

}  // namespace hedgerow::query
