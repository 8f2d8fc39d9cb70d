// Rounding (round, floor, ceil, trunc with an optional constant scale), the Float64 functions
// of one or two numbers (sqrt, exp, log, pow, ...), e() and pi(), least and greatest, sign.
//
// Rounding is clickhouse-server 18.16's: half away from zero for floats and integers (newer
// ClickHouse rounds floats half to even); a float is scaled by multiplying by 10^n (dividing
// by 10^-n for a negative scale), rounded, and scaled back, so round(2.675, 2) is 2.68 but
// round(1.005, 2) is 1. Integers keep their type and round in C++'s promoted arithmetic, so a
// small type wraps as 18.16's does (round(toUInt8(255), -1) is 4).

#include <cmath>
#include <limits>

#include "functions_impl.h"

namespace hedgerow::query {
namespace {

enum class Rounding { kRound, kFloor, kCeil, kTrunc };

template <class T>
T RoundFloat(T x, Rounding mode) {
  switch (mode) {
    case Rounding::kRound: return std::round(x);
    case Rounding::kFloor: return std::floor(x);
    case Rounding::kCeil: return std::ceil(x);
    case Rounding::kTrunc: return std::trunc(x);
  }
  return x;
}

// Rounds x to a multiple of `scale` (10^-n as T: a big power wraps in a small type) as
// 18.16 does: round in decltype(x + x) (int for types under 32 bits, so the result wraps
// only when converted back: round(toUInt8(255), -1) is 4), a non-negative x through the
// unsigned type (round(toInt64(9223372036854775807), -18) is 9e18); floor and ceil step
// towards the multiple in T itself, which wraps there (ceil(toUInt8(255), -1) is 0).
template <class T>
T RoundInteger(T value, T scale_t, Rounding mode) {
  using P = decltype(value + value);
  using U = std::make_unsigned_t<P>;
  if (scale_t == 0) return 0;
  const P scale = scale_t;
  auto multiple = [&](P x) {
    if (x >= 0 && scale > 0) return static_cast<T>(static_cast<U>(x) / static_cast<U>(scale) * static_cast<U>(scale));
    if (scale == -1) return static_cast<T>(x);  // x / -1 overflows for the minimum; x is a multiple anyway
    return static_cast<T>(static_cast<P>(static_cast<U>(x / scale) * static_cast<U>(scale)));
  };
  switch (mode) {
    case Rounding::kRound:
      if (value < 0 || scale < 0) {
        const U half = static_cast<U>(scale / 2);
        const U moved = value < 0 ? static_cast<U>(static_cast<P>(value)) - half : static_cast<U>(static_cast<P>(value)) + half;
        return multiple(static_cast<P>(moved));
      }
      return static_cast<T>(
          static_cast<P>((static_cast<U>(static_cast<P>(value)) + static_cast<U>(scale / 2)) / static_cast<U>(scale) *
                         static_cast<U>(scale)));
    case Rounding::kFloor:
      if (value < 0) value = static_cast<T>(static_cast<P>(static_cast<U>(static_cast<P>(value)) - (static_cast<U>(scale) - 1)));
      break;
    case Rounding::kCeil:
      if (value >= 0) value = static_cast<T>(static_cast<P>(static_cast<U>(static_cast<P>(value)) + (static_cast<U>(scale) - 1)));
      break;
    case Rounding::kTrunc: break;
  }
  return multiple(value);
}

class RoundingFunction final : public Function {
 public:
  RoundingFunction(const char* name, Rounding mode) : name_(name), mode_(mode) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.empty() || args.size() > 2) return WrongArgumentCount(name_, args.size(), "1 or 2");
    if (!args[0]->IsNumber()) return IllegalTypes(name_, args);
    if (args.size() == 2 && !args[1]->IsInteger()) {
      return Status::InvalidArgument("Scale argument for rounding functions must have integer type");
    }
    return args[0];
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    int64_t scale = 0;
    if (args.size() == 2) {
      if (!args[1]->is_const) {
        return Status::InvalidArgument(fmt::format("Argument at index 1 for function {} must be constant", name_));
      }
      scale = NumbersAs<int64_t>(*args[1], 1)[0];
      if (args[1]->type->id == TypeId::kUInt64 && scale < 0) scale = std::numeric_limits<int64_t>::max();
    }
    return DispatchNumber(result->id, [&](auto tag) -> Result<ColumnPtr> {
      using T = decltype(tag);
      std::vector<T> x = NumbersAs<T>(*args[0], rows);
      if constexpr (std::is_floating_point_v<T>) {
        // Past the type's precision there is nothing to round (18.16 leaves the value).
        if (scale > std::numeric_limits<T>::max_digits10) return NumberColumn(result, x);
        const T power = static_cast<T>(std::pow(10.0L, std::fabs(static_cast<long double>(scale))));
        for (T& v : x) {
          if (scale > 0) {
            v = RoundFloat<T>(v * power, mode_) / power;
          } else if (scale < 0) {
            // A power past the type's range rounds everything to 0 (not inf * 0 = nan).
            v = std::isinf(power) ? T{0} : RoundFloat<T>(v / power, mode_) * power;
          } else {
            v = RoundFloat<T>(v, mode_);
          }
        }
        return NumberColumn(result, x);
      } else {
        if (scale > 19 || scale < -19) {
          return Status::InvalidArgument(fmt::format("Scale argument of function {} must be between -19 and 19", name_));
        }
        if (scale >= 0) return NumberColumn(result, x);
        uint64_t power = 1;
        for (int64_t i = 0; i < -scale; ++i) power *= 10;
        const T scale_t = static_cast<T>(power);
        for (T& v : x) v = RoundInteger<T>(v, scale_t, mode_);
        return NumberColumn(result, x);
      }
    });
  }

