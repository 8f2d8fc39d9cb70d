// Functions over each row's elements: arraySum, arrayCount, arrayExists, arrayAll,
// arrayMin, arrayMax, arrayAvg, arrayCumSum, arraySort, arrayReverseSort, arrayDistinct,
// arrayUniq. Each also takes a lambda first (arraySum(x -> x * 2, a)): functions_lambda.cc
// maps the elements through it and calls these on the mapped arrays.

#include <algorithm>
#include <set>
#include <unordered_set>

#include "array_values.h"
#include "functions_impl.h"

namespace hedgerow::query {
namespace {

enum class Reduce { kSum, kCount, kExists, kAll, kMin, kMax, kAvg, kCumSum };

// The type sums of `element` accumulate in: UInt64, Int64 or Float64, as ClickHouse's.
DataTypePtr SumType(const DataType& element) {
  if (element.IsFloat()) return MakeType(TypeId::kFloat64);
  return MakeType(element.IsSigned() ? TypeId::kInt64 : TypeId::kUInt64);
}

class ArrayReduce final : public Function {
 public:
  ArrayReduce(const char* name, Reduce kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
    if (args[0]->id != TypeId::kArray) {
      return Status::InvalidArgument(fmt::format("The only argument for function {} must be array. Found {} instead.", name_, args[0]->Name()));
    }
    const DataType& element = *args[0]->nested[0];
    switch (kind_) {
      case Reduce::kCount:
      case Reduce::kExists:
      case Reduce::kAll:
        if (element.id != TypeId::kUInt8) {
          return Status::InvalidArgument(fmt::format("The only argument for function {} must be array of UInt8. Found {} instead.",
                                                     name_, args[0]->Name()));
        }
        return MakeType(kind_ == Reduce::kCount ? TypeId::kUInt32 : TypeId::kUInt8);
      default:
        if (!element.IsNumber()) {
          return Status::InvalidArgument(fmt::format("{} cannot add values of type {}", name_, element.Name()));
        }
        if (kind_ == Reduce::kMin || kind_ == Reduce::kMax) return args[0]->nested[0];
        if (kind_ == Reduce::kAvg) return MakeType(TypeId::kFloat64);
        if (kind_ == Reduce::kCumSum) return MakeArray(SumType(element));
        return SumType(element);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& a = *args[0];
    const Column& elements = *a.nested[0];
    const TypeId accumulate = kind_ == Reduce::kCumSum ? result->nested[0]->id
                              : kind_ == Reduce::kMin || kind_ == Reduce::kMax ? elements.type->id
                              : kind_ == Reduce::kAvg ? TypeId::kFloat64
                                                      : result->id;
    return DispatchNumber(accumulate, [&](auto tag) -> Result<ColumnPtr> {
      using R = decltype(tag);
      // Through the unsigned type for integers: sums wrap around as ClickHouse's.
      using Acc = typename std::conditional_t<std::is_integral_v<R>, std::make_unsigned<R>, std::type_identity<R>>::type;
      std::vector<R> values = NumbersAs<R>(elements, elements.rows);
      std::vector<R> out(kind_ == Reduce::kCumSum ? 0 : rows);
      std::vector<uint64_t> offsets;
      for (size_t r = 0; r < rows; ++r) {
        const uint64_t begin = ArrayBegin(a, r), end = ArrayEnd(a, r);
        Acc acc{};
        R extreme{};
        uint64_t count = 0;
        for (uint64_t i = begin; i < end; ++i) {
          const R v = values[i];
          acc = static_cast<Acc>(acc + static_cast<Acc>(v));
          count += v != R{0};
          if (i == begin || (kind_ == Reduce::kMin ? v < extreme : v > extreme)) extreme = v;
          if (kind_ == Reduce::kCumSum) out.push_back(static_cast<R>(acc));
        }
        if (kind_ == Reduce::kCumSum) {
          offsets.push_back(out.size());
          continue;
        }
        const uint64_t size = end - begin;
        switch (kind_) {
          case Reduce::kCount: out[r] = static_cast<R>(count); break;
          case Reduce::kExists: out[r] = static_cast<R>(count > 0); break;
          case Reduce::kAll: out[r] = static_cast<R>(count == size); break;
          case Reduce::kMin:
          case Reduce::kMax: out[r] = extreme; break;
          case Reduce::kAvg: out[r] = static_cast<R>(static_cast<double>(acc) / static_cast<double>(size)); break;
          default: out[r] = static_cast<R>(acc);
        }
      }
      if (kind_ != Reduce::kCumSum) return NumberColumn(result, out);
      return MakeArrayColumn(result, std::move(offsets), NumberColumn(result->nested[0], out));
    });
  }

 private:
  const char* name_;
  Reduce kind_;
};

class ArraySort final : public Function {
 public:
  ArraySort(const char* name, bool descending) : name_(name), descending_(descending) {}
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
    if (args[0]->id != TypeId::kArray) return IllegalTypes(name_, args);
    return args[0];
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr&, size_t rows) const override {
    auto values = std::make_shared<Column>(*args[0]);
    values->rows = rows;
    return SortArrays(*Materialize(values), nullptr, descending_);
  }

