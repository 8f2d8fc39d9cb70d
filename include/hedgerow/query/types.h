#pragma once

// ClickHouse's data types as queries see them, and its rules for the types of results:
// arithmetic, literals and the least common supertype (of array elements, if branches,
// UNION columns). Every rule here is checked against clickhouse-server 18.16's own answers
// (tests/query/testdata/types.tsv, made with tests/query/reference/clickhouse_answers.sh).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"

namespace hedgerow::query {

enum class TypeId : uint8_t {
  kNothing,  // the type of NULL and of []'s elements
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kString,
  kUuid,
  kDate,
  kDateTime,
  kDateTime64,
  kNullable,  // of nested[0]
  kArray,     // of nested[0]
  kTuple,     // of nested, with element_names when named
  kInterval,  // INTERVAL n UNIT: an Int64 count of interval_unit
};

// The units of Interval types, smallest first (IntervalSecond ... IntervalYear).
enum class IntervalUnit : uint8_t { kSecond, kMinute, kHour, kDay, kWeek, kMonth, kQuarter, kYear };

struct DataType;
using DataTypePtr = std::shared_ptr<const DataType>;

struct DataType {
  TypeId id = TypeId::kNothing;
  std::vector<DataTypePtr> nested;
  std::vector<std::string> element_names;  // Tuple(a UInt8, b String); empty when unnamed
  uint32_t scale = 0;                      // DateTime64(scale)
  std::string timezone;                    // DateTime('UTC'), DateTime64(6, 'UTC'); empty: the server's
  IntervalUnit interval_unit = IntervalUnit::kSecond;  // of kInterval

  // ClickHouse's name: "UInt8", "Nullable(String)", "DateTime64(6, 'UTC')", "Array(Tuple(UInt8, String))".
  std::string Name() const;

  bool IsInteger() const { return id >= TypeId::kUInt8 && id <= TypeId::kInt64; }
  bool IsFloat() const { return id == TypeId::kFloat32 || id == TypeId::kFloat64; }
  bool IsNumber() const { return IsInteger() || IsFloat(); }
  bool IsSigned() const { return (id >= TypeId::kInt8 && id <= TypeId::kInt64) || IsFloat(); }
  // Bytes of a number's value (8 for an Interval's Int64, 0 for other types).
  size_t NumberSize() const;
};

DataTypePtr MakeType(TypeId id);
DataTypePtr MakeNullable(DataTypePtr nested);
DataTypePtr MakeArray(DataTypePtr element);
DataTypePtr MakeTuple(std::vector<DataTypePtr> elements, std::vector<std::string> names = {});
DataTypePtr MakeInterval(IntervalUnit unit);
// "Second" ... "Year": the unit as ClickHouse's type names spell it (IntervalDay).
std::string_view IntervalUnitName(IntervalUnit unit);
// The number type of that signedness, floatness and size (1, 2, 4 or 8 bytes).
DataTypePtr MakeNumber(bool is_signed, bool is_float, size_t size);

// Parses a type name as ClickHouse writes it; InvalidArgument naming an unknown type.
Result<DataTypePtr> ParseDataType(std::string_view name);

// The result type of an arithmetic function of two numbers (plus, minus, multiply, divide,
// intDiv, modulo), as ClickHouse's NumberTraits define it; InvalidArgument for other types.
Result<DataTypePtr> ArithmeticResultType(std::string_view function, const DataType& a, const DataType& b);
// negate and abs of a number.
Result<DataTypePtr> UnaryArithmeticResultType(std::string_view function, const DataType& a);

// The least type every one of `types` converts to without loss (ClickHouse's
// getLeastSupertype): the type of [a, b], of if's branches, of UNION ALL's columns.
// InvalidArgument when there is none (UInt64 and Int64, String and a number, ...).
Result<DataTypePtr> LeastSupertype(const std::vector<DataTypePtr>& types);

// The type of a literal: the smallest integer type that holds it (unsigned when it is not
// negative), Float64, String, Nullable(Nothing) for NULL, UInt8 for true and false.
DataTypePtr LiteralType(const Literal& literal);

}  // namespace hedgerow::query
