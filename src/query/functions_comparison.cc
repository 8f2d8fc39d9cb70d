// equals, notEquals, less, greater, lessOrEquals, greaterOrEquals (UInt8 results) and
// and, or, not, xor. Numbers compare by value whatever their types (UInt64 with Int64, an
// integer with a float), strings byte by byte, dates and times as instants, UUIDs by bytes.

#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "dispatch.h"
#include "functions_date.h"
#include "functions_impl.h"

namespace hedgerow::query {
namespace {

enum class Cmp { kEquals, kNotEquals, kLess, kGreater, kLessOrEquals, kGreaterOrEquals };

bool Holds(Cmp cmp, int order) {  // order: <0, 0, >0 as a against b
  switch (cmp) {
    case Cmp::kEquals: return order == 0;
    case Cmp::kNotEquals: return order != 0;
    case Cmp::kLess: return order < 0;
    case Cmp::kGreater: return order > 0;
    case Cmp::kLessOrEquals: return order <= 0;
    default: return order >= 0;
  }
}

bool IsTime(TypeId id) { return id == TypeId::kDate || id == TypeId::kDateTime || id == TypeId::kDateTime64; }

// A type whose values a string is read as when they are compared (besides dates and times).
// Numbers are not: clickhouse-server 18.16 refuses toInt64(1) = '1'.
bool ReadsString(const DataType& t) { return t.id == TypeId::kUuid; }

// The function that reads a string as a value comparable with `t`'s (a date, time or UUID).
const char* ConversionTo(const DataType& t) {
  return t.id == TypeId::kDate ? "toDate" : t.id == TypeId::kUuid ? "toUUID" : "toDateTime";
}

// Strings read as DateTime64 values of `like`'s scale and zone, their fraction kept (as
// ClickHouse reads the literal of timestamp > '2026-12-07 05:00:00.5'; toDateTime would
// floor it to the second).
Result<ColumnPtr> StringsAsDateTime64(const Column& in, const DataTypePtr& like, size_t rows) {
  HEDGEROW_ASSIGN_OR_RETURN(const dates::TimeZone* zone, dates::ZoneOfType(*like));
  const int64_t ticks = dates::TicksPerSecond(like->scale);
  std::vector<int64_t> out(rows);
  for (size_t i = 0; i < rows; ++i) {
    if (in.is_const && i > 0) {
      out[i] = out[0];
      continue;
    }
    std::string_view text = in.StringAt(i);
    std::optional<dates::ParsedTime> parsed = dates::ParseDateTime(text);
    if (!parsed) return Status::InvalidArgument(fmt::format("Cannot parse string '{}' as DateTime64", text));
    int64_t seconds = parsed->is_timestamp ? parsed->seconds : zone->FromLocal(parsed->seconds);
    out[i] = seconds * ticks + parsed->nanos / (1000000000 / ticks);
  }
  return NumberColumn(like, out);
}

// A date or time as microseconds since the epoch, for comparing across the three types.
int64_t Micros(const Column& c, size_t row) {
  switch (c.type->id) {
    case TypeId::kDate: return int64_t{c.Get<uint16_t>(row)} * 86400 * 1000000;
    case TypeId::kDateTime: return int64_t{c.Get<uint32_t>(row)} * 1000000;
    default: {
      int64_t v = c.Get<int64_t>(row);
      for (uint32_t s = c.type->scale; s < 6; ++s) v *= 10;
      for (uint32_t s = c.type->scale; s > 6; --s) v /= 10;
      return v;
    }
  }
}

class Comparison final : public Function {
 public:
  Comparison(const char* name, Cmp cmp) : name_(name), cmp_(cmp) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
    const DataType &a = *args[0], &b = *args[1];
    bool comparable = (a.IsNumber() && b.IsNumber()) || (a.id == TypeId::kString && b.id == TypeId::kString) ||
                      (IsTime(a.id) && IsTime(b.id)) || (a.id == TypeId::kUuid && b.id == TypeId::kUuid) ||
                      (IsTime(a.id) && b.id == TypeId::kString) || (a.id == TypeId::kString && IsTime(b.id)) ||
                      (ReadsString(a) && b.id == TypeId::kString) || (a.id == TypeId::kString && ReadsString(b));
    if (!comparable) return IllegalTypes(name_, args);
    return MakeType(TypeId::kUInt8);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const bool a_string = args[0]->type->id == TypeId::kString, b_string = args[1]->type->id == TypeId::kString;
    if (a_string != b_string) {
      // A string and a time or UUID: the string read as the other side's type, as ClickHouse
      // converts the literal (timestamp > '2024-01-01', id = '0188...').
      const bool first = b_string;
      const DataType& other = *(first ? args[0] : args[1])->type;
      const ColumnPtr& text = first ? args[1] : args[0];
      ColumnPtr converted;
      if (other.id == TypeId::kDateTime64 && other.scale <= 9) {
        HEDGEROW_ASSIGN_OR_RETURN(converted, StringsAsDateTime64(*text, (first ? args[0] : args[1])->type, rows));
      } else {
        HEDGEROW_ASSIGN_OR_RETURN(converted, CallFunction(ConversionTo(other), {text}, rows));
      }
      return Execute(first ? std::vector<ColumnPtr>{args[0], converted} : std::vector<ColumnPtr>{converted, args[1]}, result, rows);
    }
    const Column &a = *args[0], &b = *args[1];
    std::vector<uint8_t> out(rows);
    if (a.type->IsNumber() && a.type->id == b.type->id) {
      // One type: compared as it is, a constant side read once.
      DispatchNumber(a.type->id, [&](auto tag) {
        using T = decltype(tag);
        const T* x = a.Data<T>();
        const T* y = b.Data<T>();
        const size_t xs = a.is_const ? 0 : 1, ys = b.is_const ? 0 : 1;
        for (size_t i = 0; i < rows; ++i) {
          T l = x[i * xs], r = y[i * ys];
          if constexpr (std::is_floating_point_v<T>) {
            if (l != l || r != r) {  // nan is unordered: only != holds
              out[i] = cmp_ == Cmp::kNotEquals;
              continue;
            }
          }
          out[i] = Holds(cmp_, l < r ? -1 : l > r ? 1 : 0);
        }
        return 0;
      });
    } else if (a.type->IsNumber()) {
      // long double holds every Int64, UInt64 and double exactly (x86-64's 64-bit mantissa).
      std::vector<long double> x = NumbersAs<long double>(a, rows), y = NumbersAs<long double>(b, rows);
      for (size_t i = 0; i < rows; ++i) {
        out[i] = x[i] != x[i] || y[i] != y[i] ? cmp_ == Cmp::kNotEquals : Holds(cmp_, x[i] < y[i] ? -1 : x[i] > y[i] ? 1 : 0);
      }
    } else if (a.type->id == TypeId::kString) {
      for (size_t i = 0; i < rows; ++i) out[i] = Holds(cmp_, a.StringAt(i).compare(b.StringAt(i)));
    } else if (IsTime(a.type->id)) {
      for (size_t i = 0; i < rows; ++i) {
        int64_t x = Micros(a, i), y = Micros(b, i);
        out[i] = Holds(cmp_, x < y ? -1 : x > y ? 1 : 0);
      }
    } else {
      for (size_t i = 0; i < rows; ++i) {
        out[i] = Holds(cmp_, std::memcmp(a.fixed.data() + a.At(i) * 16, b.fixed.data() + b.At(i) * 16, 16));
      }
    }
    return NumberColumn(result, out);
  }

