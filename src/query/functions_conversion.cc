// toUInt8 ... toFloat64 from numbers and strings (and their OrZero / OrNull forms), toUUID,
// generateUUIDv4, toString, toNullable. Number to number
// conversions behave as ClickHouse's on x86-64: integers wrap (toUInt8(300) = 44), floats
// truncate toward zero, and a float outside Int64's range becomes Int64's minimum before
// wrapping, as the CPU's conversion instruction makes it. Strings must hold the number whole.

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "functions_impl.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::query {
namespace {

template <class R>
R FromDouble(double v) {
  if constexpr (std::is_floating_point_v<R>) {
    return static_cast<R>(v);
  } else {
    int64_t i = std::isfinite(v) && v > -9.223372036854775808e18 && v < 9.223372036854775808e18 ? static_cast<int64_t>(v)
                                                                                                  : INT64_MIN;
    return static_cast<R>(static_cast<std::make_unsigned_t<R>>(static_cast<uint64_t>(i)));
  }
}

template <class R>
Result<R> FromString(std::string_view s, const DataType& type) {
  auto fail = [&] { return Status::InvalidArgument(fmt::format("Cannot parse string '{}' as {}", s, type.Name())); };
  if constexpr (std::is_floating_point_v<R>) {
    std::string copy(s);
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size()) return fail();
    return static_cast<R>(v);
  } else {
    // As ClickHouse's readIntText: an optional sign, then digits accumulated with
    // wrap-around ('300' as UInt8 is 44, '-1' as UInt8 is 255).
    size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    if (i == s.size()) return fail();
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return fail();
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (negative && std::is_unsigned_v<R>) return fail();  // ClickHouse reads no sign into an unsigned type
    if (negative) v = 0 - v;
    return static_cast<R>(static_cast<std::make_unsigned_t<R>>(v));
  }
}

class ToNumber final : public Function {
 public:
  ToNumber(std::string name, TypeId id) : name_(std::move(name)), id_(id) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
    if (!args[0]->IsNumber() && args[0]->id != TypeId::kString) return IllegalTypes(name_, args);
    return MakeType(id_);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& in = *args[0];
    return DispatchNumber(id_, [&](auto tag) -> Result<ColumnPtr> {
      using R = decltype(tag);
      std::vector<R> out(rows);
      if (in.type->id == TypeId::kString) {
        for (size_t i = 0; i < rows; ++i) {
          HEDGEROW_ASSIGN_OR_RETURN(out[i], FromString<R>(in.StringAt(i), *result));
        }
      } else if (in.type->IsFloat()) {
        std::vector<double> v = NumbersAs<double>(in, rows);
        for (size_t i = 0; i < rows; ++i) out[i] = FromDouble<R>(v[i]);
      } else {
        out = NumbersAs<R>(in, rows);  // integer to integer: static_cast wraps as ClickHouse's
      }
      return NumberColumn(result, out);
    });
  }

 private:
  std::string name_;
  TypeId id_;
};

class ToString final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount("toString", args.size(), "1");
    return MakeType(TypeId::kString);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    if (args[0]->type->id == TypeId::kString) return args[0];
    auto out = MakeColumn(result, 0);
    out->rows = rows;
    for (size_t i = 0; i < rows; ++i) {
      out->chars += FormatValue(*args[0], i);
      out->offsets.push_back(out->chars.size());
    }
    return ColumnPtr(std::move(out));
  }
};

// toTypeName(x): the type's name, whatever the value (NULL included).
class ToTypeName final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount("toTypeName", args.size(), "1");
    return MakeType(TypeId::kString);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    return MakeConstColumn(args[0]->type->Name(), rows, result);
  }
};

class ToNullable final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount("toNullable", args.size(), "1");
    return MakeNullable(args[0]);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr&, size_t) const override {
    return args[0];  // CallFunction adds the (empty) null map
  }
};

