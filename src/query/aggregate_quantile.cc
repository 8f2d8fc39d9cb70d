// quantile(s), quantileExact(s), median, medianExact, and the moments: varPop, varSamp,
// stddevPop, stddevSamp, covarPop, covarSamp, corr.

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "aggregate_impl.h"

namespace hedgerow::query {
namespace {

// pcg32_fast (PCG's mcg_xsh_rs_64_32) seeded with 123456, the generator of ClickHouse's
// ReservoirSampler: with it, quantile over more than 8192 values keeps the samples
// ClickHouse keeps when it reads the same rows in the same order.
class Pcg32Fast {
 public:
  uint32_t Next() {
    uint64_t old = state_;
    state_ *= 6364136223846793005ULL;
    // xsh_rs output of the previous state.
    const unsigned rshift = static_cast<unsigned>(old >> 61);
    old ^= old >> 22;
    return static_cast<uint32_t>(old >> (22 + rshift));
  }

 private:
  uint64_t state_ = 123456 | 3;
};

// ClickHouse's quantile: a reservoir of 8192 samples per group (exact below that), sorted
// when asked, the level interpolated between the two nearest samples. NaNs are skipped.
class QuantileSampled final : public Aggregate {
 public:
  QuantileSampled(DataTypePtr arg, std::vector<double> levels, bool many)
      : arg_(std::move(arg)), levels_(std::move(levels)), many_(many) {}
  DataTypePtr ValueType() const override {
    // 18.16 picks Date's and DateTime's implementation by their storage types, so UInt16
    // and UInt32 arguments also get their own type back (the interpolation truncated).
    const bool own_type = NumberLayout(arg_->id) == TypeId::kUInt16 || NumberLayout(arg_->id) == TypeId::kUInt32;
    DataTypePtr one = own_type ? arg_ : MakeType(TypeId::kFloat64);
    return many_ ? MakeArray(one) : one;
  }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(states_, groups);
    const ArgValues& a = batch.args[0];
    const uint32_t* g = batch.groups;
    DispatchNumber(NumberLayout(a.column->type->id), [&](auto tag) {
      using T = decltype(tag);
      const T* data = a.Data<T>();
      batch.ForEach([&](size_t r) {
        const double v = static_cast<double>(data[r * a.step]);
        if (!std::isnan(v)) Insert(states_[g[r]], v);
      });
      return 0;
    });
  }
  // ReservoirSampler::merge: a small side's samples are inserted into the other; two full
  // reservoirs keep each slot from one side or the other in proportion to their totals.
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(states_, groups);
    auto& o = static_cast<QuantileSampled&>(other);
    for (size_t g = 0; g < o.states_.size(); ++g) {
      State& b = o.states_[g];
      State& s = states_[mapping[g]];
      if (b.total <= kSamples) {
        for (double v : b.samples) Insert(s, v);
      } else if (s.total <= kSamples) {
        std::vector<double> from = std::move(s.samples);
        s.samples = std::move(b.samples);
        s.total = b.total;
        for (double v : from) Insert(s, v);
      } else {
        for (size_t i = 1; i < s.samples.size(); ++i) std::swap(s.samples[i], s.samples[Random(s, i + 1)]);
        s.total += b.total;
        for (size_t i = 0; i < kSamples; ++i) {
          if (Random(s, s.total) < b.total) s.samples[i] = b.samples[i];
        }
      }
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    const DataTypePtr one = many_ ? ValueType()->nested[0] : ValueType();
    std::vector<double> values;
    values.reserve(count * levels_.size());
    std::vector<double> sorted;
    for (size_t g = 0; g < count; ++g) {
      sorted = g < states_.size() ? states_[g].samples : std::vector<double>{};
      std::sort(sorted.begin(), sorted.end());
      for (double level : levels_) values.push_back(Interpolate(sorted, level));
    }
    auto elements = MakeColumn(one, values.size());
    DispatchNumber(NumberLayout(one->id), [&](auto tag) {
      using T = decltype(tag);
      T* out = reinterpret_cast<T*>(elements->fixed.data());
      for (size_t i = 0; i < values.size(); ++i) {
        // Dates: the interpolated day or second, truncated as ClickHouse converts it.
        out[i] = std::isnan(values[i]) && !std::is_floating_point_v<T> ? T{} : static_cast<T>(values[i]);
      }
      return 0;
    });
    if (!many_) return ColumnPtr(elements);
    auto out = MakeColumn(ValueType(), 0);
    out->rows = count;
    for (size_t g = 1; g <= count; ++g) out->offsets.push_back(g * levels_.size());
    out->nested.push_back(std::move(elements));
    return ColumnPtr(std::move(out));
  }

