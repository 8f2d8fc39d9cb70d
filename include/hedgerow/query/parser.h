#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"

namespace hedgerow::query {

// Parentheses, brackets, function calls and subqueries nested deeper than this are refused
// (the parser recurses once per level; ClickHouse's max_parser_depth bounds the same).
inline constexpr size_t kMaxParserDepth = 256;
// Longer texts are refused before they are read (ClickHouse's max_query_size is 256 KiB).
inline constexpr size_t kMaxQueryBytes = 1 << 20;

// Parses one statement of ClickHouse's dialect: SELECT (with WITH, DISTINCT, FROM ... FINAL,
// JOIN, ARRAY JOIN, PREWHERE, WHERE, GROUP BY ... WITH TOTALS, HAVING, ORDER BY, LIMIT BY,
// LIMIT/OFFSET, SETTINGS, UNION ALL, FORMAT), SHOW TABLES, SHOW DATABASES, DESCRIBE, EXISTS;
// an optional trailing ';'. Operators follow ClickHouse's precedence (see ast.h for their
// function names). Errors are kInvalidArgument:
//   "Syntax error at line L, column C: expected X, got Y" for text that does not parse;
//   "Cannot execute INSERT: queries are read-only" for statements that would write
//   (INSERT, ALTER, CREATE, DROP, ...), so a client gets its refusal as a 4xx.
Result<Statement> ParseStatement(std::string_view sql);

// One expression alone (e.g. a HogQL filter), the whole text.
Result<ExprPtr> ParseExpression(std::string_view sql);

// `text` as a string literal of this dialect ('...' with \\, \' and control characters escaped),
// which ParseExpression reads back as exactly `text`: for SQL built from user values.
std::string QuoteStringLiteral(std::string_view text);

// Replaces every {name:Type} placeholder with the literal `values[name]` read as Type
// (String, or a number type; Nullable(T) also takes \N for NULL), as ClickHouse's HTTP
// interface binds param_name=... InvalidArgument naming a placeholder without a value or
// a value that is not of its type.
Status BindParameters(Statement& statement, const std::map<std::string, std::string>& values);

}  // namespace hedgerow::query
