#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/query/column.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/parser.h"
#include "query/reference_file.h"
#include "query/aggregate.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

std::shared_ptr<Column> UInt64Column(const std::vector<uint64_t>& v) {
  auto c = MakeColumn(MakeType(TypeId::kUInt64), v.size());
  std::memcpy(c->fixed.data(), v.data(), v.size() * 8);
  return c;
}

}  // namespace

// Not run by default: ./build/tests/hedgerow_query_test "[.bench]" prints the time of each
// aggregate over 2M rows fed in blocks of 65536, as the executor feeds them.
TEST_CASE("aggregates over 2M rows in 100k groups and in one group", "[.bench]") {
  constexpr size_t kRows = 2'000'000, kBlock = 65536;
  std::vector<ColumnPtr> numbers, strings, ones;
  std::vector<std::vector<uint32_t>> many_groups, one_group;
  uint64_t seed = 42;
  for (size_t begin = 0; begin < kRows; begin += kBlock) {
    size_t n = std::min(kBlock, kRows - begin);
    std::vector<uint64_t> v(n);
    std::vector<uint32_t> g(n);
    auto s = MakeColumn(MakeType(TypeId::kString), 0);
    for (size_t i = 0; i < n; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      v[i] = (seed >> 33) % 100000;
      g[i] = static_cast<uint32_t>((seed >> 13) % 100000);
      s->chars += "user-" + std::to_string(v[i]) + "-abcdefghijklmnopqrstuvwxyz";
      s->offsets.push_back(s->chars.size());
    }
    s->rows = n;
    numbers.push_back(UInt64Column(v));
    strings.push_back(s);
    many_groups.push_back(g);
    one_group.push_back(std::vector<uint32_t>(n, 0));
  }
  struct Case {
    const char* name;
    const std::vector<ColumnPtr>* column;
  };
  const Case cases[] = {{"count", nullptr},         {"sum", &numbers},          {"uniqExact", &numbers},
                        {"uniqExact", &strings},    {"uniq", &numbers},         {"uniq", &strings}};
  for (const auto* groups : {&many_groups, &one_group}) {
    for (const Case& c : cases) {
      std::vector<DataTypePtr> types;
      if (c.column != nullptr) types.push_back((*c.column)[0]->type);
      auto aggregate = Aggregate::Make(c.name, {}, types);
      REQUIRE(aggregate.ok());
      auto start = std::chrono::steady_clock::now();
      for (size_t b = 0; b < groups->size(); ++b) {
        std::vector<ColumnPtr> args;
        if (c.column != nullptr) args.push_back((*c.column)[b]);
        (*aggregate)->Add((*groups)[b], args, (*groups)[b].size());
      }
      auto finalized = (*aggregate)->Finalize(groups == &one_group ? 1 : 100000);
      REQUIRE(finalized.ok());
      const ColumnPtr& result = *finalized;
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      WARN(fmt::format("{}({}) {} groups: {:.1f} ms, group 0 = {}", c.name,
                       c.column == nullptr ? "" : (*c.column)[0]->type->Name(), groups == &one_group ? 1 : 100000, ms,
                       FormatValue(*result, 0)));
    }
  }
}