 private:
  static constexpr size_t kSamples = 8192;
  struct State {
    std::vector<double> samples;
    uint64_t total = 0;
    Pcg32Fast rng;
  };
  static void Insert(State& s, double v) {
    ++s.total;
    if (s.samples.size() < kSamples) {
      s.samples.push_back(v);
    } else if (uint64_t k = Random(s, s.total); k < kSamples) {
      s.samples[k] = v;
    }
  }
  // ReservoirSampler::genRandom: uniform in [0, limit).
  static uint64_t Random(State& s, uint64_t limit) {
    if (limit <= 0xFFFFFFFFull) return s.rng.Next() % static_cast<uint32_t>(limit);
    uint64_t high = s.rng.Next();
    return (high * (uint64_t{1} << 32) + s.rng.Next()) % limit;
  }
  static double Interpolate(const std::vector<double>& sorted, double level) {
    if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double index = std::max(0., std::min(static_cast<double>(sorted.size()) - 1., level * static_cast<double>(sorted.size() - 1)));
    const size_t left = static_cast<size_t>(index);
    if (left + 1 == sorted.size()) return sorted[left];
    return sorted[left] * (static_cast<double>(left + 1) - index) + sorted[left + 1] * (index - static_cast<double>(left));
  }

  DataTypePtr arg_;
  std::vector<double> levels_;
  bool many_;
  std::vector<State> states_;
};

// quantileExact: every value kept; the element at floor(level * n) in sorted order (the
// last one for level 1), of the argument's own type; 0 (nan for floats) when empty.
template <class T>
class QuantileExact final : public Aggregate {
 public:
  QuantileExact(DataTypePtr arg, std::vector<double> levels, bool many)
      : arg_(std::move(arg)), levels_(std::move(levels)), many_(many) {}
  DataTypePtr ValueType() const override { return many_ ? MakeArray(arg_) : arg_; }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(values_, groups);
    const T* data = batch.args[0].Data<T>();
    const size_t step = batch.args[0].step;
    const uint32_t* g = batch.groups;
    batch.ForEach([&](size_t r) { values_[g[r]].push_back(data[r * step]); });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(values_, groups);
    auto& o = static_cast<QuantileExact&>(other);
    for (size_t g = 0; g < o.values_.size(); ++g) {
      std::vector<T>& to = values_[mapping[g]];
      to.insert(to.end(), o.values_[g].begin(), o.values_[g].end());
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<T> out;
    out.reserve(count * levels_.size());
    std::vector<T> v;
    for (size_t g = 0; g < count; ++g) {
      v = g < values_.size() ? values_[g] : std::vector<T>{};
      for (double level : levels_) {
        if (v.empty()) {
          out.push_back(std::numeric_limits<T>::quiet_NaN());
          continue;
        }
        size_t n = level < 1 ? static_cast<size_t>(level * static_cast<double>(v.size())) : v.size() - 1;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
        out.push_back(v[n]);
      }
    }
    ColumnPtr elements = NumberColumn(arg_, out);
    if (!many_) return elements;
    auto array = MakeColumn(ValueType(), 0);
    array->rows = count;
    for (size_t g = 1; g <= count; ++g) array->offsets.push_back(g * levels_.size());
    array->nested.push_back(elements);
    return ColumnPtr(std::move(array));
  }

