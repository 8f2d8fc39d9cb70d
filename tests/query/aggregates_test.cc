#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/query/column.h"
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
