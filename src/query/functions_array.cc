// array(...) and tuple(...): what [a, b] and (a, b) parse to. An array's elements take the
// least supertype of the arguments.

#include "functions_impl.h"

namespace hedgerow::query {
namespace {

class MakeArrayFunction final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype(args));
    return MakeArray(std::move(element));
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<ColumnPtr> elements;
    for (const ColumnPtr& a : args) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr cast, CastColumn(a, result->nested[0]));
      elements.push_back(std::move(cast));
    }
    auto out = MakeEmpty(result);
    auto values = MakeEmpty(result->nested[0]);
    for (size_t r = 0; r < rows; ++r) {
      for (const ColumnPtr& e : elements) AppendRow(*values, *e, r);
      out->offsets.push_back(values->rows);
    }
    out->rows = rows;
    out->nested[0] = std::move(values);
    return ColumnPtr(std::move(out));
  }
};

class MakeTupleFunction final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.empty()) return WrongArgumentCount("tuple", 0, "at least 1");
    return MakeTuple(args);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    auto out = std::make_shared<Column>();
    out->type = result;
    out->rows = rows;
    for (const ColumnPtr& a : args) {
      ColumnPtr element = a;
      if (a->is_const) {  // elements are whole columns
        auto stored = std::make_shared<Column>(*a);
        stored->rows = rows;
        element = Materialize(stored);
      }
      out->nested.push_back(std::move(element));
    }
    return ColumnPtr(std::move(out));
  }
};

}  // namespace

void RegisterArrayFunctions(FunctionMap& functions) {
  functions.emplace("array", std::make_unique<MakeArrayFunction>());
  functions.emplace("tuple", std::make_unique<MakeTupleFunction>());
}

}  // namespace hedgerow::query
