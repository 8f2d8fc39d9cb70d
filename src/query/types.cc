#include "hedgerow/query/types.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace hedgerow::query {
namespace {

struct Named {
  TypeId id;
  std::string_view name;
};
constexpr Named kSimpleTypes[] = {
    {TypeId::kNothing, "Nothing"}, {TypeId::kUInt8, "UInt8"},     {TypeId::kUInt16, "UInt16"},
    {TypeId::kUInt32, "UInt32"},   {TypeId::kUInt64, "UInt64"},   {TypeId::kInt8, "Int8"},
    {TypeId::kInt16, "Int16"},     {TypeId::kInt32, "Int32"},     {TypeId::kInt64, "Int64"},
    {TypeId::kFloat32, "Float32"}, {TypeId::kFloat64, "Float64"}, {TypeId::kString, "String"},
    {TypeId::kUuid, "UUID"},       {TypeId::kDate, "Date"},       {TypeId::kDateTime, "DateTime"},
};

Status NoSupertype(const std::vector<DataTypePtr>& types) {
  std::string names;
  for (const DataTypePtr& t : types) names += (names.empty() ? "" : ", ") + t->Name();
  return Status::InvalidArgument(fmt::format("There is no supertype for types {}", names));
}

// A recursive-descent reader of type names, bounded in depth.
class TypeNameReader {
 public:
  explicit TypeNameReader(std::string_view text) : text_(text) {}

  Result<DataTypePtr> Whole() {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, Type(0));
    SkipSpace();
    if (at_ != text_.size()) return Error("unexpected text after the type");
    return t;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::InvalidArgument(fmt::format("Unknown data type \"{}\": {}", text_, what));
  }
  void SkipSpace() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  bool Accept(char c) {
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  std::string_view Word() {
    SkipSpace();
    size_t start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_')) ++at_;
    return text_.substr(start, at_ - start);
  }
  Result<std::string> Quoted() {
    SkipSpace();
    if (at_ >= text_.size() || text_[at_] != '\'') return Error("expected a quoted string");
    size_t end = text_.find('\'', at_ + 1);
    if (end == std::string_view::npos) return Error("unterminated string");
    std::string out(text_.substr(at_ + 1, end - at_ - 1));
    at_ = end + 1;
    return out;
  }

  Result<DataTypePtr> Type(int depth) {
    if (depth > 32) return Error("nested too deeply");
    std::string_view name = Word();
    if (name.empty()) return Error("expected a type name");
    for (const Named& n : kSimpleTypes) {
      if (name == n.name && n.id != TypeId::kDateTime) return MakeType(n.id);
    }
    auto out = std::make_shared<DataType>();
    if (name == "DateTime") {
      out->id = TypeId::kDateTime;
      if (Accept('(')) {
        HEDGEROW_ASSIGN_OR_RETURN(out->timezone, Quoted());
        if (!Accept(')')) return Error("expected ')'");
      }
      return DataTypePtr(std::move(out));
    }
    if (name == "DateTime64") {
      out->id = TypeId::kDateTime64;
      if (!Accept('(')) return Error("DateTime64 needs a scale");
      std::string_view scale = Word();
      if (scale.empty() || scale.size() > 1 || !std::isdigit(static_cast<unsigned char>(scale[0]))) {
        return Error("DateTime64's scale must be 0 to 9");
      }
      out->scale = static_cast<uint32_t>(scale[0] - '0');
      if (Accept(',')) {
        HEDGEROW_ASSIGN_OR_RETURN(out->timezone, Quoted());
      }
      if (!Accept(')')) return Error("expected ')'");
      return DataTypePtr(std::move(out));
    }
    if (name == "Nullable" || name == "Array" || name == "LowCardinality") {
      if (!Accept('(')) return Error(fmt::format("{} needs a type in parentheses", name));
      HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr inner, Type(depth + 1));
      if (!Accept(')')) return Error("expected ')'");
      if (name == "LowCardinality") return inner;  // a storage choice, the same values
      return name == "Nullable" ? MakeNullable(std::move(inner)) : MakeArray(std::move(inner));
    }
    if (name == "Tuple") {
      if (!Accept('(')) return Error("Tuple needs element types");
      std::vector<DataTypePtr> elements;
      std::vector<std::string> names;
      do {
        // "name Type" or "Type": a word followed by another word is a name.
        size_t mark = at_;
        std::string_view first = Word();
        SkipSpace();
        if (!first.empty() && at_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[at_]))) {
          names.emplace_back(first);
        } else {
          at_ = mark;
        }
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, Type(depth + 1));
        elements.push_back(std::move(element));
      } while (Accept(','));
      if (!Accept(')')) return Error("expected ')'");
      if (!names.empty() && names.size() != elements.size()) return Error("name every element of a Tuple or none");
      return MakeTuple(std::move(elements), std::move(names));
    }
    return Error("not a type hedgerow knows");
  }

  std::string_view text_;
  size_t at_ = 0;
};

}  // namespace

