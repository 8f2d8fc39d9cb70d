#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/query/column.h"
#include "query/aggregate.h"
#include "query/dispatch.h"
#include "query/group_by.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

using Path = GroupIndex::Path;

// `rows` random values of `type` drawn from about `distinct` values, so that keys repeat
// (and runs of equal keys occur); about one in `null_every` rows NULL when Nullable. Strings
// include the empty string and strings that are prefixes of one another; numbers include 0
// (the value a NULL's slot holds); floats include -0.0 and NaN.
ColumnPtr RandomColumn(const DataTypePtr& type, size_t rows, uint64_t distinct, std::mt19937_64& rng, size_t null_every = 5) {
  auto pick = [&] { return rng() % distinct; };
  switch (type->id) {
    case TypeId::kNullable: {
      auto c = MakeColumn(type, rows);
      c->nulls.resize(rows);
      for (size_t r = 0; r < rows; ++r) c->nulls[r] = rng() % null_every == 0;
      c->nested.push_back(RandomColumn(type->nested[0], rows, distinct, rng));
      return c;
    }
    case TypeId::kString: {
      auto c = MakeColumn(type, rows);
      for (size_t r = 0; r < rows; ++r) {
        const uint64_t v = pick();
        c->chars += v == 0 ? std::string() : std::string(v % 7, 'a') + std::to_string(v / 7);
        c->offsets.push_back(c->chars.size());
      }
      return c;
    }
    case TypeId::kArray: {
      auto c = MakeColumn(type, rows);
      auto elements = MakeColumn(type->nested[0], 0);
      for (size_t r = 0; r < rows; ++r) {
        for (uint64_t i = pick() % 3; i > 0; --i) {
          elements->fixed.push_back(static_cast<uint8_t>(pick()));
          ++elements->rows;
        }
        c->offsets.push_back(elements->rows);
      }
      c->nested.push_back(std::move(elements));
      return c;
    }
    default: {
      const size_t width = FixedValueWidth(*type);
      auto c = MakeColumn(type, rows);
      for (size_t r = 0; r < rows; ++r) {
        uint64_t v = pick();
        uint8_t* at = c->fixed.data() + r * width;
        if (type->id == TypeId::kFloat64) {
          const double d = v == 1 ? -0.0 : v == 2 ? std::nan("") : static_cast<double>(v) / 4;
          std::memcpy(at, &d, 8);
        } else if (width == 16) {
          const uint64_t halves[2] = {v * 0x9E3779B97F4A7C15ULL, v};
          std::memcpy(at, halves, 16);
        } else {
          std::memcpy(at, &v, width);  // the low bytes: small values collide in narrow types
        }
      }
      return c;
    }
  }
}

std::vector<ColumnPtr> RandomKeys(const std::vector<DataTypePtr>& types, size_t rows, uint64_t distinct, std::mt19937_64& rng) {
  std::vector<ColumnPtr> keys;
  for (const DataTypePtr& t : types) keys.push_back(RandomColumn(t, rows, distinct, rng));
  return keys;
}

std::vector<std::string> Formatted(const std::vector<ColumnPtr>& columns, size_t rows) {
  std::vector<std::string> out(rows);
  for (size_t r = 0; r < rows; ++r) {
    for (const ColumnPtr& c : columns) out[r] += FormatValue(*c, r) + "|";
  }
  return out;
}

// Maps the same chunks through the chosen path and the generic one: both number groups in
// order of first appearance, so the ids and the key columns must be identical.
void CompareWithGeneric(const std::vector<DataTypePtr>& types, Path expected, size_t chunks, size_t rows, uint64_t distinct,
                        uint64_t seed) {
  CAPTURE(expected, rows, distinct, seed);
  std::mt19937_64 rng(seed);
  GroupIndex fast(types), generic(types, true);
  REQUIRE(fast.path() == expected);
  REQUIRE(generic.path() == (types.empty() ? Path::kNone : Path::kGeneric));
  std::vector<uint32_t> a, b;
  for (size_t i = 0; i < chunks; ++i) {
    std::vector<ColumnPtr> keys = RandomKeys(types, rows, distinct, rng);
    fast.Map(keys, rows, a);
    generic.Map(keys, rows, b);
    REQUIRE(a.size() == rows);
    REQUIRE(a == b);
  }
  REQUIRE(fast.size() == generic.size());
  const std::vector<ColumnPtr> fast_keys = fast.KeyColumns(), generic_keys = generic.KeyColumns();
  REQUIRE(fast_keys.size() == types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    REQUIRE(fast_keys[i]->rows == fast.size());
    REQUIRE(fast_keys[i]->type->Name() == types[i]->Name());
  }
  REQUIRE(Formatted(fast_keys, fast.size()) == Formatted(generic_keys, generic.size()));
}

