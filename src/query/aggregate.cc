#include "aggregate.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>

#include "dispatch.h"
#include "functions_impl.h"

namespace hedgerow::query {
namespace {

constexpr std::string_view kNames[] = {"count", "sum", "avg", "min", "max", "any", "uniq", "uniqExact"};


// The bytes of a value, for telling values apart (uniqExact) and grouping.
std::string ValueBytes(const Column& c, size_t row) {
  if (c.type->id == TypeId::kString) return std::string(c.StringAt(row));
  size_t width = FixedValueWidth(*c.type);
  return std::string(reinterpret_cast<const char*>(c.fixed.data() + c.At(row) * width), width);
}

template <class T>
std::vector<T>& Grow(std::vector<T>& v, uint32_t group, T init = T{}) {
  if (v.size() <= group) v.resize(group + 1, init);
  return v;
}

class Count final : public Aggregate {
 public:
  explicit Count(bool rows) { counts_rows_ = rows; }
  DataTypePtr ResultType() const override { return MakeType(TypeId::kUInt64); }
  void AddRow(uint32_t group, const std::vector<const Column*>&, size_t) override { ++Grow(counts_, group)[group]; }
  ColumnPtr Finalize(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count && g < counts_.size(); ++g) out[g] = counts_[g];
    return NumberColumn(ResultType(), out);
  }

 private:
  std::vector<uint64_t> counts_;
};

// sum: UInt64 for unsigned integers, Int64 for signed ones (both wrapping), Float64 for
// floats; avg: Float64 (nan for an empty group).
class Sum final : public Aggregate {
 public:
  Sum(const DataType& arg, bool average) : average_(average) {
    result_ = average ? MakeType(TypeId::kFloat64)
              : arg.IsFloat() ? MakeType(TypeId::kFloat64)
              : arg.IsSigned() ? MakeType(TypeId::kInt64)
                               : MakeType(TypeId::kUInt64);
  }
  DataTypePtr ResultType() const override { return result_; }
  void AddRow(uint32_t group, const std::vector<const Column*>& values, size_t row) override {
    const Column& c = *values[0];
    Grow(counts_, group);
    ++counts_[group];
    if (result_->id == TypeId::kFloat64) {
      Grow(reals_, group)[group] += static_cast<double>(NumberAt(c, row));
    } else {
      Grow(integers_, group)[group] += static_cast<uint64_t>(static_cast<int64_t>(NumberAt(c, row)));
    }
  }
  ColumnPtr Finalize(size_t count) const override {
    if (average_) {
      std::vector<double> out(count, std::nan(""));
      for (size_t g = 0; g < count && g < counts_.size(); ++g) {
        if (counts_[g] > 0) out[g] = reals_[g] / static_cast<double>(counts_[g]);
      }
      return NumberColumn(result_, out);
    }
    if (result_->id == TypeId::kFloat64) {
      std::vector<double> out(count, 0);
      for (size_t g = 0; g < count && g < reals_.size(); ++g) out[g] = reals_[g];
      return NumberColumn(result_, out);
    }
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count && g < integers_.size(); ++g) out[g] = integers_[g];
    return NumberColumn(result_, out);
  }

 private:
  bool average_;
  DataTypePtr result_;
  std::vector<uint64_t> counts_;
  std::vector<double> reals_;
  std::vector<uint64_t> integers_;  // two's complement: Int64 sums wrap as ClickHouse's
};

// min, max, any: the chosen row's value, kept in a one-row column per group.
class Pick final : public Aggregate {
 public:
  enum class Kind { kMin, kMax, kAny };
  Pick(DataTypePtr arg, Kind kind) : type_(std::move(arg)), kind_(kind) {}
  DataTypePtr ResultType() const override { return type_; }
  void AddRow(uint32_t group, const std::vector<const Column*>& values, size_t row) override {
    const Column& c = *values[0];
    Grow(best_, group);
    std::shared_ptr<Column>& best = best_[group];
    if (best != nullptr) {
      if (kind_ == Kind::kAny) return;
      bool better;
      if (c.type->id == TypeId::kString) {
        int order = c.StringAt(row).compare(best->StringAt(0));
        better = kind_ == Kind::kMin ? order < 0 : order > 0;
      } else {
        long double v = NumberAt(c, row), b = NumberAt(*best, 0);
        better = kind_ == Kind::kMin ? v < b : v > b;
      }
      if (!better) return;
    }
    best = MakeEmpty(c.type);
    AppendRow(*best, c, row);
  }
  ColumnPtr Finalize(size_t count) const override {
    // A group whose every value was NULL (or that had none) gets NULL when the argument is
    // Nullable, the type's default otherwise.
    auto out = MakeEmpty(type_);
    const DataTypePtr& inner = type_->id == TypeId::kNullable ? type_->nested[0] : type_;
    for (size_t g = 0; g < count; ++g) {
      const Column* best = g < best_.size() ? best_[g].get() : nullptr;
      if (type_->id == TypeId::kNullable) {
        out->nulls.push_back(best == nullptr);
        ++out->rows;
        auto& values = const_cast<Column&>(*out->nested[0]);
        if (best != nullptr) {
          AppendRow(values, *best, 0);
        } else {
          AppendRow(values, *DefaultColumn(inner, 1), 0);
        }
      } else {
        AppendRow(*out, best != nullptr ? *best : *DefaultColumn(inner, 1), 0);
      }
    }
    return out;
  }

