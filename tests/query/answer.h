#pragma once

// What clickhouse-server's TabSeparated answer to a SELECT of expressions would be, computed
// by evaluating the expressions directly (not through the executor), so that the function
// tests exercise the functions alone; compared with the reference files (reference_file.h).

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "hedgerow/query/column.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/parser.h"
#include "query/reference_file.h"

namespace hedgerow::query::testing {

// `sql` is a SELECT of expressions with no FROM (one row) or FROM numbers(n) (n rows of a
// UInt64 column `number`). Rows are joined by an escaped newline and columns by an escaped
// tab, as in the reference files; "error" when parsing or evaluating refuses, "unsupported
// FROM" for any other FROM.
inline std::string Answer(const std::string& sql) {
  auto statement = ParseStatement(sql);
  if (!statement.ok()) return "error";
  const SelectQuery& select = *statement->select->selects[0];
  Chunk chunk;
  chunk.rows = 1;
  if (select.from) {
    const Expr* numbers = select.from->function.get();
    if (numbers == nullptr || numbers->name != "numbers" || numbers->args.size() != 1) return "unsupported FROM";
    const Literal& n = numbers->args[0]->literal;
    if (const auto* u = std::get_if<uint64_t>(&n)) chunk.rows = *u;
    else if (const auto* i = std::get_if<int64_t>(&n); i && *i >= 0) chunk.rows = static_cast<size_t>(*i);
    else return "unsupported FROM";
    auto column = MakeColumn(MakeType(TypeId::kUInt64), chunk.rows);
    for (uint64_t i = 0; i < chunk.rows; ++i) std::memcpy(column->fixed.data() + i * 8, &i, 8);
    chunk.names = {"number"};
    chunk.columns = {column};
  }
  std::vector<ColumnPtr> columns;
  for (const ExprPtr& column : select.columns) {
    auto value = Evaluate(*column, chunk);
    if (!value.ok()) return "error";
    columns.push_back(*value);
  }
  std::string out;
  for (size_t r = 0; r < chunk.rows; ++r) {
    if (r > 0) out += "\\n";
    for (size_t c = 0; c < columns.size(); ++c) out += (c > 0 ? "\\t" : "") + FormatValue(*columns[c], r);
  }
  return out;
}

// Answer() to "SELECT <expression>".
inline std::string Eval(const std::string& expression) { return Answer("SELECT " + expression); }

// Checks Answer() to every query of a reference file against clickhouse-server's answer;
// returns how many queries there were.
inline size_t CheckAnswers(const std::string& file) {
  return ForEachReference(file, [](const std::string& sql, const std::string& expected) {
    INFO(sql);
    CHECK(Answer(sql) == expected);
  });
}

}  // namespace hedgerow::query::testing