DataTypePtr T(TypeId id) { return MakeType(id); }
DataTypePtr N(TypeId id) { return MakeNullable(MakeType(id)); }

}  // namespace

TEST_CASE("each key type takes its path and maps as the generic path does", "[group_by]") {
  struct Case {
    std::vector<DataTypePtr> types;
    Path path;
  };
  const std::vector<Case> cases = {
      {{T(TypeId::kUInt8)}, Path::kDirect},
      {{T(TypeId::kDate)}, Path::kDirect},
      {{N(TypeId::kUInt8)}, Path::kDirect},
      {{T(TypeId::kInt8), T(TypeId::kUInt8)}, Path::kDirect},
      {{T(TypeId::kUInt16)}, Path::kDirect},
      {{T(TypeId::kUInt32)}, Path::kFixed8},
      {{T(TypeId::kDateTime)}, Path::kFixed8},
      {{T(TypeId::kInt64)}, Path::kFixed8},
      {{T(TypeId::kDateTime64)}, Path::kFixed8},
      {{T(TypeId::kFloat64)}, Path::kFixed8},
      {{N(TypeId::kInt32)}, Path::kFixed8},
      {{T(TypeId::kDate), T(TypeId::kUInt8), N(TypeId::kUInt32)}, Path::kFixed8},
      {{N(TypeId::kUInt64)}, Path::kFixed16},
      {{T(TypeId::kUuid)}, Path::kFixed16},
      {{T(TypeId::kUInt64), T(TypeId::kInt64)}, Path::kFixed16},
      {{T(TypeId::kDate), N(TypeId::kUInt8), T(TypeId::kUInt64), N(TypeId::kUInt16)}, Path::kFixed16},
      {{T(TypeId::kString)}, Path::kString},
      {{N(TypeId::kString)}, Path::kString},
      {{T(TypeId::kString), T(TypeId::kUInt8)}, Path::kGeneric},
      {{N(TypeId::kString), N(TypeId::kString)}, Path::kGeneric},
      {{MakeNullable(T(TypeId::kUuid))}, Path::kGeneric},  // 17 bytes: too wide to pack
      {{T(TypeId::kUInt64), T(TypeId::kUInt64), T(TypeId::kUInt8)}, Path::kGeneric},
      {{MakeArray(T(TypeId::kUInt8))}, Path::kGeneric},
  };
  uint64_t seed = 1;
  for (const Case& c : cases) {
    CAPTURE(c.types.size(), c.types[0]->Name());
    CompareWithGeneric(c.types, c.path, 1, 1000, 1, seed++);     // one group (and NULLs)
    CompareWithGeneric(c.types, c.path, 4, 2000, 30, seed++);    // a few groups, repeated
    CompareWithGeneric(c.types, c.path, 3, 3000, 5000, seed++);  // mostly distinct, tables grow
  }
}

TEST_CASE("a million groups of numbers and of strings", "[group_by]") {
  CompareWithGeneric({T(TypeId::kUInt64)}, Path::kFixed8, 1, 1'000'000, UINT64_MAX, 7);
  CompareWithGeneric({T(TypeId::kString)}, Path::kString, 1, 1'000'000, UINT64_MAX, 8);
}

TEST_CASE("NULL, zero, the empty string and -0.0 are groups of their own", "[group_by]") {
  // Nullable(UInt8): NULL (its slot holding 7), 0, NULL (slot 0), 7.
  auto nullable = MakeColumn(N(TypeId::kUInt8), 4);
  nullable->nulls = {1, 0, 1, 0};
  auto values = MakeColumn(T(TypeId::kUInt8), 4);
  values->fixed = {7, 0, 0, 7};
  nullable->nested.push_back(values);
  // Nullable(String): NULL, '', NULL, 'a'.
  auto strings = MakeColumn(N(TypeId::kString), 4);
  strings->nulls = {1, 0, 1, 0};
  auto chars = MakeColumn(T(TypeId::kString), 4);
  chars->chars = "a";
  chars->offsets = {0, 0, 0, 1};
  strings->nested.push_back(chars);
  for (const ColumnPtr& c : {ColumnPtr(nullable), ColumnPtr(strings)}) {
    GroupIndex index({c->type});
    std::vector<uint32_t> groups;
    index.Map({c}, 4, groups);
    CHECK(groups == std::vector<uint32_t>{0, 1, 0, 2});
    REQUIRE(index.size() == 3);
    CHECK(Formatted(index.KeyColumns(), 3) == std::vector<std::string>{"\\N|", c == strings ? "|" : "0|", c == strings ? "a|" : "7|"});
  }
  auto floats = MakeColumn(T(TypeId::kFloat64), 3);
  const double f[3] = {0.0, -0.0, 0.0};
  std::memcpy(floats->fixed.data(), f, sizeof f);
  GroupIndex index({floats->type});
  std::vector<uint32_t> groups;
  index.Map({floats}, 3, groups);
  CHECK(groups == std::vector<uint32_t>{0, 1, 0});  // by their bits, as the generic path
}