// toInt64OrZero('x') ... toFloat64OrNull('x'): a string read as toInt64 reads it, 0 or NULL
// where it does not hold a number (18.16 takes strings only).
class ToNumberOr final : public Function {
 public:
  ToNumberOr(std::string name, TypeId id, bool or_null) : name_(std::move(name)), id_(id), or_null_(or_null) {}
  // OrNull makes its own Nullable result, so NULL inputs are its to handle.
  bool UseDefaultNulls() const override { return !or_null_; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
    const DataTypePtr& t = args[0]->id == TypeId::kNullable ? args[0]->nested[0] : args[0];
    if (t->id != TypeId::kString && !(or_null_ && t->id == TypeId::kNothing)) {
      return Status::InvalidArgument(fmt::format("Illegal type {} of first argument of function {}", args[0]->Name(), name_));
    }
    return or_null_ ? MakeNullable(MakeType(id_)) : MakeType(id_);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& in = *args[0];
    const Column* strings = in.type->id == TypeId::kNullable ? in.nested[0].get() : &in;
    const DataTypePtr number = MakeType(id_);
    std::vector<uint8_t> nulls(rows, 0);
    ColumnPtr values = DispatchNumber(id_, [&](auto tag) {
      using R = decltype(tag);
      std::vector<R> out(rows, R{});
      for (size_t i = 0; i < rows; ++i) {
        if (in.type->id == TypeId::kNothing || in.IsNullAt(i)) {
          nulls[i] = 1;
          continue;
        }
        Result<R> v = FromString<R>(strings->StringAt(in.At(i)), *number);
        if (v.ok()) {
          out[i] = *v;
        } else {
          nulls[i] = 1;
        }
      }
      return NumberColumn(number, out);
    });
    if (!or_null_) return values;
    auto out = std::make_shared<Column>();
    out->type = result;
    out->rows = rows;
    out->nulls = std::move(nulls);
    out->nested.push_back(std::move(values));
    return ColumnPtr(std::move(out));
  }

 private:
  std::string name_;
  TypeId id_;
  bool or_null_;
};

// toUUID(s): the 8-4-4-4-12 hex form, either case; toUUIDOrZero gives the zero UUID where
// toUUID fails (newer ClickHouse; 18.16 lacks it).
class ToUuid final : public Function {
 public:
  explicit ToUuid(bool or_zero) : or_zero_(or_zero) {}
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const char* name = or_zero_ ? "toUUIDOrZero" : "toUUID";
    if (args.size() != 1) return WrongArgumentCount(name, args.size(), "1");
    if (args[0]->id != TypeId::kString && args[0]->id != TypeId::kUuid) return IllegalTypes(name, args);
    return MakeType(TypeId::kUuid);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    if (args[0]->type->id == TypeId::kUuid) return args[0];
    auto out = MakeColumn(result, rows);
    for (size_t i = 0; i < rows; ++i) {
      std::optional<Uuid> u = Uuid::Parse(args[0]->StringAt(i));
      if (!u && !or_zero_) {
        return Status::InvalidArgument(fmt::format("Cannot parse uuid {}: Cannot parse UUID from String", args[0]->StringAt(i)));
      }
      if (u) std::memcpy(out->fixed.data() + i * 16, u->bytes.data(), 16);
    }
    return ColumnPtr(std::move(out));
  }

 private:
  bool or_zero_;
};

// generateUUIDv4(): a random UUID per row.
class GenerateUuid final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (!args.empty()) return WrongArgumentCount("generateUUIDv4", args.size(), "0");
    return MakeType(TypeId::kUuid);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>&, const DataTypePtr& result, size_t rows) const override {
    auto out = MakeColumn(result, rows);
    for (size_t i = 0; i < rows; ++i) std::memcpy(out->fixed.data() + i * 16, Uuid::V4().bytes.data(), 16);
    return ColumnPtr(std::move(out));
  }
};

}  // namespace

