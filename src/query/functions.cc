#include "hedgerow/query/functions.h"

#include <algorithm>

#include "aggregate.h"
#include "functions_impl.h"
#include "functions_lambda.h"
#include "hedgerow/query/function_names.h"

namespace hedgerow::query {
namespace {

const FunctionMap& Functions() {
  static const FunctionMap functions = [] {
    FunctionMap m;
    RegisterArithmeticFunctions(m);
    RegisterComparisonFunctions(m);
    RegisterConversionFunctions(m);
    RegisterArrayFunctions(m);
    RegisterStringFunctions(m);
    RegisterConditionalFunctions(m);
    RegisterDateFunctions(m);
    RegisterJsonFunctions(m);
    RegisterTextFunctions(m);
    RegisterMathFunctions(m);
    RegisterHashFunctions(m);
    RegisterSetFunctions(m);
    RegisterSystemFunctions(m);
    return m;
  }();
  return functions;
}

bool IsConstNull(const Column& c) { return c.type->id == TypeId::kNullable && c.is_const && c.nulls[0] != 0; }

// The type inside a Nullable (the type itself otherwise).
DataTypePtr Unwrapped(const DataTypePtr& t) { return t->id == TypeId::kNullable ? t->nested[0] : t; }

}  // namespace

Status WrongArgumentCount(std::string_view function, size_t given, std::string_view expected) {
  return Status::InvalidArgument(fmt::format(
      "Number of arguments for function {} doesn't match: passed {}, should be {}", function, given, expected));
}

Status IllegalTypes(std::string_view function, const std::vector<DataTypePtr>& args) {
  std::string names;
  for (const DataTypePtr& t : args) names += (names.empty() ? "" : ", ") + t->Name();
  return Status::InvalidArgument(fmt::format("Illegal types ({}) of arguments of function {}", names, function));
}

const Function* FindFunction(std::string_view name) {
  auto it = Functions().find(name);
  return it == Functions().end() ? nullptr : it->second.get();
}

Result<DataTypePtr> FunctionReturnType(std::string_view name, const std::vector<DataTypePtr>& args) {
  const Function* f = FindFunction(name);
  if (f == nullptr) return Status::InvalidArgument(fmt::format("Unknown function {}", name));
  if (!f->UseDefaultNulls()) return f->ReturnType(args);
  bool nullable = false;
  std::vector<DataTypePtr> inner;
  for (const DataTypePtr& t : args) {
    nullable = nullable || t->id == TypeId::kNullable;
    DataTypePtr u = Unwrapped(t);
    // NULL's Nothing takes any type: typed as UInt8 to find the result, which is NULL anyway.
    inner.push_back(u->id == TypeId::kNothing ? MakeType(TypeId::kUInt8) : u);
  }
  auto typed = f->ReturnType(inner);
  bool has_null = false;
  for (size_t i = 0; i < args.size() && !typed.ok(); ++i) {
    if (Unwrapped(args[i])->id != TypeId::kNothing) continue;
    inner[i] = MakeType(TypeId::kString);  // a function of strings: NULL stands for a String
    has_null = true;
  }
  if (has_null) typed = f->ReturnType(inner);
  HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr result, std::move(typed));
  return nullable ? MakeNullable(std::move(result)) : result;
}

Result<ColumnPtr> CallFunction(std::string_view name, const std::vector<ColumnPtr>& args, size_t rows) {
  const Function* f = FindFunction(name);
  if (f == nullptr) return Status::InvalidArgument(fmt::format("Unknown function {}", name));
  std::vector<DataTypePtr> types;
  for (const ColumnPtr& a : args) types.push_back(a->type);
  HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr result_type, FunctionReturnType(name, types));
  const bool all_const = !args.empty() && std::all_of(args.begin(), args.end(), [](const ColumnPtr& a) { return a->is_const; });
  const size_t run_rows = all_const ? 1 : rows;
  if (!f->UseDefaultNulls()) {
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr out, f->Execute(args, result_type, run_rows));
    if (!all_const) return out;
    auto folded = std::make_shared<Column>(*out);
    folded->is_const = true;
    folded->rows = rows;
    return ColumnPtr(std::move(folded));
  }
  for (const ColumnPtr& a : args) {
    if (IsConstNull(*a)) return MakeConstColumn(Null{}, rows, result_type);
  }
  // Nullable arguments: run on their values; the result is NULL where any argument is.
  std::vector<ColumnPtr> values;
  std::vector<uint8_t> nulls;
  for (const ColumnPtr& a : args) {
    if (a->type->id != TypeId::kNullable) {
      values.push_back(a);
      continue;
    }
    if (nulls.empty()) nulls.assign(run_rows, 0);
    for (size_t i = 0; i < run_rows; ++i) nulls[i] |= a->nulls[a->At(i)];
    auto inner = std::make_shared<Column>(*a->nested[0]);
    if (a->is_const) {
      inner->is_const = true;
      inner->rows = run_rows;
    }
    values.push_back(std::move(inner));
  }
  if (all_const) {
    for (ColumnPtr& v : values) {
      auto one = std::make_shared<Column>(*v);
      one->rows = 1;
      v = std::move(one);
    }
  }
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr out, f->Execute(values, Unwrapped(result_type), run_rows));
  if (result_type->id == TypeId::kNullable) {
    auto wrapped = std::make_shared<Column>();
    wrapped->type = result_type;
    wrapped->rows = run_rows;
    wrapped->nulls = nulls.empty() ? std::vector<uint8_t>(run_rows, 0) : std::move(nulls);
    wrapped->nested.push_back(std::move(out));
    out = std::move(wrapped);
  }
  if (all_const) {
    auto folded = std::make_shared<Column>(*out);
    folded->is_const = true;
    folded->rows = rows;
    out = std::move(folded);
  }
  return out;
}

bool IsKnownFunction(std::string_view name) {
  return FindFunction(name) != nullptr || Aggregate::IsAggregate(name) || IsHigherOrder(name) || name == "arrayJoin";
}

}  // namespace hedgerow::query
