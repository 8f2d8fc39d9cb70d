// arrayMap, arrayFilter, arrayFirst, arrayFirstIndex, and the lambda forms of arrayExists,
// arrayAll, arrayCount, arraySum, arrayMin, arrayMax, arrayAvg, arrayCumSum, arraySort and
// arrayReverseSort (their plain forms are in functions_array_reduce.cc, which these call on
// the mapped arrays).

#include "functions_lambda.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "array_values.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "rewrite.h"

namespace hedgerow::query {

bool IsHigherOrder(std::string_view name) {
  static const std::set<std::string, std::less<>> kNames = {
      "arrayMap", "arrayFilter", "arrayFirst", "arrayFirstIndex", "arrayExists", "arrayAll", "arrayCount", "arraySum",
      "arrayMin", "arrayMax",    "arrayAvg",   "arrayCumSum",     "arraySort",   "arrayReverseSort"};
  return kNames.count(name) != 0;
}

namespace {

// The checks both entry points share: a known function, the lambda first, one array after
// it per parameter (`array_types` are the types of args[1...]).
Status CheckCall(const Expr& expr, const std::vector<DataTypePtr>& array_types) {
  const std::string& name = expr.name;
  if (!IsHigherOrder(name)) return Status::InvalidArgument(fmt::format("Function {} does not take a lambda", name));
  if (expr.args[0]->kind != Expr::Kind::kLambda) {
    return Status::InvalidArgument(fmt::format("First argument for function {} must be a function.", name));
  }
  const Expr& lambda = *expr.args[0];
  if (array_types.empty()) return Status::InvalidArgument(fmt::format("Function {} needs at least one array argument.", name));
  for (size_t i = 0; i < array_types.size(); ++i) {
    if (array_types[i]->id != TypeId::kArray) {
      return Status::InvalidArgument(fmt::format("Argument {} of function {} must be array. Found {} instead.", i + 2, name,
                                                 array_types[i]->Name()));
    }
  }
  if (lambda.lambda_params.size() != array_types.size()) {
    return Status::InvalidArgument(fmt::format("First argument for this overload of {} must be a function with {} arguments.",
                                               name, array_types.size()));
  }
  return Status::Ok();
}

// The result type from the type of the body.
Result<DataTypePtr> ResultType(const Expr& expr, const DataTypePtr& first_array, const DataTypePtr& body) {
  const std::string& name = expr.name;
  const bool needs_mask = name == "arrayFilter" || name == "arrayFirst" || name == "arrayFirstIndex";
  if (needs_mask && body->id != TypeId::kUInt8) {
    return Status::InvalidArgument(fmt::format("Expression for function {} must return UInt8, found {}", name, body->Name()));
  }
  if (name == "arrayMap") return MakeArray(body);
  if (name == "arrayFilter" || name == "arraySort" || name == "arrayReverseSort") return first_array;
  if (name == "arrayFirst") return first_array->nested[0];
  if (name == "arrayFirstIndex") return MakeType(TypeId::kUInt32);
  return FunctionReturnType(name, {MakeArray(body)});
}

void CollectIdentifiers(const Expr& e, std::set<std::string>& out) {
  if (e.kind == Expr::Kind::kIdentifier) out.insert(IdentifierName(e));
  for (const ExprPtr& a : e.args) CollectIdentifiers(*a, out);
}

// `column`'s row r repeated sizes(r) times: an outer column as the flattened elements see it.
ColumnPtr Replicate(const ColumnPtr& column, const std::vector<uint64_t>& offsets, uint64_t elements) {
  if (column->is_const) {
    auto c = std::make_shared<Column>(*column);
    c->rows = elements;
    return c;
  }
  std::vector<uint64_t> picks;
  picks.reserve(elements);
  for (size_t r = 0; r < offsets.size(); ++r) {
    for (uint64_t k = r == 0 ? 0 : offsets[r - 1]; k < offsets[r]; ++k) picks.push_back(r);
  }
  return TakeRows(*column, picks);
}

// The call over `rows` rows of `arrays` (non-constant, equal sizes checked) and the outer
// columns of `chunk`.
Result<ColumnPtr> Run(const Expr& expr, const std::vector<ColumnPtr>& arrays, const Chunk& chunk, size_t rows) {
  const Expr& lambda = *expr.args[0];
  const std::vector<uint64_t>& offsets = arrays[0]->offsets;
  const uint64_t elements = offsets.empty() ? 0 : offsets.back();
  if (elements > kMaxArrayElements) return TooManyElements(expr.name, elements);
  Chunk inner;
  inner.rows = elements;
  for (size_t i = 0; i < arrays.size(); ++i) {
    inner.names.push_back(lambda.lambda_params[i]);
    inner.columns.push_back(arrays[i]->nested[0]);
  }
  std::set<std::string> used;
  CollectIdentifiers(*lambda.args[0], used);
  for (const std::string& name : used) {
    const int at = chunk.Find(name);
    if (at < 0 || inner.Find(name) >= 0) continue;  // a parameter shadows an outer column
    inner.names.push_back(name);
    inner.columns.push_back(Replicate(chunk.columns[static_cast<size_t>(at)], offsets, elements));
  }
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr body, Evaluate(*lambda.args[0], inner));
  HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr result, ResultType(expr, arrays[0]->type, body->type));
  body = Materialize(body);
  ColumnPtr mapped = MakeArrayColumn(MakeArray(body->type), offsets, body);
  const std::string& name = expr.name;
  if (name == "arrayMap") return mapped;
  if (name == "arraySort" || name == "arrayReverseSort") return SortArrays(*arrays[0], mapped.get(), name == "arrayReverseSort");
  if (name != "arrayFilter" && name != "arrayFirst" && name != "arrayFirstIndex") return CallFunction(name, {mapped}, rows);
  const uint8_t* mask = body->Data<uint8_t>();
  std::vector<uint64_t> picks, out_offsets(rows);
  std::vector<uint32_t> indexes(rows, 0);
  for (size_t r = 0; r < rows; ++r) {
    const uint64_t begin = r == 0 ? 0 : offsets[r - 1];
    for (uint64_t i = begin; i < offsets[r]; ++i) {
      if (!mask[i]) continue;
      picks.push_back(i);
      if (name == "arrayFilter") continue;
      indexes[r] = static_cast<uint32_t>(i - begin + 1);
      break;
    }
    out_offsets[r] = picks.size();
  }
  if (name == "arrayFilter") return MakeArrayColumn(result, std::move(out_offsets), TakeRows(*arrays[0]->nested[0], picks));
  if (name == "arrayFirstIndex") {
    auto out = MakeColumn(result, rows);
    std::memcpy(out->fixed.data(), indexes.data(), rows * sizeof(uint32_t));
    return ColumnPtr(std::move(out));
  }
  // arrayFirst: the element found, or the type's default appended after the elements.
  auto all = std::make_shared<Column>(*arrays[0]->nested[0]);
  AppendRow(*all, *DefaultColumn(result, 1), 0);
  std::vector<uint64_t> firsts(rows, all->rows - 1);
  for (size_t r = 0; r < rows; ++r) {
    if (indexes[r] != 0) firsts[r] = (r == 0 ? 0 : offsets[r - 1]) + indexes[r] - 1;
  }
  return TakeRows(*all, firsts);
}

}  // namespace

