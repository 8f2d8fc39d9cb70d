// groupArray and groupUniqArray: Array(T) of each group's values.

#include <bit>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "aggregate_impl.h"

namespace hedgerow::query {
namespace {

// Concatenates per-group element columns into one Array column of `count` rows.
ColumnPtr ToArrays(const DataTypePtr& element, const std::vector<std::shared_ptr<Column>>& lists, size_t count) {
  auto out = MakeColumn(MakeArray(element), 0);
  auto elements = MakeEmpty(element);
  for (size_t g = 0; g < count; ++g) {
    if (g < lists.size() && lists[g] != nullptr) {
      for (size_t i = 0; i < lists[g]->rows; ++i) AppendRow(*elements, *lists[g], i);
    }
    out->offsets.push_back(elements->rows);
  }
  out->rows = count;
  out->nested.push_back(std::move(elements));
  return out;
}

// groupArray(x), groupArray(max)(x): the values in the order added, at most `max`.
class GroupArray final : public Aggregate {
 public:
  GroupArray(DataTypePtr element, uint64_t max) : element_(std::move(element)), max_(max) {}
  DataTypePtr ValueType() const override { return MakeArray(element_); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(lists_, groups);
    const ArgValues& a = batch.args[0];
    batch.ForEach([&](size_t r) {
      std::shared_ptr<Column>& list = lists_[batch.groups[r]];
      if (list == nullptr) list = MakeEmpty(element_);
      if (list->rows < max_) AppendRow(*list, *a.column, r * a.step);
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(lists_, groups);
    auto& o = static_cast<GroupArray&>(other);
    for (size_t g = 0; g < o.lists_.size(); ++g) {
      if (o.lists_[g] == nullptr) continue;
      std::shared_ptr<Column>& list = lists_[mapping[g]];
      if (list == nullptr) {
        list = std::move(o.lists_[g]);
        continue;
      }
      for (size_t i = 0; i < o.lists_[g]->rows && list->rows < max_; ++i) AppendRow(*list, *o.lists_[g], i);
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override { return ToArrays(element_, lists_, count); }

 private:
  DataTypePtr element_;
  uint64_t max_;
  std::vector<std::shared_ptr<Column>> lists_;
};

// ClickHouse's HashSet<T, DefaultHash<T>> (Common/HashTable/HashTable.h) for number keys,
// emulated cell for cell, so that groupUniqArray lists numbers in ClickHouse's order: the
// zero key first, then the cells in order; linear probing from intHash64 of the key's bits;
// 16 cells to start, four times as many when more than half full, cells moved as
// HashTable::resize moves them.
class NumberHashSet {
 public:
  void Insert(uint64_t key) {
    if (key == 0) {
      has_zero_ = true;
      return;
    }
    if (cells_.empty()) cells_.assign(16, 0);
    size_t i = Find(key, Place(key));
    if (cells_[i] == key) return;
    cells_[i] = key;
    if (++size_ > cells_.size() / 2) Resize();
  }
  size_t Size() const { return size_ + (has_zero_ ? 1 : 0); }
  // Keys in iteration order.
  std::vector<uint64_t> Keys() const {
    std::vector<uint64_t> out;
    if (has_zero_) out.push_back(0);
    for (uint64_t k : cells_) {
      if (k != 0) out.push_back(k);
    }
    return out;
  }

 private:
  size_t Place(uint64_t key) const {
    uint64_t x = key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x & (cells_.size() - 1);
  }
  size_t Find(uint64_t key, size_t i) const {
    while (cells_[i] != 0 && cells_[i] != key) i = (i + 1) & (cells_.size() - 1);
    return i;
  }
  void Resize() {
    const size_t old_size = cells_.size();
    const size_t degree = std::countr_zero(old_size);
    cells_.resize(old_size << (degree >= 23 ? 1 : 2), 0);
    auto reinsert = [&](size_t i) {
      const uint64_t key = cells_[i];
      size_t place = Place(key);
      if (place == i) return;
      place = Find(key, place);
      if (cells_[place] != 0) return;
      cells_[place] = key;
      cells_[i] = 0;
    };
    size_t i = 0;
    for (; i < old_size; ++i) {
      if (cells_[i] != 0) reinsert(i);
    }
    // A chain that wrapped around the old end continues past it.
    for (; cells_[i] != 0; ++i) reinsert(i);
  }

  std::vector<uint64_t> cells_;
  size_t size_ = 0;
  bool has_zero_ = false;
};

// groupUniqArray(x): the distinct values. Numbers and dates come in ClickHouse's hash-table
// order; other types in the order first seen (18.16 orders strings by a CRC32-based hash
// table not reproduced here, so only their set agrees).
class GroupUniqArray final : public Aggregate {
 public:
  GroupUniqArray(DataTypePtr element, uint64_t max) : element_(std::move(element)), max_(max) {}
  DataTypePtr ValueType() const override { return MakeArray(element_); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    const ArgValues& a = batch.args[0];
    const size_t width = FixedValueWidth(*element_);
    if (NumberLayout(element_->id) != TypeId::kNothing) {
      GrowTo(numbers_, groups);
      batch.ForEach([&](size_t r) {
        uint64_t bits = 0;
        std::memcpy(&bits, a.column->fixed.data() + r * a.step * width, width);
        NumberHashSet& set = numbers_[batch.groups[r]];
        if (set.Size() < max_) set.Insert(bits);
      });
      return;
    }
    GrowTo(seen_, groups);
    GrowTo(lists_, groups);
    batch.ForEach([&](size_t r) {
      std::string key = FormatValue(*a.column, r * a.step);
      auto& seen = seen_[batch.groups[r]];
      if (seen.size() >= max_ || !seen.insert(key).second) return;
      std::shared_ptr<Column>& list = lists_[batch.groups[r]];
      if (list == nullptr) list = MakeEmpty(element_);
      AppendRow(*list, *a.column, r * a.step);
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    auto& o = static_cast<GroupUniqArray&>(other);
    if (NumberLayout(element_->id) != TypeId::kNothing) {
      GrowTo(numbers_, groups);
      for (size_t g = 0; g < o.numbers_.size(); ++g) {
        NumberHashSet& set = numbers_[mapping[g]];
        for (uint64_t bits : o.numbers_[g].Keys()) {
          if (set.Size() < max_) set.Insert(bits);
        }
      }
      return;
    }
    GrowTo(seen_, groups);
    GrowTo(lists_, groups);
    for (size_t g = 0; g < o.lists_.size(); ++g) {
      if (o.lists_[g] == nullptr) continue;
      auto& seen = seen_[mapping[g]];
      std::shared_ptr<Column>& list = lists_[mapping[g]];
      for (size_t i = 0; i < o.lists_[g]->rows; ++i) {
        if (seen.size() >= max_ || !seen.insert(FormatValue(*o.lists_[g], i)).second) continue;
        if (list == nullptr) list = MakeEmpty(element_);
        AppendRow(*list, *o.lists_[g], i);
      }
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    if (NumberLayout(element_->id) == TypeId::kNothing) return ToArrays(element_, lists_, count);
    const size_t width = FixedValueWidth(*element_);
    auto out = MakeColumn(MakeArray(element_), 0);
    auto elements = MakeColumn(element_, 0);
    for (size_t g = 0; g < count; ++g) {
      if (g < numbers_.size()) {
        for (uint64_t bits : numbers_[g].Keys()) {
          elements->fixed.insert(elements->fixed.end(), reinterpret_cast<const uint8_t*>(&bits),
                                 reinterpret_cast<const uint8_t*>(&bits) + width);
          ++elements->rows;
        }
      }
      out->offsets.push_back(elements->rows);
    }
    out->rows = count;
    out->nested.push_back(std::move(elements));
    return ColumnPtr(std::move(out));
  }

 private:
  DataTypePtr element_;
  uint64_t max_;
  std::vector<NumberHashSet> numbers_;
  std::vector<std::set<std::string>> seen_;
  std::vector<std::shared_ptr<Column>> lists_;
};

}  // namespace

Result<std::unique_ptr<Aggregate>> MakeGroupArray(const AggregateCall& call) {
  uint64_t max = UINT64_MAX;
  if (call.params.size() > 1) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} requires one parameter or less", call.name));
  }
  if (call.params.size() == 1) {
    HEDGEROW_ASSIGN_OR_RETURN(double m, NumberParam(call, 0));
    if (!(m >= 1) || m != static_cast<double>(static_cast<uint64_t>(m))) {
      return Status::InvalidArgument("Parameter for aggregate function " + std::string(call.name) +
                                     " should be positive number");
    }
    max = static_cast<uint64_t>(m);
  }
  if (call.values.size() != 1) return ArgumentCount(call, "1");
  if (call.base == "groupArray") return std::unique_ptr<Aggregate>(std::make_unique<GroupArray>(call.values[0], max));
  return std::unique_ptr<Aggregate>(std::make_unique<GroupUniqArray>(call.values[0], max));
}

}  // namespace hedgerow::query
