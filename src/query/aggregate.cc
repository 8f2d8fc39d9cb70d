#include "aggregate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "aggregate_impl.h"
#include "aggregate_slots.h"

namespace hedgerow::query {
namespace {

class Count final : public Aggregate {
 public:
  DataTypePtr ValueType() const override { return MakeType(TypeId::kUInt64); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(counts_, groups);
    const uint32_t* g = batch.groups;
    batch.ForEach([&](size_t r) { ++counts_[g[r]]; });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(counts_, groups);
    const auto& o = static_cast<Count&>(other);
    for (size_t g = 0; g < o.counts_.size(); ++g) counts_[mapping[g]] += o.counts_[g];
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    std::copy_n(counts_.begin(), std::min(count, counts_.size()), out.begin());
    return NumberColumn(ValueType(), out);
  }

 private:
  std::vector<uint64_t> counts_;
};

// sum: UInt64 for unsigned integers, Int64 for signed ones (both wrapping), Float64 for
// floats, added row by row as 18.16 does; avg: that sum divided by the count, Float64 (nan
// for an empty group). A is the accumulator (uint64_t also for Int64: wrapping is defined).
template <class T, class A>
class Sum final : public Aggregate {
 public:
  Sum(DataTypePtr result, bool average) : result_(std::move(result)), average_(average) {}
  DataTypePtr ValueType() const override { return average_ ? MakeType(TypeId::kFloat64) : result_; }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(sums_, groups);
    const T* data = batch.args[0].Data<T>();
    const size_t step = batch.args[0].step;
    const uint32_t* g = batch.groups;
    if (average_) {
      GrowTo(counts_, groups);
      batch.ForEach([&](size_t r) {
        sums_[g[r]] += static_cast<A>(data[r * step]);
        ++counts_[g[r]];
      });
    } else {
      batch.ForEach([&](size_t r) { sums_[g[r]] += static_cast<A>(data[r * step]); });
    }
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(sums_, groups);
    GrowTo(counts_, average_ ? groups : 0);
    const auto& o = static_cast<Sum&>(other);
    for (size_t g = 0; g < o.sums_.size(); ++g) sums_[mapping[g]] += o.sums_[g];
    for (size_t g = 0; g < o.counts_.size(); ++g) counts_[mapping[g]] += o.counts_[g];
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    if (average_) {
      std::vector<double> out(count, std::nan(""));
      for (size_t g = 0; g < count && g < counts_.size(); ++g) {
        if (counts_[g] == 0) continue;
        double sum = std::is_same_v<A, uint64_t> && std::is_signed_v<T> ? static_cast<double>(static_cast<int64_t>(sums_[g]))
                                                                         : static_cast<double>(sums_[g]);
        out[g] = sum / static_cast<double>(counts_[g]);
      }
      return NumberColumn(ValueType(), out);
    }
    std::vector<A> out(count, A{});
    std::copy_n(sums_.begin(), std::min(count, sums_.size()), out.begin());
    return NumberColumn(result_, out);
  }

 private:
  DataTypePtr result_;
  bool average_;
  std::vector<A> sums_;
  std::vector<uint64_t> counts_;
};

// min and max of numbers and dates (T their number layout), compared as T; the first of
// equal values is kept.
template <class T>
class MinMax final : public Aggregate {
 public:
  MinMax(DataTypePtr type, bool is_max) : type_(std::move(type)), is_max_(is_max) {}
  DataTypePtr ValueType() const override { return type_; }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(best_, groups);
    GrowTo(has_, groups);
    const T* data = batch.args[0].Data<T>();
    const size_t step = batch.args[0].step;
    const uint32_t* g = batch.groups;
    auto update = [&](auto better) {
      batch.ForEach([&](size_t r) {
        T v = data[r * step];
        uint32_t k = g[r];
        if (!has_[k] || better(v, best_[k])) {
          best_[k] = v;
          has_[k] = 1;
        }
      });
    };
    if (is_max_) {
      update([](T a, T b) { return a > b; });
    } else {
      update([](T a, T b) { return a < b; });
    }
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(best_, groups);
    GrowTo(has_, groups);
    const auto& o = static_cast<MinMax&>(other);
    for (size_t g = 0; g < o.has_.size(); ++g) {
      if (!o.has_[g]) continue;
      const uint32_t k = mapping[g];
      if (!has_[k] || (is_max_ ? o.best_[g] > best_[k] : o.best_[g] < best_[k])) {
        best_[k] = o.best_[g];
        has_[k] = 1;
      }
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<T> out(count, T{});
    std::copy_n(best_.begin(), std::min(count, best_.size()), out.begin());
    return NumberColumn(type_, out);
  }