Result<ColumnPtr> EvaluateHigherOrder(const Expr& expr, const Chunk& chunk) {
  std::vector<ColumnPtr> arrays;
  std::vector<DataTypePtr> types;
  for (size_t i = 1; i < expr.args.size(); ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr a, Evaluate(*expr.args[i], chunk));
    types.push_back(a->type);
    arrays.push_back(std::move(a));
  }
  HEDGEROW_RETURN_IF_ERROR(CheckCall(expr, types));
  // Constant arrays and a body that reads no outer column: computed once, a constant.
  std::set<std::string> used;
  CollectIdentifiers(*expr.args[0]->args[0], used);
  bool reads_outer = false;
  for (const std::string& name : used) {
    const Expr& lambda = *expr.args[0];
    const bool is_param = std::find(lambda.lambda_params.begin(), lambda.lambda_params.end(), name) != lambda.lambda_params.end();
    reads_outer = reads_outer || (!is_param && chunk.Find(name) >= 0 && !chunk.columns[static_cast<size_t>(chunk.Find(name))]->is_const);
  }
  bool all_const = !reads_outer;
  for (const ColumnPtr& a : arrays) all_const = all_const && a->is_const;
  const size_t rows = all_const ? 1 : chunk.rows;
  for (ColumnPtr& a : arrays) {
    if (a->is_const) {
      auto sized = std::make_shared<Column>(*a);
      sized->rows = rows;
      a = Materialize(sized);
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    const uint64_t size = arrays[0]->offsets[r] - (r == 0 ? 0 : arrays[0]->offsets[r - 1]);
    for (const ColumnPtr& a : arrays) {
      if (a->offsets[r] - (r == 0 ? 0 : a->offsets[r - 1]) != size) {
        return Status::InvalidArgument(fmt::format("Arrays passed to {} must have equal size", expr.name));
      }
    }
  }
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr out, Run(expr, arrays, chunk, rows));
  if (!all_const) return out;
  auto folded = std::make_shared<Column>(*out);
  folded->is_const = true;
  folded->rows = chunk.rows;
  return ColumnPtr(std::move(folded));
}

Result<DataTypePtr> HigherOrderReturnType(const Expr& expr, const std::map<std::string, DataTypePtr>& columns) {
  std::vector<DataTypePtr> types;
  for (size_t i = 1; i < expr.args.size(); ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*expr.args[i], columns));
    types.push_back(std::move(t));
  }
  HEDGEROW_RETURN_IF_ERROR(CheckCall(expr, types));
  const Expr& lambda = *expr.args[0];
  std::map<std::string, DataTypePtr> inner = columns;
  for (size_t i = 0; i < types.size(); ++i) inner[lambda.lambda_params[i]] = types[i]->nested[0];
  HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr body, TypeOfExpr(*lambda.args[0], inner));
  return ResultType(expr, types[0], body);
}

}  // namespace hedgerow::query
