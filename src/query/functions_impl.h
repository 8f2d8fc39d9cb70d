#pragma once

// What the function files share: the registry they add to and helpers for reading
// arguments.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "dispatch.h"
#include "hedgerow/query/functions.h"

namespace hedgerow::query {

using FunctionMap = std::map<std::string, std::unique_ptr<Function>, std::less<>>;

void RegisterArithmeticFunctions(FunctionMap& functions);
void RegisterComparisonFunctions(FunctionMap& functions);
void RegisterConversionFunctions(FunctionMap& functions);
void RegisterArrayFunctions(FunctionMap& functions);
void RegisterStringFunctions(FunctionMap& functions);
void RegisterConditionalFunctions(FunctionMap& functions);
void RegisterDateFunctions(FunctionMap& functions);
void RegisterJsonFunctions(FunctionMap& functions);
void RegisterTextFunctions(FunctionMap& functions);
void RegisterMathFunctions(FunctionMap& functions);
void RegisterHashFunctions(FunctionMap& functions);
void RegisterSetFunctions(FunctionMap& functions);
void RegisterSystemFunctions(FunctionMap& functions);

// ClickHouse's LIKE: % any run, _ one byte, a backslash escapes the next character; the
// whole text must match. `fold_case` for ILIKE (ASCII letters).
bool MatchLike(std::string_view text, std::string_view pattern, bool fold_case);

Status WrongArgumentCount(std::string_view function, size_t given, std::string_view expected);
Status IllegalTypes(std::string_view function, const std::vector<DataTypePtr>& args);

// The values of a number column as R, row by row (constants repeated), as static_cast
// converts them.
template <class R>
std::vector<R> NumbersAs(const Column& c, size_t rows) {
  std::vector<R> out(rows);
  DispatchNumber(c.type->id, [&](auto tag) {
    using T = decltype(tag);
    if (c.is_const) {
      R v = static_cast<R>(c.Get<T>(0));
      std::fill(out.begin(), out.end(), v);
    } else {
      const T* data = c.Data<T>();
      for (size_t i = 0; i < rows; ++i) out[i] = static_cast<R>(data[i]);
    }
    return 0;
  });
  return out;
}

// A new column of `type` holding `values` (T the C++ type of `type`).
template <class T>
ColumnPtr NumberColumn(const DataTypePtr& type, const std::vector<T>& values) {
  auto c = MakeColumn(type, 0);
  c->rows = values.size();
  c->fixed.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(c->fixed.data(), values.data(), c->fixed.size());
  return c;
}

}  // namespace hedgerow::query
