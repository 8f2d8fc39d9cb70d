#include "hedgerow/query/functions.h"

#include <catch2/catch.hpp>

#include <string>

#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/parser.h"
#include "query/answer.h"

using namespace hedgerow;
using namespace hedgerow::query;

TEST_CASE("functions agree with clickhouse-server 18.16 on every reference query", "[query]") {
  // SELECTs of expressions and their answers, arithmetic on every pair of number types apart.
  size_t checked = 0;
  for (const char* file : {"arithmetic_sums.tsv", "arithmetic_quotients.tsv", "functions.tsv"}) {
    checked += testing::CheckAnswers(file);
  }
  CHECK(checked > 1200);
}

TEST_CASE("columns: constants fold, Nullable arguments give Nullable results, errors name the function", "[query]") {
  Chunk chunk;
  chunk.rows = 3;
  auto x = MakeColumn(MakeType(TypeId::kInt32), 3);
  for (int32_t i = 0; i < 3; ++i) std::memcpy(x->fixed.data() + i * 4, &i, 4);
  chunk.names = {"x"};
  chunk.columns = {x};
  auto e = ParseExpression("x * 2 + 1");
  REQUIRE(e.ok());
  auto r = Evaluate(**e, chunk);
  REQUIRE(r.ok());
  CHECK((*r)->type->Name() == "Int64");
  CHECK_FALSE((*r)->is_const);
  CHECK(FormatValue(**r, 0) == "1");
  CHECK(FormatValue(**r, 2) == "5");
  auto folded = Evaluate(**ParseExpression("1 + 2"), chunk);
  REQUIRE(folded.ok());
  CHECK((*folded)->is_const);
  CHECK((*folded)->rows == 3);
  CHECK(FormatValue(**folded, 2) == "3");
  auto nullable = Evaluate(**ParseExpression("toNullable(x) - 1"), chunk);
  REQUIRE(nullable.ok());
  CHECK((*nullable)->type->Name() == "Nullable(Int64)");
  CHECK(FormatValue(**nullable, 0) == "-1");
  CHECK(Evaluate(**ParseExpression("y + 1"), chunk).status().message() == "Missing columns: 'y'");
  CHECK(Evaluate(**ParseExpression("nope(x)"), chunk).status().message() == "Unknown function nope");
  CHECK(Evaluate(**ParseExpression("intDiv(x, 0)"), chunk).status().message() == "Division by zero (intDiv)");
  CHECK(Evaluate(**ParseExpression("plus(x)"), chunk).status().message() ==
        "Number of arguments for function plus doesn't match: passed 1, should be 2");
  auto materialized = Materialize(*folded);
  CHECK_FALSE(materialized->is_const);
  CHECK(FormatValue(*materialized, 1) == "3");
}