 private:
  const char* name_;
  Rounding mode_;
};

// A function of one or two numbers computed in double, Float64 as ClickHouse's.
class FloatFunction final : public Function {
 public:
  FloatFunction(const char* name, double (*unary)(double)) : name_(name), unary_(unary) {}
  FloatFunction(const char* name, double (*binary)(double, double)) : name_(name), binary_(binary) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const size_t arity = unary_ != nullptr ? 1 : 2;
    if (args.size() != arity) return WrongArgumentCount(name_, args.size(), arity == 1 ? "1" : "2");
    for (const DataTypePtr& a : args) {
      if (!a->IsNumber()) return IllegalTypes(name_, args);
    }
    return MakeType(TypeId::kFloat64);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<double> x = NumbersAs<double>(*args[0], rows);
    if (unary_ != nullptr) {
      for (double& v : x) v = unary_(v);
    } else {
      std::vector<double> y = NumbersAs<double>(*args[1], rows);
      for (size_t i = 0; i < rows; ++i) x[i] = binary_(x[i], y[i]);
    }
    return NumberColumn(result, x);
  }

 private:
  const char* name_;
  double (*unary_)(double) = nullptr;
  double (*binary_)(double, double) = nullptr;
};

// e() and pi().
class MathConstant final : public Function {
 public:
  MathConstant(const char* name, double value) : name_(name), value_(value) {}
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (!args.empty()) return WrongArgumentCount(name_, args.size(), "0");
    return MakeType(TypeId::kFloat64);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>&, const DataTypePtr& result, size_t rows) const override {
    return MakeConstColumn(value_, rows, result);
  }

 private:
  const char* name_;
  double value_;
};