TEST_CASE("constant keys are read in place", "[group_by]") {
  for (const Literal& literal : {Literal(int64_t{5}), Literal(std::string("x")), Literal(Null{})}) {
    auto constant = MakeConstColumn(literal, 100);
    REQUIRE(constant.ok());
    GroupIndex fast({(*constant)->type}), generic({(*constant)->type}, true);
    std::vector<uint32_t> a, b;
    fast.Map({*constant}, 100, a);
    generic.Map({*constant}, 100, b);
    CHECK(a == std::vector<uint32_t>(100, 0));
    CHECK(a == b);
    CHECK(Formatted(fast.KeyColumns(), 1) == Formatted(generic.KeyColumns(), 1));
  }
}

TEST_CASE("merging indexes numbers groups as one index fed both inputs", "[group_by]") {
  const std::vector<std::vector<DataTypePtr>> key_sets = {
      {}, {T(TypeId::kUInt8)}, {T(TypeId::kInt64)}, {T(TypeId::kUuid)}, {N(TypeId::kString)}, {T(TypeId::kString), N(TypeId::kInt32)}};
  uint64_t seed = 100;
  for (const auto& types : key_sets) {
    CAPTURE(types.size());
    std::mt19937_64 rng(seed++);
    std::vector<ColumnPtr> left = RandomKeys(types, 3000, 500, rng), right = RandomKeys(types, 2000, 500, rng);
    GroupIndex one(types), a(types), b(types);
    std::vector<uint32_t> expected, ignored, right_groups, mapping;
    one.Map(left, 3000, ignored);
    one.Map(right, 2000, expected);
    a.Map(left, 3000, ignored);
    b.Map(right, 2000, right_groups);
    a.Merge(b, mapping);
    REQUIRE(mapping.size() == b.size());
    for (size_t r = 0; r < 2000; ++r) REQUIRE(mapping[right_groups[r]] == expected[r]);
    REQUIRE(a.size() == one.size());
    CHECK(Formatted(a.KeyColumns(), a.size()) == Formatted(one.KeyColumns(), one.size()));
  }
}

namespace {

// A column of `rows` values value_of(r) of number type T.
template <class T, class F>
ColumnPtr Numbers(TypeId id, size_t rows, F&& value_of) {
  auto c = MakeColumn(MakeType(id), rows);
  for (size_t r = 0; r < rows; ++r) {
    const T v = static_cast<T>(value_of(r));
    std::memcpy(c->fixed.data() + r * sizeof(T), &v, sizeof(T));
  }
  return c;
}

// Rows [begin, end) of a non-constant column.
ColumnPtr Slice(const ColumnPtr& c, size_t begin, size_t end) {
  std::vector<uint32_t> rows;
  for (size_t r = begin; r < end; ++r) rows.push_back(static_cast<uint32_t>(r));
  auto out = MakeEmpty(c->type);
  for (uint32_t r : rows) AppendRow(*out, *c, r);
  return out;
}

}  // namespace