size_t DataType::NumberSize() const {
  switch (id) {
    case TypeId::kUInt8:
    case TypeId::kInt8: return 1;
    case TypeId::kUInt16:
    case TypeId::kInt16: return 2;
    case TypeId::kUInt32:
    case TypeId::kInt32:
    case TypeId::kFloat32: return 4;
    case TypeId::kUInt64:
    case TypeId::kInt64:
    case TypeId::kFloat64:
    case TypeId::kInterval: return 8;
    default: return 0;
  }
}

std::string DataType::Name() const {
  switch (id) {
    case TypeId::kNullable: return "Nullable(" + nested[0]->Name() + ")";
    case TypeId::kArray: return "Array(" + nested[0]->Name() + ")";
    case TypeId::kTuple: {
      std::string out = "Tuple(";
      for (size_t i = 0; i < nested.size(); ++i) {
        if (i > 0) out += ", ";
        if (!element_names.empty()) out += element_names[i] + " ";
        out += nested[i]->Name();
      }
      return out + ")";
    }
    case TypeId::kInterval: return "Interval" + std::string(IntervalUnitName(interval_unit));
    case TypeId::kDateTime: return timezone.empty() ? "DateTime" : fmt::format("DateTime('{}')", timezone);
    case TypeId::kDateTime64:
      return timezone.empty() ? fmt::format("DateTime64({})", scale) : fmt::format("DateTime64({}, '{}')", scale, timezone);
    default:
      for (const Named& n : kSimpleTypes) {
        if (n.id == id) return std::string(n.name);
      }
      return "?";
  }
}

DataTypePtr MakeType(TypeId id) {
  auto t = std::make_shared<DataType>();
  t->id = id;
  return t;
}

DataTypePtr MakeNullable(DataTypePtr nested) {
  if (nested->id == TypeId::kNullable) return nested;
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kNullable;
  t->nested.push_back(std::move(nested));
  return t;
}

DataTypePtr MakeArray(DataTypePtr element) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kArray;
  t->nested.push_back(std::move(element));
  return t;
}

DataTypePtr MakeTuple(std::vector<DataTypePtr> elements, std::vector<std::string> names) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kTuple;
  t->nested = std::move(elements);
  t->element_names = std::move(names);
  return t;
}

DataTypePtr MakeInterval(IntervalUnit unit) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kInterval;
  t->interval_unit = unit;
  return t;
}

std::string_view IntervalUnitName(IntervalUnit unit) {
  static constexpr std::string_view kNames[] = {"Second", "Minute", "Hour", "Day", "Week", "Month", "Quarter", "Year"};
  return kNames[static_cast<size_t>(unit)];
}

DataTypePtr MakeNumber(bool is_signed, bool is_float, size_t size) {
  if (is_float) return MakeType(size <= 4 ? TypeId::kFloat32 : TypeId::kFloat64);
  switch (size) {
    case 1: return MakeType(is_signed ? TypeId::kInt8 : TypeId::kUInt8);
    case 2: return MakeType(is_signed ? TypeId::kInt16 : TypeId::kUInt16);
    case 4: return MakeType(is_signed ? TypeId::kInt32 : TypeId::kUInt32);
    default: return MakeType(is_signed ? TypeId::kInt64 : TypeId::kUInt64);
  }
}

Result<DataTypePtr> ParseDataType(std::string_view name) { return TypeNameReader(name).Whole(); }

Result<DataTypePtr> ArithmeticResultType(std::string_view function, const DataType& a, const DataType& b) {
  if (!a.IsNumber() || !b.IsNumber()) {
    return Status::InvalidArgument(
        fmt::format("Illegal types {} and {} of arguments of function {}", a.Name(), b.Name(), function));
  }
  const bool is_signed = a.IsSigned() || b.IsSigned();
  const bool is_float = a.IsFloat() || b.IsFloat();
  // NumberTraits: sums and products grow one size (up to 8 bytes), differences are signed,
  // quotients Float64; intDiv keeps the dividend's size and modulo the divisor's (a float
  // counting as a signed integer of its size).
  const size_t next = std::min<size_t>(8, 2 * std::max(a.NumberSize(), b.NumberSize()));
  if (function == "plus" || function == "multiply") return MakeNumber(is_signed, is_float, next);
  if (function == "minus") return MakeNumber(true, is_float, next);
  if (function == "divide") return MakeType(TypeId::kFloat64);
  if (function == "intDiv") return MakeNumber(is_signed, false, a.NumberSize());
  if (function == "modulo") return MakeNumber(is_signed, false, b.NumberSize());
  return Status::InvalidArgument(fmt::format("{} is not an arithmetic function", function));
}

