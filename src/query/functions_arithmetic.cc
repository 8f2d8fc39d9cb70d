// plus, minus, multiply, divide, intDiv, modulo, negate, abs: result types from
// ArithmeticResultType; integer results wrap around as ClickHouse's (two's complement);
// intDiv and modulo refuse division by zero as ClickHouse does. plus and minus of dates, times
// and intervals are functions_date_math.cc's.

#include <cmath>
#include <limits>

#include "functions_date.h"
#include "functions_impl.h"

namespace hedgerow::query {
namespace {

using Int128 = __int128;

enum class Op { kPlus, kMinus, kMultiply, kDivide, kIntDiv, kModulo };

// Integer arithmetic in R without undefined behaviour: through R's unsigned type, at least
// unsigned int (UInt16 * UInt16 would otherwise be promoted to int, and overflow).
template <class R>
R Wrap(Op op, R a, R b) {
  using U = std::common_type_t<std::make_unsigned_t<R>, unsigned>;
  switch (op) {
    case Op::kPlus: return static_cast<R>(static_cast<U>(a) + static_cast<U>(b));
    case Op::kMinus: return static_cast<R>(static_cast<U>(a) - static_cast<U>(b));
    default: return static_cast<R>(static_cast<U>(a) * static_cast<U>(b));
  }
}

class Binary final : public Function {
 public:
  Binary(const char* name, Op op) : name_(name), op_(op) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
    if (dates::HandlesArithmetic(*args[0], *args[1])) return dates::ArithmeticType(name_, args);
    return ArithmeticResultType(name_, *args[0], *args[1]);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& a = *args[0];
    const Column& b = *args[1];
    if (dates::HandlesArithmetic(*a.type, *b.type)) return dates::Arithmetic(name_, args, result, rows);
    if (op_ == Op::kDivide) {
      std::vector<double> x = NumbersAs<double>(a, rows), y = NumbersAs<double>(b, rows);
      for (size_t i = 0; i < rows; ++i) x[i] /= y[i];
      return NumberColumn(result, x);
    }
    if (op_ == Op::kIntDiv || op_ == Op::kModulo) return Exact(a, b, result, rows);
    if (result->IsFloat()) {
      std::vector<double> x = NumbersAs<double>(a, rows), y = NumbersAs<double>(b, rows);
      for (size_t i = 0; i < rows; ++i) {
        x[i] = op_ == Op::kPlus ? x[i] + y[i] : op_ == Op::kMinus ? x[i] - y[i] : x[i] * y[i];
      }
      return NumberColumn(result, x);
    }
    return DispatchNumber(result->id, [&](auto tag) -> Result<ColumnPtr> {
      using R = decltype(tag);
      if constexpr (std::is_floating_point_v<R>) {
        return Status::Internal("integer result expected");
      } else {
        std::vector<R> x = NumbersAs<R>(a, rows), y = NumbersAs<R>(b, rows);
        for (size_t i = 0; i < rows; ++i) x[i] = Wrap<R>(op_, x[i], y[i]);
        return NumberColumn(result, x);
      }
    });
  }

 private:
  // What static_cast<R>(v) gives on x86-64 for a float v: cvttss2si/cvttsd2si into 32 bits
  // for results of up to four bytes (UInt32: 64 bits), 64 bits otherwise; out of range or NaN
  // gives the "integer indefinite" value (the signed minimum), then truncated to R.
  template <class R, class F>
  static R FloatToInt(F v) {
    if constexpr (std::is_floating_point_v<R>) {
      return static_cast<R>(v);
    } else if constexpr (sizeof(R) <= 4 && !std::is_same_v<R, uint32_t>) {
      int32_t i = v > -2147483649.0 && v < 2147483648.0 ? static_cast<int32_t>(v) : INT32_MIN;
      return static_cast<R>(i);
    } else {
      int64_t i = v > -9223372036854775809.0 && v < 9223372036854775808.0 ? static_cast<int64_t>(v) : INT64_MIN;
      return static_cast<R>(i);
    }
  }

  template <class T>
  static bool IsMin(T v) {
    if constexpr (std::is_signed_v<T> && std::is_integral_v<T>) return v == std::numeric_limits<T>::min();
    return false;
  }

  template <class A, class B, class R>
  Status IntDiv(const Column& a, const Column& b, std::vector<R>& out) const {
    for (size_t i = 0; i < out.size(); ++i) {
      A x = a.Get<A>(i);
      B y = b.Get<B>(i);
      if constexpr (std::is_integral_v<A> && std::is_integral_v<B>) {
        if (y == 0) return Status::InvalidArgument("Division by zero (intDiv)");
        if constexpr (std::is_signed_v<B>) {
          if (y == -1 && IsMin(x)) return Status::InvalidArgument("Division of minimal signed number by minus one");
        }
        out[i] = static_cast<R>(x / y);
      } else {
        if (y == 0) return Status::InvalidArgument("Division by zero (intDiv)");
        out[i] = FloatToInt<R>(x / y);
      }
    }
    return Status::Ok();
  }