namespace {

// ClickHouse's answer to a reference query of the form
//   SELECT <columns> FROM system.one ARRAY JOIN <array> AS a, <array> AS b ... [GROUP BY g ORDER BY g]
// computed by evaluating each array, feeding its elements as columns to the aggregates and
// formatting the results; a column is an aggregate call, a group key, or one function of an
// aggregate call (toTypeName(sum(x)), arraySort(groupUniqArray(x))). Rows are joined by an
// escaped newline, columns by an escaped tab, as in the reference file; "error" when
// anything refuses.
std::string Answer(const std::string& sql) {
  auto statement = ParseStatement(sql);
  if (!statement.ok()) return "parse error: " + statement.status().message();
  const SelectQuery& select = *statement->select->selects[0];
  Chunk one;
  one.rows = 1;
  Chunk rows;
  for (const ExprPtr& e : select.array_join->exprs) {
    auto array = Evaluate(*e, one);
    if (!array.ok()) return "evaluating the rows: " + array.status().message();
    ColumnPtr full = Materialize(*array);
    rows.names.push_back(e->alias);
    rows.columns.push_back(full->nested[0]);
    rows.rows = full->nested[0]->rows;
  }
  // Groups numbered as they appear; their keys' order for ORDER BY.
  std::vector<uint32_t> groups(rows.rows, 0);
  size_t group_count = 1;
  std::vector<size_t> first_row;  // of each group
  if (!select.group_by.empty()) {
    const ColumnPtr& key = rows.columns[rows.Find(select.group_by[0]->parts[0])];
    std::map<std::string, uint32_t> ids;
    for (size_t r = 0; r < rows.rows; ++r) {
      auto [it, fresh] = ids.try_emplace(FormatValue(*key, r), static_cast<uint32_t>(ids.size()));
      if (fresh) first_row.push_back(r);
      groups[r] = it->second;
    }
    group_count = ids.size();
  }
  std::vector<size_t> order(group_count);
  std::iota(order.begin(), order.end(), 0);
  if (!select.group_by.empty()) {
    const ColumnPtr& key = rows.columns[rows.Find(select.group_by[0]->parts[0])];
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return NumberAt(*key, first_row[a]) < NumberAt(*key, first_row[b]); });
  }
  std::vector<std::vector<std::string>> cells(group_count);
  for (const ExprPtr& column : select.columns) {
    if (column->kind == Expr::Kind::kIdentifier) {
      const ColumnPtr& key = rows.columns[rows.Find(column->parts[0])];
      for (size_t g = 0; g < group_count; ++g) cells[g].push_back(FormatValue(*key, first_row[g]));
      continue;
    }
    const Expr* call = column.get();
    const Expr* wrapper = nullptr;
    if (!Aggregate::IsAggregate(call->name)) {
      wrapper = call;
      call = call->args[0].get();
    }
    std::vector<ColumnPtr> args;
    std::vector<DataTypePtr> types;
    for (const ExprPtr& a : call->args) {
      auto c = Evaluate(*a, rows);
      if (!c.ok()) return "error";
      types.push_back((*c)->type);
      args.push_back(*c);
    }
    auto params = Aggregate::Params(*call);
    if (!params.ok()) return "error";
    auto aggregate = Aggregate::Make(call->name, *params, types);
    if (!aggregate.ok()) return "error";
    (*aggregate)->Add(groups, args, rows.rows);
    auto result = (*aggregate)->Finalize(group_count);
    if (!result.ok()) return "error";
    ColumnPtr out = *result;
    if (wrapper != nullptr && wrapper->name == "toTypeName") {
      for (size_t g = 0; g < group_count; ++g) cells[g].push_back((*aggregate)->ResultType()->Name());
      continue;
    }
    if (wrapper != nullptr) {
      Chunk grouped{.names = {"agg"}, .columns = {out}, .rows = group_count};
      std::vector<ExprPtr> wrapped_args;
      wrapped_args.push_back(std::make_unique<Expr>(Expr{.kind = Expr::Kind::kIdentifier, .parts = {"agg"}}));
      auto value = Evaluate(*MakeFunction(wrapper->name, std::move(wrapped_args), {}), grouped);
      if (!value.ok()) return "error";
      out = *value;
    }
    for (size_t g = 0; g < group_count; ++g) cells[g].push_back(FormatValue(*out, g));
  }
  std::string answer;
  for (size_t i = 0; i < group_count; ++i) {
    if (i > 0) answer += "\\n";
    for (size_t c = 0; c < cells[order[i]].size(); ++c) answer += (c > 0 ? "\\t" : "") + cells[order[i]][c];
  }
  return answer;
}

}  // namespace

TEST_CASE("aggregates agree with clickhouse-server 18.16 on every reference query", "[aggregates]") {
  size_t checked = testing::ForEachReference("aggregates.tsv", [](const std::string& sql, const std::string& expected) {
    INFO(sql);
    CHECK(Answer(sql) == expected);
  });
  CHECK(checked >= 200);
}