 private:
  DataTypePtr type_;
  bool is_max_;
  std::vector<T> best_;
  std::vector<uint8_t> has_;
};

// min and max of strings (bytewise, as ClickHouse compares them), any, anyLast and
// anyHeavy of every type.
class Pick final : public Aggregate {
 public:
  enum class Kind { kMin, kMax, kAny, kAnyLast, kAnyHeavy };
  Pick(DataTypePtr type, Kind kind) : slots_(type), kind_(kind) {}
  DataTypePtr ValueType() const override { return slots_.type(); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    slots_.Grow(groups);
    GrowTo(counters_, groups);
    const ArgValues& a = batch.args[0];
    const uint32_t* g = batch.groups;
    switch (kind_) {
      case Kind::kAny:
        batch.ForEach([&](size_t r) {
          if (!slots_.Has(g[r])) slots_.Set(g[r], a, r);
        });
        break;
      case Kind::kAnyLast: batch.ForEach([&](size_t r) { slots_.Set(g[r], a, r); }); break;
      case Kind::kAnyHeavy:
        // The majority vote of ClickHouse's anyHeavy: a different value cancels one vote,
        // the value is replaced when no vote is left.
        batch.ForEach([&](size_t r) {
          uint64_t& votes = counters_[g[r]];
          if (slots_.Has(g[r]) && slots_.Equals(g[r], a, r)) {
            ++votes;
          } else if (votes == 0) {
            slots_.Set(g[r], a, r);
            ++votes;
          } else {
            --votes;
          }
        });
        break;
      case Kind::kMin:
      case Kind::kMax: {
        const bool is_max = kind_ == Kind::kMax;
        batch.ForEach([&](size_t r) {
          if (!slots_.Has(g[r])) {
            slots_.Set(g[r], a, r);
            return;
          }
          int order = a.StringAt(r).compare(slots_.StringAt(g[r]));
          if (is_max ? order > 0 : order < 0) slots_.Set(g[r], a, r);
        });
        break;
      }
    }
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    slots_.Grow(groups);
    GrowTo(counters_, groups);
    const auto& o = static_cast<Pick&>(other);
    for (size_t g = 0; g < o.counters_.size(); ++g) {
      if (!o.slots_.Has(static_cast<uint32_t>(g))) continue;
      const uint32_t k = mapping[g], from = static_cast<uint32_t>(g);
      switch (kind_) {
        case Kind::kAny:
          if (!slots_.Has(k)) slots_.Copy(k, o.slots_, from);
          break;
        case Kind::kAnyLast: slots_.Copy(k, o.slots_, from); break;
        case Kind::kAnyHeavy:
          // ClickHouse's AggregateFunctionAnyHeavyData::changeIfBetter, where a replaced
          // value keeps its own votes.
          if (slots_.Has(k) && slots_.SameValue(k, o.slots_, from)) {
            counters_[k] += o.counters_[g];
          } else if (!slots_.Has(k) || counters_[k] < o.counters_[g]) {
            slots_.Copy(k, o.slots_, from);
          } else {
            counters_[k] -= o.counters_[g];
          }
          break;
        case Kind::kMin:
        case Kind::kMax: {
          if (!slots_.Has(k)) {
            slots_.Copy(k, o.slots_, from);
            break;
          }
          const int order = o.slots_.StringAt(from).compare(slots_.StringAt(k));
          if (kind_ == Kind::kMax ? order > 0 : order < 0) slots_.Copy(k, o.slots_, from);
          break;
        }
      }
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override { return slots_.ToColumn(count); }

 private:
  ValueSlots slots_;
  Kind kind_;
  std::vector<uint64_t> counters_;  // anyHeavy's votes
};

// argMin(arg, val) / argMax: arg of the row with the least / greatest val (the first of
// equal ones). V is val's number layout, or std::string_view for strings.
template <class V>
class ArgMinMax final : public Aggregate {
 public:
  ArgMinMax(DataTypePtr arg, bool is_max) : slots_(std::move(arg)), is_max_(is_max) {}
  DataTypePtr ValueType() const override { return slots_.type(); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    slots_.Grow(groups);
    GrowTo(best_, groups);
    const ArgValues& arg = batch.args[0];
    const ArgValues& val = batch.args[1];
    const uint32_t* g = batch.groups;
    batch.ForEach([&](size_t r) {
      V v = Read(val, r);
      uint32_t k = g[r];
      if (slots_.Has(k) && !(is_max_ ? v > V(best_[k]) : v < V(best_[k]))) return;
      best_[k] = Stored(v);
      slots_.Set(k, arg, r);
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    slots_.Grow(groups);
    GrowTo(best_, groups);
    auto& o = static_cast<ArgMinMax&>(other);
    for (size_t g = 0; g < o.best_.size(); ++g) {
      const uint32_t from = static_cast<uint32_t>(g), k = mapping[g];
      if (!o.slots_.Has(from)) continue;
      if (slots_.Has(k) && !(is_max_ ? V(o.best_[g]) > V(best_[k]) : V(o.best_[g]) < V(best_[k]))) continue;
      best_[k] = std::move(o.best_[g]);
      slots_.Copy(k, o.slots_, from);
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override { return slots_.ToColumn(count); }

 private:
  using Store = std::conditional_t<std::is_same_v<V, std::string_view>, std::string, V>;
  static V Read(const ArgValues& a, size_t r) {
    if constexpr (std::is_same_v<V, std::string_view>) {
      return a.StringAt(r);
    } else {
      return a.Data<V>()[r * a.step];
    }
  }
  static Store Stored(V v) { return Store(v); }

  ValueSlots slots_;
  bool is_max_;
  std::vector<Store> best_;
};

Result<std::unique_ptr<Aggregate>> MakeCount(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
  return std::unique_ptr<Aggregate>(std::make_unique<Count>());
}

Result<std::unique_ptr<Aggregate>> MakeSum(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
  if (call.values.size() != 1) return ArgumentCount(call, "1");
  const DataType& t = *call.values[0];
  if (!t.IsNumber()) return IllegalTypes(call.name, call.args);
  const bool average = call.base == "avg";
  return DispatchNumber(t.id, [&](auto tag) -> std::unique_ptr<Aggregate> {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      return std::make_unique<Sum<T, double>>(MakeType(TypeId::kFloat64), average);
    } else {
      return std::make_unique<Sum<T, uint64_t>>(MakeType(std::is_signed_v<T> ? TypeId::kInt64 : TypeId::kUInt64),
                                                average);
    }
  });
}

Result<std::unique_ptr<Aggregate>> MakePick(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
  if (call.values.size() != 1) return ArgumentCount(call, "1");
  const DataTypePtr& t = call.values[0];
  std::string_view base = call.base;
  if (base == "min" || base == "max") {
    TypeId layout = NumberLayout(t->id);
    if (layout != TypeId::kNothing) {
      return DispatchNumber(layout, [&](auto tag) -> std::unique_ptr<Aggregate> {
        return std::make_unique<MinMax<decltype(tag)>>(t, base == "max");
      });
    }
    if (t->id != TypeId::kString) return IllegalTypes(call.name, call.args);
    return std::unique_ptr<Aggregate>(std::make_unique<Pick>(t, base == "max" ? Pick::Kind::kMax : Pick::Kind::kMin));
  }
  Pick::Kind kind = base == "anyLast" ? Pick::Kind::kAnyLast : base == "anyHeavy" ? Pick::Kind::kAnyHeavy : Pick::Kind::kAny;
  return std::unique_ptr<Aggregate>(std::make_unique<Pick>(t, kind));
}

Result<std::unique_ptr<Aggregate>> MakeArgMinMax(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
  if (call.values.size() != 2) return ArgumentCount(call, "2");
  const bool is_max = call.base == "argMax";
  const DataTypePtr& val = call.values[1];
  if (val->id == TypeId::kString) {
    return std::unique_ptr<Aggregate>(std::make_unique<ArgMinMax<std::string_view>>(call.values[0], is_max));
  }
  TypeId layout = NumberLayout(val->id);
  if (layout == TypeId::kNothing) return IllegalTypes(call.name, call.args);
  return DispatchNumber(layout, [&](auto tag) -> std::unique_ptr<Aggregate> {
    return std::make_unique<ArgMinMax<decltype(tag)>>(call.values[0], is_max);
  });
}

struct Spec {
  std::string_view name;
  AggregateFactory make;
  bool nullable_result;  // Nullable arguments make the result Nullable
  bool case_insensitive;
};

constexpr Spec kSpecs[] = {
    {"count", MakeCount, false, true},  // Nullable only for a Nullable -If condition
    {"sum", MakeSum, true, true},
    {"avg", MakeSum, true, true},
    {"min", MakePick, true, true},
    {"max", MakePick, true, true},
    {"any", MakePick, true, false},
    {"anyLast", MakePick, true, false},
    {"anyHeavy", MakePick, true, false},
    {"argMin", MakeArgMinMax, true, false},
    {"argMax", MakeArgMinMax, true, false},
    {"uniq", MakeUniq, true, false},
    {"uniqExact", MakeUniqExact, true, false},
    {"groupArray", MakeGroupArray, false, false},
    {"groupUniqArray", MakeGroupArray, false, false},
    {"quantile", MakeQuantile, true, false},
    {"quantiles", MakeQuantile, false, false},
    {"quantileExact", MakeQuantile, true, false},
    {"quantilesExact", MakeQuantile, false, false},
    {"median", MakeQuantile, true, false},
    {"medianExact", MakeQuantile, true, false},
    {"varPop", MakeMoments, true, false},
    {"varSamp", MakeMoments, true, false},
    {"stddevPop", MakeMoments, true, false},
    {"stddevSamp", MakeMoments, true, false},
    {"covarPop", MakeMoments, true, false},
    {"covarSamp", MakeMoments, true, false},
    {"corr", MakeMoments, true, false},
    {"windowFunnel", MakeFunnel, false, false},
    {"retention", MakeFunnel, false, false},
    {"sequenceMatch", MakeFunnel, false, false},
    {"sequenceCount", MakeFunnel, false, false},
};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

const Spec* FindSpec(std::string_view name) {
  for (const Spec& s : kSpecs) {
    if (name == s.name || (s.case_insensitive && EqualsIgnoringCase(name, s.name))) return &s;
  }
  return nullptr;
}

// The spec of `name`, and whether it carries -If.
const Spec* FindAggregate(std::string_view name, bool& with_if) {
  with_if = false;
  if (const Spec* s = FindSpec(name)) return s;
  if (name.size() > 2 && name.ends_with("If")) {
    with_if = true;
    return FindSpec(name.substr(0, name.size() - 2));
  }
  return nullptr;
}

}  // namespace

Status NoParameters(const AggregateCall& call) {
  if (call.params.empty()) return Status::Ok();
  return Status::InvalidArgument(fmt::format("Aggregate function {} cannot have parameters", call.name));
}

Status ArgumentCount(const AggregateCall& call, std::string_view expected) {
  const size_t with_if = call.args.size() - call.values.size();
  if (with_if == 0) return WrongArgumentCount(call.name, call.args.size(), expected);
  return WrongArgumentCount(call.name, call.args.size(), fmt::format("{} (and the condition)", expected));
}

Result<double> NumberParam(const AggregateCall& call, size_t i) {
  const Literal& p = call.params[i];
  if (const auto* d = std::get_if<double>(&p)) return *d;
  if (const auto* n = std::get_if<int64_t>(&p)) return static_cast<double>(*n);
  if (const auto* u = std::get_if<uint64_t>(&p)) return static_cast<double>(*u);
  return Status::InvalidArgument(fmt::format("Parameter {} of aggregate function {} must be a number", i + 1, call.name));
}

bool Aggregate::IsAggregate(std::string_view name) {
  bool with_if;
  return FindAggregate(name, with_if) != nullptr;
}

Result<std::vector<Literal>> Aggregate::Params(const Expr& call) {
  std::vector<Literal> out;
  for (const ExprPtr& p : call.params) {
    if (p->kind != Expr::Kind::kLiteral) {
      return Status::InvalidArgument(fmt::format("Parameters of aggregate function {} must be literals", call.name));
    }
    out.push_back(p->literal);
  }
  return out;
}

Result<std::unique_ptr<Aggregate>> Aggregate::Make(std::string_view name, const std::vector<Literal>& params,
                                                   const std::vector<DataTypePtr>& args) {
  bool with_if;
  const Spec* spec = FindAggregate(name, with_if);
  if (spec == nullptr) return Status::InvalidArgument(fmt::format("Unknown aggregate function {}", name));
  AggregateCall call{.name = name, .base = spec->name, .params = params, .values = {}, .args = args};
  bool any_nullable = false;
  for (size_t i = 0; i + (with_if ? 1 : 0) < args.size(); ++i) {
    const bool nullable = args[i]->id == TypeId::kNullable;
    any_nullable = any_nullable || nullable;
    call.values.push_back(nullable ? args[i]->nested[0] : args[i]);
  }
  // count(x) of a Nullable x stays UInt64 (18.16's count of non-NULL values); a Nullable
  // -If condition makes even count's result Nullable, as ClickHouse's NULL adaptor does.
  const bool nullable_condition = with_if && !args.empty() && args.back()->id == TypeId::kNullable;
  if (with_if) {
    const DataTypePtr& cond = args.empty() ? nullptr : args.back();
    const DataTypePtr value = cond != nullptr && cond->id == TypeId::kNullable ? cond->nested[0] : cond;
    if (value == nullptr || !value->IsNumber()) {
      return Status::InvalidArgument(fmt::format("The last argument of {} must be a condition (a number)", name));
    }
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<Aggregate> out, spec->make(call));
  out->has_condition_ = with_if;
  out->nullable_result_ = (any_nullable && spec->nullable_result) || (nullable_condition && spec->make == MakeCount);
  return out;
}

DataTypePtr Aggregate::ResultType() const {
  DataTypePtr t = ValueType();
  return nullable_result_ ? MakeNullable(std::move(t)) : t;
}

void Aggregate::Add(const std::vector<uint32_t>& groups, const std::vector<ColumnPtr>& args, size_t rows) {
  if (rows == 0) return;
  const size_t n = args.size() - (has_condition_ ? 1 : 0);
  AggregateBatch batch;
  batch.groups = groups.data();
  batch.size = rows;
  // The rows to add, built only when a condition or a NULL removes some.
  std::vector<uint32_t> selected;
  bool filtered = false;
  auto keep_if = [&](auto keep) {
    if (!filtered) {
      selected.reserve(rows);
      for (size_t r = 0; r < rows; ++r) {
        if (keep(r)) selected.push_back(static_cast<uint32_t>(r));
      }
      filtered = true;
    } else {
      std::erase_if(selected, [&](uint32_t r) { return !keep(r); });
    }
  };
  // As ClickHouse's NULL adaptor wraps -If: rows with a NULL argument or condition are
  // skipped, a group counts as seen (not NULL) once it has a row without NULLs, and only
  // then is the condition's value checked.
  for (size_t i = 0; i < args.size(); ++i) {
    const Column& c = *args[i];
    const size_t step = c.is_const ? 0 : 1;
    const bool nullable = c.type->id == TypeId::kNullable;
    if (nullable) {
      const uint8_t* nulls = c.nulls.data();
      keep_if([&](size_t r) { return nulls[r * step] == 0; });
    }
    if (i < n) batch.args.push_back({nullable ? c.nested[0].get() : &c, step});
  }
  uint32_t highest = 0;
  for (size_t r = 0; r < rows; ++r) highest = std::max(highest, groups[r]);
  if (nullable_result_) {
    GrowTo(seen_, size_t{highest} + 1);
    if (filtered) {
      for (uint32_t r : selected) seen_[groups[r]] = 1;
    } else {
      for (size_t r = 0; r < rows; ++r) seen_[groups[r]] = 1;
    }
  }
  if (has_condition_) {
    const Column& c = *args.back();
    const size_t step = c.is_const ? 0 : 1;
    const Column& values = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
    DispatchNumber(values.type->id, [&](auto tag) {
      using T = decltype(tag);
      const T* data = values.Data<T>();
      keep_if([&](size_t r) { return data[r * step] != 0; });
      return 0;
    });
  }
  if (filtered) {
    if (selected.empty()) return;
    batch.selected = selected.data();
    batch.size = selected.size();
  }
  AddBatch(batch, size_t{highest} + 1);
}

void Aggregate::Merge(Aggregate& other, const std::vector<uint32_t>& mapping) {
  uint32_t highest = 0;
  for (uint32_t g : mapping) highest = std::max(highest, g);
  const size_t groups = mapping.empty() ? 0 : size_t{highest} + 1;
  if (nullable_result_) {
    GrowTo(seen_, groups);
    for (size_t g = 0; g < other.seen_.size(); ++g) seen_[mapping[g]] |= other.seen_[g];
  }
  MergeStates(other, mapping, groups);
}

Result<ColumnPtr> Aggregate::Finalize(size_t count) const {
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr values, FinalizeValues(count));
  if (!nullable_result_) return values;
  auto out = std::make_shared<Column>();
  out->type = MakeNullable(values->type);
  out->rows = count;
  out->nulls.resize(count, 1);
  for (size_t g = 0; g < count && g < seen_.size(); ++g) out->nulls[g] = seen_[g] == 0;
  out->nested.push_back(std::move(values));
  return ColumnPtr(std::move(out));
}

}  // namespace hedgerow::query