 private:
  DataTypePtr arg_;
  std::vector<double> levels_;
  bool many_;
  std::vector<std::vector<T>> values_;
};

// 18.16's varPop, varSamp, ... (AggregateFunctionStatisticsSimple): plain sums of powers
// in R (Float32 for Float32 arguments, Float64 otherwise), the count included, as ClickHouse
// computes them; not numerically stable, and ClickHouse's answers show it.
enum class MomentKind { kVarPop, kVarSamp, kStddevPop, kStddevSamp, kCovarPop, kCovarSamp, kCorr };

template <class R>
class Moments final : public Aggregate {
 public:
  explicit Moments(MomentKind kind) : kind_(kind) {}
  DataTypePtr ValueType() const override { return MakeType(std::is_same_v<R, float> ? TypeId::kFloat32 : TypeId::kFloat64); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(sums_, groups);
    const uint32_t* g = batch.groups;
    const ArgValues& a = batch.args[0];
    const ArgValues& b = batch.args.size() > 1 ? batch.args[1] : batch.args[0];
    DispatchNumber(a.column->type->id, [&](auto x_tag) {
      using X = decltype(x_tag);
      return DispatchNumber(b.column->type->id, [&](auto y_tag) {
        using Y = decltype(y_tag);
        const X* xs = a.Data<X>();
        const Y* ys = b.Data<Y>();
        batch.ForEach([&](size_t r) {
          const R x = static_cast<R>(xs[r * a.step]), y = static_cast<R>(ys[r * b.step]);
          Sums& s = sums_[g[r]];
          s.m0 += 1;
          s.x1 += x;
          s.y1 += y;
          s.xy += x * y;
          s.x2 += x * x;
          s.y2 += y * y;
        });
        return 0;
      });
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(sums_, groups);
    const auto& o = static_cast<Moments&>(other);
    for (size_t g = 0; g < o.sums_.size(); ++g) {
      Sums& s = sums_[mapping[g]];
      const Sums& b = o.sums_[g];
      s.m0 += b.m0;
      s.x1 += b.x1;
      s.y1 += b.y1;
      s.xy += b.xy;
      s.x2 += b.x2;
      s.y2 += b.y2;
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<R> out(count);
    for (size_t g = 0; g < count; ++g) out[g] = Value(g < sums_.size() ? sums_[g] : Sums{});
    return NumberColumn(ValueType(), out);
  }

 private:
  struct Sums {
    R m0{}, x1{}, y1{}, xy{}, x2{}, y2{};
  };
  R Value(const Sums& s) const {
    const R nan = std::numeric_limits<R>::quiet_NaN();
    switch (kind_) {
      case MomentKind::kVarPop: return (s.x2 - s.x1 * s.x1 / s.m0) / s.m0;
      case MomentKind::kVarSamp: return s.m0 == 0 ? nan : (s.x2 - s.x1 * s.x1 / s.m0) / (s.m0 - 1);
      case MomentKind::kStddevPop: return std::sqrt((s.x2 - s.x1 * s.x1 / s.m0) / s.m0);
      case MomentKind::kStddevSamp: return std::sqrt(s.m0 == 0 ? nan : (s.x2 - s.x1 * s.x1 / s.m0) / (s.m0 - 1));
      case MomentKind::kCovarPop: return (s.xy - s.x1 * s.y1 / s.m0) / s.m0;
      case MomentKind::kCovarSamp: return s.m0 == 0 ? nan : (s.xy - s.x1 * s.y1 / s.m0) / (s.m0 - 1);
      case MomentKind::kCorr:
        return (s.m0 * s.xy - s.x1 * s.y1) / std::sqrt((s.m0 * s.x2 - s.x1 * s.x1) * (s.m0 * s.y2 - s.y1 * s.y1));
    }
    return nan;
  }

  MomentKind kind_;
  std::vector<Sums> sums_;
};

}  // namespace

Result<std::unique_ptr<Aggregate>> MakeQuantile(const AggregateCall& call) {
  const bool exact = call.base.ends_with("Exact");
  const bool many = call.base.starts_with("quantiles");
  std::vector<double> levels;
  for (size_t i = 0; i < call.params.size(); ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(double level, NumberParam(call, i));
    if (!(level >= 0 && level <= 1)) return Status::InvalidArgument("Quantile level is out of range [0..1]");
    levels.push_back(level);
  }
  if (many && levels.empty()) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} requires at least one parameter", call.name));
  }
  if (!many && levels.size() > 1) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} requires one parameter or less", call.name));
  }
  if (levels.empty()) levels.push_back(0.5);
  if (call.values.size() != 1) return ArgumentCount(call, "1");
  const DataTypePtr& arg = call.values[0];
  const TypeId layout = NumberLayout(arg->id);
  if (layout == TypeId::kNothing || arg->id == TypeId::kDateTime64) return IllegalTypes(call.name, call.args);
  if (!exact) return std::unique_ptr<Aggregate>(std::make_unique<QuantileSampled>(arg, std::move(levels), many));
  return DispatchNumber(layout, [&](auto tag) -> std::unique_ptr<Aggregate> {
    return std::make_unique<QuantileExact<decltype(tag)>>(arg, std::move(levels), many);
  });
}

Result<std::unique_ptr<Aggregate>> MakeMoments(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
  static constexpr std::pair<std::string_view, MomentKind> kKinds[] = {
      {"varPop", MomentKind::kVarPop},       {"varSamp", MomentKind::kVarSamp},     {"stddevPop", MomentKind::kStddevPop},
      {"stddevSamp", MomentKind::kStddevSamp}, {"covarPop", MomentKind::kCovarPop}, {"covarSamp", MomentKind::kCovarSamp},
      {"corr", MomentKind::kCorr}};
  MomentKind kind = MomentKind::kVarPop;
  for (const auto& [name, k] : kKinds) {
    if (call.base == name) kind = k;
  }
  const bool two = kind == MomentKind::kCovarPop || kind == MomentKind::kCovarSamp || kind == MomentKind::kCorr;
  if (call.values.size() != (two ? 2u : 1u)) return ArgumentCount(call, two ? "2" : "1");
  bool all_float32 = true;
  for (const DataTypePtr& t : call.values) {
    if (!t->IsNumber()) return IllegalTypes(call.name, call.args);
    all_float32 = all_float32 && t->id == TypeId::kFloat32;
  }
  if (all_float32) return std::unique_ptr<Aggregate>(std::make_unique<Moments<float>>(kind));
  return std::unique_ptr<Aggregate>(std::make_unique<Moments<double>>(kind));
}

}  // namespace hedgerow::query
