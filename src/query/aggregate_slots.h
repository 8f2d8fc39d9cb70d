#pragma once

// One value per group of any type, for the aggregates that keep a chosen row's value (any,
// anyLast, anyHeavy, min/max of strings, argMin/argMax): fixed-width values packed side by
// side, strings apart, other types (arrays, tuples) as one-row columns.

#include <cstring>
#include <string>
#include <vector>

#include "aggregate_impl.h"

namespace hedgerow::query {

class ValueSlots {
 public:
  explicit ValueSlots(DataTypePtr type) : type_(std::move(type)), width_(FixedValueWidth(*type_)) {}

  const DataTypePtr& type() const { return type_; }
  void Grow(size_t groups) {
    GrowTo(has_, groups);
    if (width_ > 0) {
      if (fixed_.size() < groups * width_) fixed_.resize(groups * width_);
    } else if (type_->id == TypeId::kString) {
      GrowTo(strings_, groups);
    } else {
      GrowTo(others_, groups);
    }
  }
  bool Has(uint32_t g) const { return has_[g] != 0; }
  // Row `row` of `a` becomes group g's value.
  void Set(uint32_t g, const ArgValues& a, size_t row) {
    has_[g] = 1;
    if (width_ > 0) {
      std::memcpy(fixed_.data() + g * width_, a.column->fixed.data() + row * a.step * width_, width_);
    } else if (type_->id == TypeId::kString) {
      strings_[g].assign(a.StringAt(row));
    } else {
      auto one = MakeEmpty(type_);
      AppendRow(*one, *a.column, row * a.step);
      others_[g] = std::move(one);
    }
  }
  // Group `from` of `other` (same type, has a value) becomes group g's value.
  void Copy(uint32_t g, const ValueSlots& other, uint32_t from) {
    has_[g] = 1;
    if (width_ > 0) {
      std::memcpy(fixed_.data() + g * width_, other.fixed_.data() + from * width_, width_);
    } else if (type_->id == TypeId::kString) {
      strings_[g] = other.strings_[from];
    } else {
      others_[g] = other.others_[from];  // immutable once set: shared
    }
  }
  // Whether group g and group `from` of `other` (both with values) hold the same value.
  bool SameValue(uint32_t g, const ValueSlots& other, uint32_t from) const {
    if (width_ > 0) return std::memcmp(fixed_.data() + g * width_, other.fixed_.data() + from * width_, width_) == 0;
    if (type_->id == TypeId::kString) return strings_[g] == other.strings_[from];
    return FormatValue(*others_[g], 0) == FormatValue(*other.others_[from], 0);
  }
  std::string_view StringAt(uint32_t g) const { return strings_[g]; }
  // Whether group g (which has a value) holds the value of row `row` of `a`.
  bool Equals(uint32_t g, const ArgValues& a, size_t row) const {
    if (width_ > 0) return std::memcmp(fixed_.data() + g * width_, a.column->fixed.data() + row * a.step * width_, width_) == 0;
    if (type_->id == TypeId::kString) return strings_[g] == a.StringAt(row);
    auto one = MakeEmpty(type_);
    AppendRow(*one, *a.column, row * a.step);
    return FormatValue(*one, 0) == FormatValue(*others_[g], 0);
  }
  // The values of groups [0, count); the type's default for groups without one.
  ColumnPtr ToColumn(size_t count) const {
    if (width_ > 0) {
      auto out = MakeColumn(type_, count);
      out->rows = count;
      out->fixed.assign(count * width_, 0);
      if (!fixed_.empty()) std::memcpy(out->fixed.data(), fixed_.data(), std::min(fixed_.size(), count * width_));
      return out;
    }
    auto out = MakeEmpty(type_);
    if (type_->id == TypeId::kString) {
      for (size_t g = 0; g < count; ++g) {
        if (g < strings_.size()) out->chars += strings_[g];
        out->offsets.push_back(out->chars.size());
      }
      out->rows = count;
      return out;
    }
    auto fallback = DefaultColumn(type_, 1);
    for (size_t g = 0; g < count; ++g) {
      const Column* v = g < others_.size() && others_[g] != nullptr ? others_[g].get() : fallback.get();
      AppendRow(*out, *v, 0);
    }
    return out;
  }

 private:
  DataTypePtr type_;
  size_t width_;  // bytes of a fixed-width value, 0 otherwise
  std::vector<uint8_t> has_;
  std::vector<uint8_t> fixed_;
  std::vector<std::string> strings_;
  std::vector<ColumnPtr> others_;
};

}  // namespace hedgerow::query
