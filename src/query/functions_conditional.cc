// if, multiIf, isNull, isNotNull, coalesce, ifNull, nullIf: functions that take NULL as a value.
// A NULL condition counts as false; branches take their least supertype.

#include "functions_impl.h"

namespace hedgerow::query {
namespace {

bool IsCondition(const DataType& t) {
  const DataType& v = t.id == TypeId::kNullable ? *t.nested[0] : t;
  return v.IsNumber() || v.id == TypeId::kNothing;
}

// Per row, whether the condition holds (NULL: no).
std::vector<uint8_t> Truths(const Column& c, size_t rows) {
  std::vector<uint8_t> out(rows, 0);
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  if (v.type->id == TypeId::kNothing) return out;
  std::vector<double> values = NumbersAs<double>(v, v.is_const || c.is_const ? 1 : rows);
  for (size_t r = 0; r < rows; ++r) out[r] = values[v.is_const || c.is_const ? 0 : r] != 0 && !c.IsNullAt(r);
  return out;
}

// multiIf(c1, v1, ..., else) and if(c, a, b): each row from the first branch whose
// condition holds.
class Branches final : public Function {
 public:
  explicit Branches(const char* name) : name_(name) {}
  bool UseDefaultNulls() const override { return false; }

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const bool is_if = std::string_view(name_) == "if";
    if (is_if ? args.size() != 3 : args.size() < 3 || args.size() % 2 == 0) {
      return WrongArgumentCount(name_, args.size(), is_if ? "3" : "an odd number, at least 3");
    }
    std::vector<DataTypePtr> values;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      if (!IsCondition(*args[i])) return IllegalTypes(name_, args);
      values.push_back(args[i + 1]);
    }
    values.push_back(args.back());
    return LeastSupertype(values);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<std::vector<uint8_t>> conditions;
    std::vector<ColumnPtr> values;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      conditions.push_back(Truths(*args[i], rows));
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr v, CastColumn(args[i + 1], result));
      values.push_back(std::move(v));
    }
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr otherwise, CastColumn(args.back(), result));
    values.push_back(std::move(otherwise));
    auto out = MakeEmpty(result);
    for (size_t r = 0; r < rows; ++r) {
      size_t branch = conditions.size();
      for (size_t b = 0; b < conditions.size(); ++b) {
        if (conditions[b][r]) {
          branch = b;
          break;
        }
      }
      AppendRow(*out, *values[branch], r);
    }
    return ColumnPtr(std::move(out));
  }

 private:
  const char* name_;
};

class NullCheck final : public Function {
 public:
  explicit NullCheck(bool want_null) : want_null_(want_null) {}
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(want_null_ ? "isNull" : "isNotNull", args.size(), "1");
    return MakeType(TypeId::kUInt8);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& c = *args[0];
    std::vector<uint8_t> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      bool null = c.type->id == TypeId::kNothing || c.IsNullAt(r);
      out[r] = null == want_null_;
    }
    return NumberColumn(result, out);
  }

 private:
  bool want_null_;
};

// coalesce(a, b, ...) and ifNull(a, b): the first argument that is not NULL. The result is
// Nullable only when every argument is.
class Coalesce final : public Function {
 public:
  explicit Coalesce(const char* name) : name_(name) {}
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (std::string_view(name_) == "ifNull" ? args.size() != 2 : args.empty()) {
      return WrongArgumentCount(name_, args.size(), std::string_view(name_) == "ifNull" ? "2" : "at least 1");
    }
    std::vector<DataTypePtr> inner;
    bool all_nullable = true;
    for (const DataTypePtr& t : args) {
      bool nullable = t->id == TypeId::kNullable || t->id == TypeId::kNothing;
      all_nullable = all_nullable && nullable;
      DataTypePtr u = t->id == TypeId::kNullable ? t->nested[0] : t;
      if (u->id != TypeId::kNothing) inner.push_back(u);
    }
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr type, LeastSupertype(inner));
    return all_nullable ? MakeNullable(type) : type;
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const DataTypePtr inner = result->id == TypeId::kNullable ? result->nested[0] : result;
    std::vector<ColumnPtr> values;  // each argument's values as the result's inner type (NULL: none)
    for (const ColumnPtr& a : args) {
      if (a->type->id == TypeId::kNothing || (a->type->id == TypeId::kNullable && a->type->nested[0]->id == TypeId::kNothing)) {
        values.push_back(nullptr);
        continue;
      }
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr nullable, CastColumn(a, MakeNullable(inner)));
      values.push_back(Materialize(nullable));
    }
    auto out = MakeEmpty(result);
    for (size_t r = 0; r < rows; ++r) {
      const Column* chosen = nullptr;
      for (const ColumnPtr& v : values) {
        if (v != nullptr && !v->IsNullAt(r)) {
          chosen = v.get();
          break;
        }
      }
      if (result->id == TypeId::kNullable) {
        out->nulls.push_back(chosen == nullptr);
        ++out->rows;
        auto& target = const_cast<Column&>(*out->nested[0]);  // built here, not shared yet
        AppendRow(target, chosen != nullptr ? *chosen->nested[0] : *DefaultColumn(inner, 1), chosen != nullptr ? r : 0);
      } else {
        AppendRow(*out, *chosen->nested[0], r);  // the last argument is not Nullable: one always is
      }
    }
    return ColumnPtr(std::move(out));
  }

 private:
  const char* name_;
};

// nullIf(x, y): NULL where x = y (equals' answer, a NULL one counting as false), else x.
class NullIf final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount("nullIf", args.size(), "2");
    HEDGEROW_RETURN_IF_ERROR(FunctionReturnType("equals", args).status());
    return args[0]->id == TypeId::kNullable || args[0]->id == TypeId::kNothing ? args[0] : MakeNullable(args[0]);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    if (result->id == TypeId::kNothing) return args[0];
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr equal, CallFunction("equals", args, rows));
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr x, CastColumn(args[0], result));
    auto out = std::make_shared<Column>(*Materialize(x));
    std::vector<uint8_t> same = Truths(*equal, rows);
    for (size_t r = 0; r < rows; ++r) out->nulls[r] |= same[r];
    return ColumnPtr(std::move(out));
  }
};

}  // namespace

void RegisterConditionalFunctions(FunctionMap& functions) {
  functions.emplace("if", std::make_unique<Branches>("if"));
  functions.emplace("multiIf", std::make_unique<Branches>("multiIf"));
  functions.emplace("isNull", std::make_unique<NullCheck>(true));
  functions.emplace("isNotNull", std::make_unique<NullCheck>(false));
  functions.emplace("coalesce", std::make_unique<Coalesce>("coalesce"));
  functions.emplace("ifNull", std::make_unique<Coalesce>("ifNull"));
  functions.emplace("nullIf", std::make_unique<NullIf>());
}

}  // namespace hedgerow::query
