#include "hedgerow/query/types.h"

#include <catch2/catch.hpp>

#include <string>

#include "hedgerow/query/parser.h"
#include "query/reference_file.h"

using namespace hedgerow;
using namespace hedgerow::query;

namespace {

// The type of the few expressions the reference queries use: literals, toT(...) casts,
// arrays, tuples and the arithmetic and comparison functions. nullopt for the others.
Result<DataTypePtr> TypeOf(const Expr& e) {
  if (e.kind == Expr::Kind::kLiteral) return LiteralType(e.literal);
  if (e.kind != Expr::Kind::kFunction) return Status::InvalidArgument("not in the reference's subset");
  std::vector<DataTypePtr> args;
  for (const ExprPtr& a : e.args) {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOf(*a));
    args.push_back(std::move(t));
  }
  const std::string& f = e.name;
  if (f == "array") {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype(args));
    return MakeArray(std::move(element));
  }
  if (f == "tuple") return MakeTuple(args);
  if (f == "toNullable") return MakeNullable(args[0]);
  if (f == "negate" || f == "abs") return UnaryArithmeticResultType(f, *args[0]);
  if (f == "equals" || f == "less") {
    // Numbers compare exactly whatever their types (no supertype needed: UInt64 with Int64).
    if (!(args[0]->IsNumber() && args[1]->IsNumber())) HEDGEROW_RETURN_IF_ERROR(LeastSupertype(args).status());
    return MakeType(TypeId::kUInt8);
  }
  if (f.rfind("to", 0) == 0) return ParseDataType(f.substr(2));
  return ArithmeticResultType(f, *args[0], *args[1]);
}

}  // namespace

TEST_CASE("result types agree with clickhouse-server 18.16 on every reference query", "[query]") {
  // SELECT toTypeName(expr) and its answer.
  size_t checked = 0;
  testing::ForEachReference("types.tsv", [&](const std::string& sql, const std::string& expected) {
    if (sql.find("toTypeName(if(") != std::string::npos) return;  // folds its constant condition: the planner's
    auto statement = ParseStatement(sql);
    INFO(sql);
    REQUIRE(statement.ok());
    const Expr& call = *statement->select->selects[0]->columns[0];
    REQUIRE(call.name == "toTypeName");
    auto type = TypeOf(*call.args[0]);
    CHECK((type.ok() ? (*type)->Name() : "error") == expected);
    ++checked;
  });
  CHECK(checked > 800);
}

TEST_CASE("type names parse and print as ClickHouse writes them", "[query]") {
  for (const char* name : {"UInt8", "Int64", "Float64", "String", "UUID", "Date", "DateTime", "DateTime('UTC')",
                           "DateTime64(6, 'UTC')", "DateTime64(3)", "Nullable(String)", "Array(Nullable(UInt8))",
                           "Tuple(UInt8, String)", "Tuple(a UInt8, b Array(String))", "Nothing"}) {
    auto t = ParseDataType(name);
    INFO(name);
    REQUIRE(t.ok());
    CHECK((*t)->Name() == name);
  }
  CHECK((*ParseDataType("LowCardinality(String)"))->Name() == "String");
  for (const char* bad : {"", "Strin", "Array(", "Array(UInt8", "Nullable()", "DateTime64(x)", "Decimal(10, 2)",
                          "Tuple(a UInt8, String)", "UInt8 x"}) {
    auto t = ParseDataType(bad);
    INFO(bad);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().message().rfind("Unknown data type", 0) == 0);
  }
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "Array(";
  deep += "UInt8" + std::string(1000, ')');
  CHECK(ParseDataType(deep).status().message().find("nested too deeply") != std::string::npos);
}