// The executor splits rows among threads, each with its own groups, and merges their states:
// rows [0, k) go to one state, the rest to another whose groups are numbered differently;
// merged, they must give what one state fed every row in order gives.
TEST_CASE("aggregates merged from two partial states equal one state", "[group_by]") {
  constexpr size_t kRows = 6000, kGroups = 50, kSplit = 2500;
  std::mt19937_64 rng(11);
  std::vector<uint32_t> groups(kRows);
  for (uint32_t& g : groups) g = static_cast<uint32_t>(rng() % kGroups);
  std::vector<uint64_t> x(kRows);
  for (uint64_t& v : x) v = rng() % 300;
  const ColumnPtr xs = Numbers<uint64_t>(TypeId::kUInt64, kRows, [&](size_t r) { return x[r]; });
  const ColumnPtr ys = Numbers<double>(TypeId::kFloat64, kRows, [&](size_t r) { return static_cast<double>(x[(r * 7) % kRows]) / 3; });
  const ColumnPtr ts = Numbers<uint32_t>(TypeId::kDateTime, kRows, [&](size_t r) { return 1000 + r % 977; });
  const ColumnPtr c1 = Numbers<uint8_t>(TypeId::kUInt8, kRows, [&](size_t r) { return x[r] % 3 == 0; });
  const ColumnPtr c2 = Numbers<uint8_t>(TypeId::kUInt8, kRows, [&](size_t r) { return x[r] % 5 == 0; });
  auto ss = MakeColumn(MakeType(TypeId::kString), kRows);
  for (size_t r = 0; r < kRows; ++r) {
    ss->chars += "s" + std::to_string(x[r] % 97);
    ss->offsets.push_back(ss->chars.size());
  }
  auto nx = MakeColumn(MakeNullable(MakeType(TypeId::kUInt64)), kRows);
  nx->nulls.resize(kRows);
  for (size_t r = 0; r < kRows; ++r) nx->nulls[r] = (x[r] % 4 == 0) || groups[r] == 7;  // group 7: all NULL
  nx->nested.push_back(xs);
  const std::map<std::string, ColumnPtr> columns = {{"x", xs}, {"y", ys}, {"t", ts}, {"c1", c1}, {"c2", c2}, {"s", ss}, {"nx", nx}};

  struct Call {
    std::string name;
    std::vector<Literal> params;
    std::vector<std::string> args;
  };
  const std::vector<Call> calls = {
      {"count", {}, {}},           {"count", {}, {"nx"}},        {"sum", {}, {"x"}},
      {"sum", {}, {"nx"}},         {"avg", {}, {"y"}},           {"min", {}, {"x"}},
      {"max", {}, {"nx"}},         {"min", {}, {"s"}},           {"max", {}, {"s"}},
      {"any", {}, {"s"}},          {"anyLast", {}, {"x"}},       {"argMin", {}, {"s", "x"}},
      {"argMax", {}, {"x", "s"}},  {"uniq", {}, {"x"}},          {"uniq", {}, {"s"}},
      {"uniqExact", {}, {"x"}},    {"uniqExact", {}, {"s"}},     {"uniqExact", {}, {"s", "x"}},
      {"uniqExactIf", {}, {"s", "c1"}}, {"sumIf", {}, {"nx", "c2"}}, {"groupArray", {}, {"s"}},
      {"groupArray", {uint64_t{3}}, {"x"}}, {"groupUniqArray", {}, {"x"}}, {"quantile", {0.5}, {"y"}},
      {"quantileExact", {0.5}, {"x"}}, {"quantiles", {0.1, 0.9}, {"x"}}, {"varPop", {}, {"y"}},
      {"covarSamp", {}, {"x", "y"}}, {"corr", {}, {"x", "y"}},
      {"windowFunnel", {uint64_t{100}}, {"t", "c1", "c2"}}, {"retention", {}, {"c1", "c2"}},
      {"sequenceMatch", {std::string("(?1)(?2)")}, {"t", "c1", "c2"}},
      {"sequenceCount", {std::string("(?1)(?t<=50)(?2)")}, {"t", "c1", "c2"}},
  };
  // The second state numbers its groups backwards: its group g is group kGroups - 1 - g.
  std::vector<uint32_t> second_groups(kRows - kSplit);
  for (size_t r = kSplit; r < kRows; ++r) second_groups[r - kSplit] = static_cast<uint32_t>(kGroups - 1 - groups[r]);
  std::vector<uint32_t> mapping(kGroups);
  for (uint32_t g = 0; g < kGroups; ++g) mapping[g] = static_cast<uint32_t>(kGroups - 1 - g);
  const std::vector<uint32_t> first_groups(groups.begin(), groups.begin() + kSplit);

  for (const Call& call : calls) {
    CAPTURE(call.name, call.args);
    std::vector<ColumnPtr> args, first, second;
    std::vector<DataTypePtr> types;
    for (const std::string& a : call.args) {
      const ColumnPtr& c = columns.at(a);
      args.push_back(c);
      first.push_back(Slice(c, 0, kSplit));
      second.push_back(Slice(c, kSplit, kRows));
      types.push_back(c->type);
    }
    auto one = Aggregate::Make(call.name, call.params, types);
    auto a = Aggregate::Make(call.name, call.params, types);
    auto b = Aggregate::Make(call.name, call.params, types);
    REQUIRE(one.ok());
    (*one)->Add(groups, args, kRows);
    (*a)->Add(first_groups, first, kSplit);
    (*b)->Add(second_groups, second, kRows - kSplit);
    (*a)->Merge(**b, mapping);
    auto expected = (*one)->Finalize(kGroups);
    auto merged = (*a)->Finalize(kGroups);
    REQUIRE(expected.ok());
    REQUIRE(merged.ok());
    for (size_t g = 0; g < kGroups; ++g) {
      CAPTURE(g);
      std::string want = FormatValue(**expected, g), got = FormatValue(**merged, g);
      if (call.name == "groupUniqArray" || call.name == "quantileExact" || call.name == "varPop" || call.name == "corr" ||
          call.name == "covarSamp" || call.name == "avg") {
        // Sets in hash order, and floating-point sums added in another order.
        if (call.name == "groupUniqArray") {
          std::sort(want.begin(), want.end());
          std::sort(got.begin(), got.end());
        } else {
          REQUIRE(std::abs(std::stod(want) - std::stod(got)) <= 1e-9 * std::max(1.0, std::abs(std::stod(want))));
          continue;
        }
      }
      REQUIRE(got == want);
    }
  }
}

