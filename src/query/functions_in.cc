// x IN set and x NOT IN set. The set is a constant: a literal list (a tuple), one value,
// or a subquery's rows (the planner passes those as a one-row Array). Values compare by
// value across number types (1 IN (1.0) is true, -1 IN (18446744073709551615) is not);
// strings only with strings; a Date or DateTime with strings read as dates. A NULL on the
// left is in no set; NULLs in the set match nothing (ClickHouse's transform_null_in = 0).

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "dispatch.h"
#include "functions_impl.h"

namespace hedgerow::query {
namespace {

bool IsDate(const DataType& t) { return t.id == TypeId::kDate || t.id == TypeId::kDateTime || t.id == TypeId::kDateTime64; }

// The bytes that stand for a value in the set: equal values of any number types get the
// same bytes. `ok` false for a value of a kind that cannot equal the left side's.
bool ValueKey(const Column& c, size_t row, std::string& key) {
  if (c.IsNullAt(row)) return false;
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  switch (v.type->id) {
    case TypeId::kString: {
      std::string_view s = v.StringAt(row);
      uint64_t n = s.size();
      key.append("s").append(reinterpret_cast<const char*>(&n), sizeof n).append(s);
      return true;
    }
    case TypeId::kUuid:
      key.append("u").append(reinterpret_cast<const char*>(v.fixed.data() + v.At(row) * 16), 16);
      return true;
    case TypeId::kTuple:
      key.append("t");
      for (const ColumnPtr& e : v.nested) {
        if (!ValueKey(*e, row, key)) return false;
      }
      return true;
    case TypeId::kArray: {
      size_t r = v.At(row);
      uint64_t begin = r == 0 ? 0 : v.offsets[r - 1];
      uint64_t n = v.offsets[r] - begin;
      key.append("a").append(reinterpret_cast<const char*>(&n), sizeof n);
      for (uint64_t e = begin; e < v.offsets[r]; ++e) {
        if (!ValueKey(*v.nested[0], e, key)) return false;
      }
      return true;
    }
    case TypeId::kNothing: return false;
    case TypeId::kDate:
    case TypeId::kDateTime:
    case TypeId::kDateTime64: {
      // Times as instants in microseconds: a DateTime64 matches the same DateTime.
      int64_t micros = 0;
      if (v.type->id == TypeId::kDate) micros = int64_t{v.Get<uint16_t>(row)} * 86'400'000'000;
      if (v.type->id == TypeId::kDateTime) micros = int64_t{v.Get<uint32_t>(row)} * 1'000'000;
      if (v.type->id == TypeId::kDateTime64) {
        micros = v.Get<int64_t>(row);
        for (uint32_t s = v.type->scale; s < 6; ++s) micros *= 10;
        for (uint32_t s = v.type->scale; s > 6; --s) micros /= 10;
      }
      key.append("t").append(reinterpret_cast<const char*>(&micros), sizeof micros);
      return true;
    }
    default: break;
  }
  long double x = NumberAt(v, row);
  if (x == std::floor(x) && x >= -9223372036854775808.0L && x < 18446744073709551616.0L) {
    // An integer value: sign and magnitude, the same for every type that holds it.
    bool negative = x < 0;
    uint64_t magnitude = negative ? static_cast<uint64_t>(-(x + 1)) + 1 : static_cast<uint64_t>(x);
    key.append(negative ? "-" : "+").append(reinterpret_cast<const char*>(&magnitude), sizeof magnitude);
  } else {
    double d = static_cast<double>(x);
    key.append("f").append(reinterpret_cast<const char*>(&d), sizeof d);
  }
  return true;
}

// One element of the set as a one-row column of the left side's kind: strings given for
// dates are read as dates.
Result<ColumnPtr> Element(const ColumnPtr& element, const DataType& left) {
  const DataType& t = element->type->id == TypeId::kNullable ? *element->type->nested[0] : *element->type;
  if (IsDate(left) && t.id == TypeId::kString) {
    return CallFunction(left.id == TypeId::kDate ? "toDate" : "toDateTime", {element}, 1);
  }
  bool left_string = left.id == TypeId::kString, right_string = t.id == TypeId::kString;
  if (t.id != TypeId::kNothing && left.id != TypeId::kTuple && left_string != right_string) {
    return Status::InvalidArgument(fmt::format("Types of column 1 in section IN don't match: {} on the left, {} on the right",
                                               left.Name(), element->type->Name()));
  }
  return element;
}

// The one-row column of row `row` of `c`.
ColumnPtr RowOf(const ColumnPtr& c, size_t row) {
  auto out = MakeEmpty(c->type);
  AppendRow(*out, *c, row);
  return out;
}

class In final : public Function {
 public:
  explicit In(bool negated) : negated_(negated) {}
  bool UseDefaultNulls() const override { return false; }

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(negated_ ? "notIn" : "in", args.size(), "2");
    return MakeType(TypeId::kUInt8);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const ColumnPtr& x = args[0];
    const ColumnPtr& set = args[1];
    if (!set->is_const) return Status::InvalidArgument("The right side of IN must be a constant set or a subquery");
    const DataType& left = x->type->id == TypeId::kNullable ? *x->type->nested[0] : *x->type;
    // The set's elements, each a one-row column.
    std::vector<ColumnPtr> elements;
    const DataType& st = *set->type;
    if (st.id == TypeId::kArray) {
      uint64_t n = set->offsets[0];
      for (uint64_t i = 0; i < n; ++i) elements.push_back(RowOf(set->nested[0], i));
    } else if (st.id == TypeId::kTuple &&
               !(left.id == TypeId::kTuple && left.nested.size() == st.nested.size() &&
                 std::none_of(st.nested.begin(), st.nested.end(), [](const DataTypePtr& e) { return e->id == TypeId::kTuple; }))) {
      for (const ColumnPtr& e : set->nested) elements.push_back(RowOf(e, 0));
    } else {
      elements.push_back(RowOf(set, 0));
    }
    std::unordered_set<std::string> keys;
    std::string key;
    for (const ColumnPtr& e : elements) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr value, Element(e, left));
      key.clear();
      if (ValueKey(*value, 0, key)) keys.insert(key);
    }
    std::vector<uint8_t> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      key.clear();
      bool found = ValueKey(*x, r, key) && keys.count(key) > 0;
      out[r] = found != negated_;
    }
    return NumberColumn(result, out);
  }

 private:
  bool negated_;
};

}  // namespace

void RegisterSetFunctions(FunctionMap& functions) {
  functions.emplace("in", std::make_unique<In>(false));
  functions.emplace("globalIn", std::make_unique<In>(false));
  functions.emplace("notIn", std::make_unique<In>(true));
  functions.emplace("globalNotIn", std::make_unique<In>(true));
}

}  // namespace hedgerow::query