void RegisterConversionFunctions(FunctionMap& functions) {
  static const std::pair<const char*, TypeId> kNumbers[] = {
      {"toUInt8", TypeId::kUInt8}, {"toUInt16", TypeId::kUInt16}, {"toUInt32", TypeId::kUInt32},
      {"toUInt64", TypeId::kUInt64}, {"toInt8", TypeId::kInt8},   {"toInt16", TypeId::kInt16},
      {"toInt32", TypeId::kInt32}, {"toInt64", TypeId::kInt64},   {"toFloat32", TypeId::kFloat32},
      {"toFloat64", TypeId::kFloat64}};
  for (const auto& [name, id] : kNumbers) functions.emplace(name, std::make_unique<ToNumber>(name, id));
  functions.emplace("toString", std::make_unique<ToString>());
  functions.emplace("toNullable", std::make_unique<ToNullable>());
  functions.emplace("toTypeName", std::make_unique<ToTypeName>());
  for (const auto& [name, id] : kNumbers) {
    functions.emplace(std::string(name) + "OrZero", std::make_unique<ToNumberOr>(std::string(name) + "OrZero", id, false));
    functions.emplace(std::string(name) + "OrNull", std::make_unique<ToNumberOr>(std::string(name) + "OrNull", id, true));
  }
  functions.emplace("toUUID", std::make_unique<ToUuid>(false));
  functions.emplace("toUUIDOrZero", std::make_unique<ToUuid>(true));
  functions.emplace("generateUUIDv4", std::make_unique<GenerateUuid>());
}

}  // namespace hedgerow::query

namespace hedgerow::query {
namespace {

// The rows a column stores: a constant's one row as a one-row column.
ColumnPtr Stored(const ColumnPtr& c) {
  if (!c->is_const) return c;
  auto one = std::make_shared<Column>(*c);
  one->is_const = false;
  one->rows = 1;
  return one;
}

Result<ColumnPtr> CastStored(const ColumnPtr& in, const DataTypePtr& to) {
  const Column& src = *in;
  const size_t rows = src.rows;
  auto out = std::make_shared<Column>();
  out->type = to;
  out->rows = rows;
  const TypeId from = src.type->id;
  if (to->id == TypeId::kNullable) {
    ColumnPtr values;
    if (from == TypeId::kNullable && src.nested[0]->type->id != TypeId::kNothing) {
      out->nulls = src.nulls;
      HEDGEROW_ASSIGN_OR_RETURN(values, CastColumn(src.nested[0], to->nested[0]));
    } else if (from == TypeId::kNullable || from == TypeId::kNothing) {
      out->nulls.assign(rows, 1);
      values = DefaultColumn(to->nested[0], rows);  // NULLs' value slots hold the default
    } else {
      out->nulls.assign(rows, 0);
      HEDGEROW_ASSIGN_OR_RETURN(values, CastColumn(in, to->nested[0]));
    }
    out->nested.push_back(std::move(values));
    return ColumnPtr(std::move(out));
  }
  if (to->id == TypeId::kArray && from == TypeId::kArray) {
    out->offsets = src.offsets;
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr elements, CastColumn(src.nested[0], to->nested[0]));
    out->nested.push_back(std::move(elements));
    return ColumnPtr(std::move(out));
  }
  if (to->id == TypeId::kTuple && from == TypeId::kTuple && to->nested.size() == src.nested.size()) {
    for (size_t i = 0; i < to->nested.size(); ++i) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr element, CastColumn(src.nested[i], to->nested[i]));
      out->nested.push_back(std::move(element));
    }
    return ColumnPtr(std::move(out));
  }
  if (to->IsNumber() && src.type->IsNumber()) {
    return DispatchNumber(to->id, [&](auto tag) -> Result<ColumnPtr> {
      using R = decltype(tag);
      return NumberColumn(to, NumbersAs<R>(src, rows));
    });
  }
  if (to->id == TypeId::kDateTime && from == TypeId::kDate) {
    std::vector<uint32_t> seconds(rows);
    for (size_t i = 0; i < rows; ++i) seconds[i] = static_cast<uint32_t>(src.Get<uint16_t>(i)) * 86400u;
    return NumberColumn(to, seconds);
  }
  return Status::InvalidArgument(fmt::format("Cannot convert {} to {}", src.type->Name(), to->Name()));
}

}  // namespace

Result<ColumnPtr> CastColumn(const ColumnPtr& column, const DataTypePtr& type) {
  if (column->type->Name() == type->Name()) return column;
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr out, CastStored(Stored(column), type));
  if (column->is_const) {
    auto folded = std::make_shared<Column>(*out);
    folded->is_const = true;
    folded->rows = column->rows;
    out = std::move(folded);
  }
  return out;
}

}  // namespace hedgerow::query
