#pragma once

// What the aggregate files share: the batch an aggregate reads, per-group state growth, and
// the factories each file registers with aggregate.cc.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "aggregate.h"
#include "dispatch.h"
#include "functions_impl.h"

namespace hedgerow::query {

// One argument of a batch: its values (a Nullable's nested column) and how row r reads
// them, so that a constant is read in place instead of expanded.
struct ArgValues {
  const Column* column = nullptr;
  size_t step = 1;  // 0 for a constant: every row reads stored row 0

  template <class T>
  const T* Data() const { return column->Data<T>(); }
  std::string_view StringAt(size_t row) const { return column->StringAt(row * step); }
};

// The rows an aggregate adds: those that passed the -If condition and have no NULL
// argument, each with its group.
struct AggregateBatch {
  const uint32_t* groups = nullptr;
  const uint32_t* selected = nullptr;  // the rows to add; nullptr: every row of [0, size)
  size_t size = 0;
  std::vector<ArgValues> args;  // the -If condition left out

  // Calls f(row) for each row to add, in order; a template so that f is inlined into the
  // loop (no call per row).
  template <class F>
  void ForEach(F&& f) const {
    if (selected != nullptr) {
      for (size_t i = 0; i < size; ++i) f(static_cast<size_t>(selected[i]));
    } else {
      for (size_t r = 0; r < size; ++r) f(r);
    }
  }
};

// What a factory gets: the call's name (for errors), its parameters, and its argument types
// without the -If condition, Nullable taken off (the base class skips NULLs).
struct AggregateCall {
  std::string_view name;  // as written: sumIf, COUNT
  std::string_view base;  // the aggregate's own name: sum, count
  const std::vector<Literal>& params;
  std::vector<DataTypePtr> values;
  const std::vector<DataTypePtr>& args;  // as written, for error messages
};
using AggregateFactory = Result<std::unique_ptr<Aggregate>> (*)(const AggregateCall& call);

// The number type that holds a value of `id`: Date is UInt16 days, DateTime UInt32 seconds,
// DateTime64 Int64 ticks; numbers themselves; kNothing for other types.
inline TypeId NumberLayout(TypeId id) {
  switch (id) {
    case TypeId::kDate: return TypeId::kUInt16;
    case TypeId::kDateTime: return TypeId::kUInt32;
    case TypeId::kDateTime64: return TypeId::kInt64;
    default: return id >= TypeId::kUInt8 && id <= TypeId::kFloat64 ? id : TypeId::kNothing;
  }
}

// Sizes per-group state to `groups` entries (new ones `init`).
template <class T>
void GrowTo(std::vector<T>& v, size_t groups, const T& init = T{}) {
  if (v.size() < groups) v.resize(groups, init);
}

Status NoParameters(const AggregateCall& call);
Status ArgumentCount(const AggregateCall& call, std::string_view expected);
// A parameter as a number; InvalidArgument naming the function otherwise.
Result<double> NumberParam(const AggregateCall& call, size_t i);

// The factories, by file.
Result<std::unique_ptr<Aggregate>> MakeUniq(const AggregateCall& call);       // uniq
Result<std::unique_ptr<Aggregate>> MakeUniqExact(const AggregateCall& call);  // uniqExact
Result<std::unique_ptr<Aggregate>> MakeQuantile(const AggregateCall& call);   // quantile(s)(Exact), median(Exact)
Result<std::unique_ptr<Aggregate>> MakeMoments(const AggregateCall& call);    // var*, stddev*, covar*, corr
Result<std::unique_ptr<Aggregate>> MakeGroupArray(const AggregateCall& call); // groupArray, groupUniqArray
Result<std::unique_ptr<Aggregate>> MakeFunnel(const AggregateCall& call);     // windowFunnel, retention, sequence*

}  // namespace hedgerow::query