  template <class A, class B, class R>
  Status Modulo(const Column& a, const Column& b, std::vector<R>& out) const {
    // Floats become integers first: Float32 as Int32, Float64 as Int64.
    using IA = std::conditional_t<std::is_floating_point_v<A>, std::conditional_t<sizeof(A) == 4, int32_t, int64_t>, A>;
    using IB = std::conditional_t<std::is_floating_point_v<B>, std::conditional_t<sizeof(B) == 4, int32_t, int64_t>, B>;
    for (size_t i = 0; i < out.size(); ++i) {
      IA x = std::is_floating_point_v<A> ? FloatToInt<IA>(a.Get<A>(i)) : static_cast<IA>(a.Get<A>(i));
      IB y = std::is_floating_point_v<B> ? FloatToInt<IB>(b.Get<B>(i)) : static_cast<IB>(b.Get<B>(i));
      if (y == 0) return Status::InvalidArgument("Division by zero (modulo)");
      if constexpr (std::is_signed_v<IB>) {
        if (y == -1 && IsMin(x)) return Status::InvalidArgument("Division of minimal signed number by minus one");
      }
      out[i] = static_cast<R>(x % y);
    }
    return Status::Ok();
  }

  // (After IntDiv and Modulo: clang instantiates them from the generic lambdas below only
  // once they are defined.)
  // intDiv and modulo as ClickHouse 18.16 computes them: in the C++ type that the usual
  // arithmetic conversions give the two argument types (so an unsigned operand can turn a
  // negative one into a huge one), modulo on floats truncated to integers first, then the
  // quotient converted to the result type the way x86-64 converts (see FloatToInt).
  Result<ColumnPtr> Exact(const Column& a, const Column& b, const DataTypePtr& result, size_t rows) const {
    return DispatchNumber(result->id, [&](auto result_tag) -> Result<ColumnPtr> {
      using R = decltype(result_tag);
      std::vector<R> out(rows);
      Status status = DispatchNumber(a.type->id, [&](auto a_tag) -> Status {
        return DispatchNumber(b.type->id, [&](auto b_tag) -> Status {
          return op_ == Op::kIntDiv ? IntDiv<decltype(a_tag), decltype(b_tag), R>(a, b, out)
                                    : Modulo<decltype(a_tag), decltype(b_tag), R>(a, b, out);
        });
      });
      HEDGEROW_RETURN_IF_ERROR(status);
      return NumberColumn(result, out);
    });
  }

  const char* name_;
  Op op_;
};

class Unary final : public Function {
 public:
  explicit Unary(const char* name) : name_(name) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
    return UnaryArithmeticResultType(name_, *args[0]);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const bool negate = std::string_view(name_) == "negate";
    return DispatchNumber(result->id, [&](auto tag) -> Result<ColumnPtr> {
      using R = decltype(tag);
      if constexpr (std::is_floating_point_v<R>) {
        std::vector<R> x = NumbersAs<R>(*args[0], rows);
        for (R& v : x) v = negate ? -v : std::fabs(v);
        return NumberColumn(result, x);
      } else {
        // Through the signed 128-bit value: exact for every input, then wrapped into R.
        std::vector<Int128> x = NumbersAs<Int128>(*args[0], rows);
        std::vector<R> out(rows);
        for (size_t i = 0; i < rows; ++i) {
          Int128 v = negate ? -x[i] : (x[i] < 0 ? -x[i] : x[i]);
          out[i] = static_cast<R>(static_cast<std::make_unsigned_t<R>>(static_cast<unsigned __int128>(v)));
        }
        return NumberColumn(result, out);
      }
    });
  }

 private:
  const char* name_;
};

}  // namespace

void RegisterArithmeticFunctions(FunctionMap& functions) {
  functions.emplace("plus", std::make_unique<Binary>("plus", Op::kPlus));
  functions.emplace("minus", std::make_unique<Binary>("minus", Op::kMinus));
  functions.emplace("multiply", std::make_unique<Binary>("multiply", Op::kMultiply));
  functions.emplace("divide", std::make_unique<Binary>("divide", Op::kDivide));
  functions.emplace("intDiv", std::make_unique<Binary>("intDiv", Op::kIntDiv));
  functions.emplace("modulo", std::make_unique<Binary>("modulo", Op::kModulo));
  functions.emplace("negate", std::make_unique<Unary>("negate"));
  functions.emplace("abs", std::make_unique<Unary>("abs"));
}

}  // namespace hedgerow::query