// least(a, b) and greatest(a, b) of numbers, dates or times: the values converted to their
// least supertype (18.16 refuses UInt64 with a signed type, as that has none). More than two
// arguments fold left to right, as newer ClickHouse accepts them.
class Extreme final : public Function {
 public:
  Extreme(const char* name, bool greatest) : name_(name), greatest_(greatest) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() < 2) return WrongArgumentCount(name_, args.size(), "at least 2");
    for (const DataTypePtr& a : args) {
      if (!a->IsNumber() && FixedValueWidth(*a) == 0) return IllegalTypes(name_, args);
      if (a->id == TypeId::kUuid) return IllegalTypes(name_, args);
    }
    auto type = LeastSupertype(args);
    if (!type.ok()) return IllegalTypes(name_, args);
    return type;
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    // Dates and times compare as their stored numbers: the same C++ type carries them.
    const TypeId storage = result->id == TypeId::kDate       ? TypeId::kUInt16
                           : result->id == TypeId::kDateTime ? TypeId::kUInt32
                           : result->id == TypeId::kDateTime64 ? TypeId::kInt64
                                                               : result->id;
    return DispatchNumber(storage, [&](auto tag) -> Result<ColumnPtr> {
      using T = decltype(tag);
      std::vector<T> out;
      for (size_t a = 0; a < args.size(); ++a) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr cast, CastColumn(args[a], result));
        auto as_numbers = std::make_shared<Column>(*cast);
        as_numbers->type = MakeType(storage);
        std::vector<T> v = NumbersAs<T>(*as_numbers, rows);
        if (a == 0) {
          out = std::move(v);
          continue;
        }
        // As ClickHouse: greatest(a, b) is a > b ? a : b, so a NaN wins only as b.
        for (size_t i = 0; i < rows; ++i) out[i] = (greatest_ ? out[i] > v[i] : out[i] < v[i]) ? out[i] : v[i];
      }
      return NumberColumn(result, out);
    });
  }

 private:
  const char* name_;
  bool greatest_;
};

// sign(x): -1, 0 or 1 as Int8 (newer ClickHouse; 18.16 lacks it). NaN gives 0.
class Sign final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount("sign", args.size(), "1");
    if (!args[0]->IsNumber()) return IllegalTypes("sign", args);
    return MakeType(TypeId::kInt8);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<int8_t> out(rows);
    DispatchNumber(args[0]->type->id, [&](auto tag) {
      using T = decltype(tag);
      for (size_t i = 0; i < rows; ++i) {
        T v = args[0]->Get<T>(i);
        out[i] = static_cast<int8_t>((v > T{0}) - (v < T{0}));
      }
      return 0;
    });
    return NumberColumn(result, out);
  }
};

double Exp10(double x) { return std::pow(10.0, x); }

}  // namespace

void RegisterMathFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Rounding> kRounding[] = {
      {"round", Rounding::kRound}, {"floor", Rounding::kFloor}, {"ceil", Rounding::kCeil}, {"trunc", Rounding::kTrunc}};
  for (const auto& [name, mode] : kRounding) functions.emplace(name, std::make_unique<RoundingFunction>(name, mode));
  functions.emplace("ceiling", std::make_unique<RoundingFunction>("ceiling", Rounding::kCeil));
  functions.emplace("truncate", std::make_unique<RoundingFunction>("truncate", Rounding::kTrunc));
  static const std::pair<const char*, double (*)(double)> kUnary[] = {
      {"sqrt", [](double x) { return std::sqrt(x); }}, {"cbrt", [](double x) { return std::cbrt(x); }},
      {"exp", [](double x) { return std::exp(x); }},   {"exp2", [](double x) { return std::exp2(x); }},
      {"exp10", Exp10},                                {"log", [](double x) { return std::log(x); }},
      {"ln", [](double x) { return std::log(x); }},    {"log2", [](double x) { return std::log2(x); }},
      {"log10", [](double x) { return std::log10(x); }}, {"sin", [](double x) { return std::sin(x); }},
      {"cos", [](double x) { return std::cos(x); }},   {"tan", [](double x) { return std::tan(x); }},
      {"asin", [](double x) { return std::asin(x); }}, {"acos", [](double x) { return std::acos(x); }},
      {"atan", [](double x) { return std::atan(x); }}};
  for (const auto& [name, f] : kUnary) functions.emplace(name, std::make_unique<FloatFunction>(name, f));
  functions.emplace("pow", std::make_unique<FloatFunction>("pow", [](double x, double y) { return std::pow(x, y); }));
  functions.emplace("power", std::make_unique<FloatFunction>("power", [](double x, double y) { return std::pow(x, y); }));
  functions.emplace("e", std::make_unique<MathConstant>("e", M_E));
  functions.emplace("pi", std::make_unique<MathConstant>("pi", M_PI));
  functions.emplace("least", std::make_unique<Extreme>("least", false));
  functions.emplace("greatest", std::make_unique<Extreme>("greatest", true));
  functions.emplace("sign", std::make_unique<Sign>());
}

}  // namespace hedgerow::query