 private:
  const char* name_;
  bool descending_;
};

// arrayDistinct(a): the distinct elements, first occurrence first, NULLs left out.
// arrayUniq(a, ...): how many distinct elements (tuples of elements at one position for
// several arrays of equal sizes), NULL counting as a value.
class ArrayDistinct final : public Function {
 public:
  explicit ArrayDistinct(bool count) : count_(count) {}
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const char* name = count_ ? "arrayUniq" : "arrayDistinct";
    if (args.empty() || (!count_ && args.size() != 1)) return WrongArgumentCount(name, args.size(), count_ ? "at least 1" : "1");
    for (const DataTypePtr& a : args) {
      if (a->id != TypeId::kArray) return IllegalTypes(name, args);
    }
    if (count_) return MakeType(TypeId::kUInt32);
    const DataTypePtr& element = args[0]->nested[0];  // NULLs are left out, and so is Nullable
    return element->id == TypeId::kNullable ? MakeArray(element->nested[0]) : args[0];
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<uint64_t> picks, offsets(rows);
    std::vector<uint32_t> counts(rows);
    if (args.size() == 1 && args[0]->nested[0]->type->IsNumber()) {
      const Column& elements = *args[0]->nested[0];
      // Each value's bits, zero-extended: as ClickHouse hashes them, so 0 and -0, and NaNs
      // of either sign, count apart.
      std::vector<uint64_t> keys(elements.rows);
      DispatchNumber(elements.type->id, [&](auto tag) {
        using T = decltype(tag);
        const T* values = elements.Data<T>();
        for (size_t i = 0; i < elements.rows; ++i) {
          uint64_t bits = 0;
          std::memcpy(&bits, &values[i], sizeof(T));
          keys[i] = bits;
        }
        return 0;
      });
      // Short arrays (the usual) look back over what they kept; long ones use a hash set.
      std::vector<uint64_t> kept;
      std::unordered_set<uint64_t> seen;
      for (size_t r = 0; r < rows; ++r) {
        const uint64_t begin = ArrayBegin(*args[0], r), end = ArrayEnd(*args[0], r);
        kept.clear();
        seen.clear();
        for (uint64_t i = begin; i < end; ++i) {
          const uint64_t bits = keys[i];
          const bool is_new = end - begin <= 32 ? std::find(kept.begin(), kept.end(), bits) == kept.end() : seen.insert(bits).second;
          if (!is_new) continue;
          kept.push_back(bits);
          picks.push_back(i);
        }
        counts[r] = static_cast<uint32_t>(kept.size());
        offsets[r] = picks.size();
      }
      if (count_) return NumberColumn(result, counts);
      return MakeArrayColumn(result, std::move(offsets), TakeRows(elements, picks));
    }
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t begin = ArrayBegin(*args[0], r), size = ArrayEnd(*args[0], r) - begin;
      for (const ColumnPtr& a : args) {
        if (ArrayEnd(*a, r) - ArrayBegin(*a, r) != size) {
          return Status::InvalidArgument("Lengths of all arrays passed to arrayUniq must be equal.");
        }
      }
      // Values keyed by their text as arrays print them (quoted strings, NULL): one type per
      // array, so equal texts are equal values.
      std::set<std::string> seen;
      for (uint64_t k = 0; k < size; ++k) {
        std::string key;
        for (const ColumnPtr& a : args) key += FormatValue(*a->nested[0], ArrayBegin(*a, r) + k) + '\t';
        if (!count_ && args[0]->nested[0]->IsNullAt(begin + k)) continue;
        if (seen.insert(std::move(key)).second) picks.push_back(begin + k);
      }
      counts[r] = static_cast<uint32_t>(seen.size());
      offsets[r] = picks.size();
    }
    if (count_) return NumberColumn(result, counts);
    const Column& elements = *args[0]->nested[0];
    if (elements.type->id != TypeId::kNullable) return MakeArrayColumn(result, std::move(offsets), TakeRows(elements, picks));
    return MakeArrayColumn(result, std::move(offsets), TakeRows(*elements.nested[0], picks));
  }

 private:
  bool count_;
};

}  // namespace

void RegisterArrayReduceFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Reduce> kReduce[] = {
      {"arraySum", Reduce::kSum}, {"arrayCount", Reduce::kCount}, {"arrayExists", Reduce::kExists},
      {"arrayAll", Reduce::kAll}, {"arrayMin", Reduce::kMin},     {"arrayMax", Reduce::kMax},
      {"arrayAvg", Reduce::kAvg}, {"arrayCumSum", Reduce::kCumSum}};
  for (const auto& [name, kind] : kReduce) functions.emplace(name, std::make_unique<ArrayReduce>(name, kind));
  functions.emplace("arraySort", std::make_unique<ArraySort>("arraySort", false));
  functions.emplace("arrayReverseSort", std::make_unique<ArraySort>("arrayReverseSort", true));
  functions.emplace("arrayDistinct", std::make_unique<ArrayDistinct>(false));
  functions.emplace("arrayUniq", std::make_unique<ArrayDistinct>(true));
}

}  // namespace hedgerow::query