Result<DataTypePtr> UnaryArithmeticResultType(std::string_view function, const DataType& a) {
  if (!a.IsNumber()) {
    return Status::InvalidArgument(fmt::format("Illegal type {} of argument of function {}", a.Name(), function));
  }
  if (a.IsFloat()) return MakeType(a.id);
  if (function == "negate") {
    return a.IsSigned() ? MakeType(a.id) : MakeNumber(true, false, std::min<size_t>(8, 2 * a.NumberSize()));
  }
  if (function == "abs") return MakeNumber(false, false, a.NumberSize());
  return Status::InvalidArgument(fmt::format("{} is not a unary arithmetic function", function));
}

Result<DataTypePtr> LeastSupertype(const std::vector<DataTypePtr>& types) {
  if (types.empty()) return MakeType(TypeId::kNothing);
  // NULLs and Nullable: the supertype of what is inside, made Nullable.
  bool nullable = false;
  std::vector<DataTypePtr> inner;
  for (const DataTypePtr& t : types) {
    if (t->id == TypeId::kNullable) {
      nullable = true;
      if (t->nested[0]->id != TypeId::kNothing) inner.push_back(t->nested[0]);
    } else if (t->id != TypeId::kNothing) {
      inner.push_back(t);
    }
  }
  if (nullable) {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, LeastSupertype(inner));
    return MakeNullable(std::move(t));
  }
  if (inner.empty()) return MakeType(TypeId::kNothing);
  const DataType& first = *inner[0];
  if (std::all_of(inner.begin(), inner.end(), [&](const DataTypePtr& t) { return t->Name() == first.Name(); })) {
    return inner[0];
  }
  if (std::all_of(inner.begin(), inner.end(), [](const DataTypePtr& t) { return t->id == TypeId::kArray; })) {
    std::vector<DataTypePtr> elements;
    for (const DataTypePtr& t : inner) elements.push_back(t->nested[0]);
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype(elements));
    return MakeArray(std::move(element));
  }
  if (std::all_of(inner.begin(), inner.end(),
                  [&](const DataTypePtr& t) { return t->id == TypeId::kTuple && t->nested.size() == first.nested.size(); })) {
    std::vector<DataTypePtr> elements;
    for (size_t i = 0; i < first.nested.size(); ++i) {
      std::vector<DataTypePtr> column;
      for (const DataTypePtr& t : inner) column.push_back(t->nested[i]);
      HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype(column));
      elements.push_back(std::move(element));
    }
    return MakeTuple(std::move(elements));
  }
  if (std::all_of(inner.begin(), inner.end(),
                  [](const DataTypePtr& t) { return t->id == TypeId::kDate || t->id == TypeId::kDateTime; })) {
    return MakeType(TypeId::kDateTime);
  }
  if (!std::all_of(inner.begin(), inner.end(), [](const DataTypePtr& t) { return t->IsNumber(); })) {
    return NoSupertype(types);
  }
  size_t max_unsigned = 0, max_signed = 0, max_float = 0;
  for (const DataTypePtr& t : inner) {
    size_t& slot = t->IsFloat() ? max_float : t->IsSigned() ? max_signed : max_unsigned;
    slot = std::max(slot, t->NumberSize());
  }
  // The integers must fit the result exactly: a signed result one size above the largest
  // unsigned; a float whose mantissa holds them (Float32: up to 16 bits, Float64: 32).
  const size_t int_size = std::max(max_signed, max_signed > 0 ? 2 * max_unsigned : max_unsigned);
  if (max_float > 0) {
    if (int_size > 4) return NoSupertype(types);
    return MakeNumber(true, true, int_size > 2 ? 8 : max_float);
  }
  if (max_signed == 0) return MakeNumber(false, false, max_unsigned);
  if (max_unsigned == 0) return MakeNumber(true, false, max_signed);
  if (max_unsigned == 8) return NoSupertype(types);
  return MakeNumber(true, false, std::max(max_signed, 2 * max_unsigned));
}

DataTypePtr LiteralType(const Literal& literal) {
  struct Visitor {
    DataTypePtr operator()(const Null&) const { return MakeNullable(MakeType(TypeId::kNothing)); }
    DataTypePtr operator()(bool) const { return MakeType(TypeId::kUInt8); }
    DataTypePtr operator()(int64_t v) const {
      if (v >= 0) return (*this)(static_cast<uint64_t>(v));
      if (v >= INT8_MIN) return MakeType(TypeId::kInt8);
      if (v >= INT16_MIN) return MakeType(TypeId::kInt16);
      if (v >= INT32_MIN) return MakeType(TypeId::kInt32);
      return MakeType(TypeId::kInt64);
    }
    DataTypePtr operator()(uint64_t v) const {
      if (v <= UINT8_MAX) return MakeType(TypeId::kUInt8);
      if (v <= UINT16_MAX) return MakeType(TypeId::kUInt16);
      if (v <= UINT32_MAX) return MakeType(TypeId::kUInt32);
      return MakeType(TypeId::kUInt64);
    }
    DataTypePtr operator()(double) const { return MakeType(TypeId::kFloat64); }
    DataTypePtr operator()(const std::string&) const { return MakeType(TypeId::kString); }
  };
  return std::visit(Visitor{}, literal);
}

}  // namespace hedgerow::query