 private:
  DataTypePtr type_;
  Kind kind_;
  std::vector<std::shared_ptr<Column>> best_;
};

class UniqExact final : public Aggregate {
 public:
  DataTypePtr ResultType() const override { return MakeType(TypeId::kUInt64); }
  void AddRow(uint32_t group, const std::vector<const Column*>& values, size_t row) override {
    std::string key;
    for (const Column* c : values) {
      std::string bytes = ValueBytes(*c, row);
      key += std::to_string(bytes.size()) + ':' + bytes;
    }
    Grow(sets_, group)[group].insert(std::move(key));
  }
  ColumnPtr Finalize(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count && g < sets_.size(); ++g) out[g] = sets_[g].size();
    return NumberColumn(ResultType(), out);
  }

 private:
  std::vector<std::unordered_set<std::string>> sets_;
};

}  // namespace

bool Aggregate::IsAggregate(std::string_view name) {
  if (name.size() > 2 && name.substr(name.size() - 2) == "If") name.remove_suffix(2);
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return false;
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
  if (!params.empty()) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} takes no parameters", name));
  }
  std::string_view base = name;
  bool with_if = false;
  if (!IsAggregate(name)) return Status::InvalidArgument(fmt::format("Unknown aggregate function {}", name));
  if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
    base = name.substr(0, name.size() - 2);
    with_if = true;
  }
  std::vector<DataTypePtr> values = args;
  if (with_if) {
    if (args.empty() || !args.back()->IsNumber()) {
      return Status::InvalidArgument(fmt::format("The last argument of {} must be a condition (a number)", name));
    }
    values.pop_back();
  }
  auto count_is = [&](size_t n) -> Status {
    if (values.size() == n) return Status::Ok();
    return WrongArgumentCount(name, args.size(), std::to_string(n + (with_if ? 1 : 0)));
  };
  std::unique_ptr<Aggregate> out;
  DataTypePtr arg = values.empty() ? nullptr : values[0];
  DataTypePtr value = arg != nullptr && arg->id == TypeId::kNullable ? arg->nested[0] : arg;
  if (base == "count") {
    if (values.size() > 1) return WrongArgumentCount(name, args.size(), "0 or 1");
    out = std::make_unique<Count>(values.empty());
  } else if (base == "sum" || base == "avg") {
    HEDGEROW_RETURN_IF_ERROR(count_is(1));
    if (!value->IsNumber()) return IllegalTypes(name, args);
    out = std::make_unique<Sum>(*value, base == "avg");
  } else if (base == "min" || base == "max" || base == "any") {
    HEDGEROW_RETURN_IF_ERROR(count_is(1));
    if (value->id == TypeId::kArray || value->id == TypeId::kTuple) return IllegalTypes(name, args);
    out = std::make_unique<Pick>(arg, base == "min" ? Pick::Kind::kMin : base == "max" ? Pick::Kind::kMax : Pick::Kind::kAny);
  } else {
    if (values.empty()) return WrongArgumentCount(name, args.size(), "at least 1");
    out = std::make_unique<UniqExact>();
  }
  out->has_condition_ = with_if;
  return out;
}

void Aggregate::Add(const std::vector<uint32_t>& groups, const std::vector<ColumnPtr>& args, size_t rows) {
  const size_t n = args.size() - (has_condition_ ? 1 : 0);
  std::vector<double> condition;
  if (has_condition_) condition = NumbersAs<double>(*args.back(), rows);
  // Values without their null maps (constants expanded); a row with a NULL argument is
  // skipped.
  std::vector<ColumnPtr> full(n);
  std::vector<const Column*> values(n);
  for (size_t i = 0; i < n; ++i) {
    full[i] = Materialize(args[i]);
    values[i] = full[i]->type->id == TypeId::kNullable ? full[i]->nested[0].get() : full[i].get();
  }
  for (size_t r = 0; r < rows; ++r) {
    if (has_condition_ && condition[r] == 0) continue;
    bool null = false;
    for (size_t i = 0; i < n; ++i) null = null || full[i]->IsNullAt(r);
    if (null && !counts_rows_) continue;
    AddRow(groups[r], values, r);
  }
}

}  // namespace hedgerow::query