 private:
  const char* name_;
  Cmp cmp_;
};

enum class Logic { kAnd, kOr, kXor, kNot };

class Logical final : public Function {
 public:
  Logical(const char* name, Logic logic) : name_(name), logic_(logic) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (logic_ == Logic::kNot ? args.size() != 1 : args.size() < 2) {
      return WrongArgumentCount(name_, args.size(), logic_ == Logic::kNot ? "1" : "at least 2");
    }
    for (const DataTypePtr& t : args) {
      if (!t->IsNumber()) return IllegalTypes(name_, args);
    }
    return MakeType(TypeId::kUInt8);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<uint8_t> out(rows, logic_ == Logic::kAnd ? 1 : 0);
    for (const ColumnPtr& arg : args) {
      std::vector<double> v = NumbersAs<double>(*arg, rows);
      for (size_t i = 0; i < rows; ++i) {
        bool truth = v[i] != 0;
        switch (logic_) {
          case Logic::kAnd: out[i] &= truth; break;
          case Logic::kOr: out[i] |= truth; break;
          case Logic::kXor: out[i] ^= truth; break;
          case Logic::kNot: out[i] = !truth; break;
        }
      }
    }
    return NumberColumn(result, out);
  }

 private:
  const char* name_;
  Logic logic_;
};

// x BETWEEN a AND b (ours: the parser's between(x, a, b)): a <= x AND x <= b, x evaluated
// once; notBetween its negation.
class Between final : public Function {
 public:
  explicit Between(bool negated) : negated_(negated) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const char* name = negated_ ? "notBetween" : "between";
    if (args.size() != 3) return WrongArgumentCount(name, args.size(), "3");
    HEDGEROW_RETURN_IF_ERROR(FunctionReturnType("greaterOrEquals", {args[0], args[1]}).status());
    HEDGEROW_RETURN_IF_ERROR(FunctionReturnType("lessOrEquals", {args[0], args[2]}).status());
    return MakeType(TypeId::kUInt8);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr low, CallFunction("greaterOrEquals", {args[0], args[1]}, rows));
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr high, CallFunction("lessOrEquals", {args[0], args[2]}, rows));
    std::vector<uint8_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = (low->Get<uint8_t>(i) != 0 && high->Get<uint8_t>(i) != 0) != negated_;
    return NumberColumn(result, out);
  }

 private:
  bool negated_;
};

}  // namespace

void RegisterComparisonFunctions(FunctionMap& functions) {
  functions.emplace("equals", std::make_unique<Comparison>("equals", Cmp::kEquals));
  functions.emplace("notEquals", std::make_unique<Comparison>("notEquals", Cmp::kNotEquals));
  functions.emplace("less", std::make_unique<Comparison>("less", Cmp::kLess));
  functions.emplace("greater", std::make_unique<Comparison>("greater", Cmp::kGreater));
  functions.emplace("lessOrEquals", std::make_unique<Comparison>("lessOrEquals", Cmp::kLessOrEquals));
  functions.emplace("greaterOrEquals", std::make_unique<Comparison>("greaterOrEquals", Cmp::kGreaterOrEquals));
  functions.emplace("and", std::make_unique<Logical>("and", Logic::kAnd));
  functions.emplace("or", std::make_unique<Logical>("or", Logic::kOr));
  functions.emplace("xor", std::make_unique<Logical>("xor", Logic::kXor));
  functions.emplace("not", std::make_unique<Logical>("not", Logic::kNot));
  functions.emplace("between", std::make_unique<Between>(false));
  functions.emplace("notBetween", std::make_unique<Between>(true));
}

}  // namespace hedgerow::query