// uniqExact keeps one table per group up to 4096 groups, then moves everything to one shared
// table: counts must be exact either way, and across a merge of a state of each kind.
TEST_CASE("uniqExact counts exactly with few groups, many groups, and merged states of each kind", "[group_by]") {
  for (uint32_t group_count : {3u, 5000u}) {
    CAPTURE(group_count);
    constexpr size_t kRows = 60'000;
    std::mt19937_64 rng(group_count);
    std::vector<uint32_t> groups(kRows);
    std::vector<uint64_t> values(kRows);
    std::vector<std::set<uint64_t>> expected(group_count);
    for (size_t r = 0; r < kRows; ++r) {
      groups[r] = static_cast<uint32_t>(rng() % group_count);
      values[r] = rng() % 3000;
      expected[groups[r]].insert(values[r]);
    }
    const ColumnPtr column = Numbers<uint64_t>(TypeId::kUInt64, kRows, [&](size_t r) { return values[r]; });
    auto one = Aggregate::Make("uniqExact", {}, {column->type});
    REQUIRE(one.ok());
    (*one)->Add(groups, {column}, kRows);
    // `few` sees only groups 0..9 (a table each); `all` sees every row, then takes `few` in.
    std::vector<uint32_t> few_groups;
    std::vector<uint64_t> few_values;
    for (size_t r = 0; r < kRows; ++r) {
      if (groups[r] < 10) few_groups.push_back(groups[r]), few_values.push_back(values[r]);
    }
    const ColumnPtr few_column =
        Numbers<uint64_t>(TypeId::kUInt64, few_values.size(), [&](size_t r) { return few_values[r]; });
    auto few = Aggregate::Make("uniqExact", {}, {column->type});
    auto all = Aggregate::Make("uniqExact", {}, {column->type});
    (*few)->Add(few_groups, {few_column}, few_groups.size());
    (*all)->Add(groups, {column}, kRows);
    std::vector<uint32_t> identity(group_count);
    for (uint32_t g = 0; g < group_count; ++g) identity[g] = g;
    (*few)->Merge(**all, identity);  // a state of tables takes in a shared one (or tables)
    auto single = (*one)->Finalize(group_count);
    auto merged = (*few)->Finalize(group_count);
    REQUIRE(single.ok());
    REQUIRE(merged.ok());
    for (uint32_t g = 0; g < group_count; ++g) {
      CAPTURE(g);
      REQUIRE(FormatValue(**single, g) == std::to_string(expected[g].size()));
      REQUIRE(FormatValue(**merged, g) == std::to_string(expected[g].size()));
    }
  }
}

TEST_CASE("uniq merged past 65536 values keeps the hashes one set would keep", "[group_by]") {
  constexpr size_t kRows = 300'000;
  std::mt19937_64 rng(3);
  const ColumnPtr xs = Numbers<uint64_t>(TypeId::kUInt64, kRows, [&](size_t) { return rng() % 250'000; });
  const std::vector<uint32_t> zeros(kRows, 0);
  for (size_t split : {size_t{1000}, size_t{150'000}, size_t{299'000}}) {
    auto one = Aggregate::Make("uniq", {}, {xs->type});
    auto a = Aggregate::Make("uniq", {}, {xs->type});
    auto b = Aggregate::Make("uniq", {}, {xs->type});
    (*one)->Add(zeros, {xs}, kRows);
    (*a)->Add(zeros, {Slice(xs, 0, split)}, split);
    (*b)->Add(zeros, {Slice(xs, split, kRows)}, kRows - split);
    (*b)->Merge(**a, {0});  // the larger side into the smaller one, too
    CHECK(FormatValue(**(*b)->Finalize(1), 0) == FormatValue(**(*one)->Finalize(1), 0));
  }
}
