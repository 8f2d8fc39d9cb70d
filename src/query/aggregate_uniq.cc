// uniq and uniqExact: per-group hash sets filled a batch at a time, one hash per row, no
// per-row allocation.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>

#include "aggregate_impl.h"
#include "hash.h"

namespace hedgerow::query {
namespace {

// A second 64-bit hash of bytes (Murmur3-style lanes), independent of CityHash64: 32 bits of
// it beside CityHash64 name a string by 96 bits.
uint64_t SecondHash(std::string_view s) {
  auto mix = [](uint64_t k) { return std::rotl(k * 0x87c37b91114253d5ULL, 31) * 0x4cf5ad432745937fULL; };
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xc2b2ae3d27d4eb4fULL);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = std::rotl(h ^ mix(w), 27) * 5 + 0x52dce729;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  return MurmurFinalizer(h ^ mix(tail ^ 0xA5));
}

// The bytes ClickHouse's getDataAt gives for row r: a string's bytes, a fixed-width value's.
std::string_view BytesAt(const ArgValues& a, size_t r) {
  if (a.column->type->id == TypeId::kString) return a.StringAt(r);
  const size_t width = FixedValueWidth(*a.column->type);
  return {reinterpret_cast<const char*>(a.column->fixed.data() + r * a.step * width), width};
}

// ClickHouse's UniquesHashSet (AggregateFunctions/UniquesHashSet.h): the distinct 32-bit
// hashes whose low skip_degree bits are zero; when more than 2^16 are kept, skip_degree
// grows and the others are dropped, and size() scales the count back up. Which hashes are
// kept depends only on the set of hashes seen, not their order, so a plain open-addressing
// table reproduces ClickHouse's answers.
class UniquesHashSet {
 public:
  void Insert(uint32_t hash) {
    if ((hash & ((uint64_t{1} << skip_degree_) - 1)) != 0) return;
    if (cells_.empty()) cells_.assign(16, 0);
    if (hash == 0) {
      size_ += !has_zero_;
      has_zero_ = true;
    } else {
      if (!Place(hash)) return;
      ++size_;
    }
    if (size_ > cells_.size() / 2) {
      if (size_ > kMaxSize) {
        while (size_ > kMaxSize) {
          ++skip_degree_;
          Rebuild(cells_.size());
        }
      } else {
        Rebuild(cells_.size() * 2);
      }
    }
  }
  // Brings the cell where `hash` would go into the cache.
  void Prefetch(uint32_t hash) const {
    if (!cells_.empty()) __builtin_prefetch(&cells_[(hash >> 15) & (cells_.size() - 1)]);
  }
  // UniquesHashSet::merge: the kept hashes of both, at the larger skip_degree (the set
  // kept depends only on the hashes seen, so this is what one set fed both sides keeps).
  void Merge(const UniquesHashSet& other) {
    while (skip_degree_ < other.skip_degree_) {
      ++skip_degree_;
      if (!cells_.empty()) Rebuild(cells_.size());
    }
    if (other.has_zero_) Insert(0);
    for (uint32_t h : other.cells_) {
      if (h != 0) Insert(h);
    }
  }
  uint64_t Size() const {
    if (skip_degree_ == 0) return size_;
    uint64_t res = uint64_t{size_} << skip_degree_;
    // ClickHouse's pseudo-random remainder (so the estimate is not a multiple of 2^k), from
    // intHashCRC32, which is intHash64 in Debian's 18.16 (built without SSE 4.2: 100316
    // for uniq over range(100000), where CRC-32C would give 100315); then its correction
    // for collisions among 2^32 hash values.
    res += MurmurFinalizer(size_) & ((uint64_t{1} << skip_degree_) - 1);
    const uint64_t p32 = uint64_t{1} << 32;
    return static_cast<uint64_t>(std::round(static_cast<double>(p32) *
                                            (std::log(static_cast<double>(p32)) - std::log(static_cast<double>(p32 - res)))));
  }

 private:
  static constexpr uint32_t kMaxSize = 1u << 16;
  // Inserts a non-zero hash at ClickHouse's place (its high bits); false if present.
  bool Place(uint32_t hash) {
    const size_t mask = cells_.size() - 1;
    size_t i = (hash >> 15) & mask;
    while (cells_[i] != 0) {
      if (cells_[i] == hash) return false;
      i = (i + 1) & mask;
    }
    cells_[i] = hash;
    return true;
  }
  // Re-places the kept hashes in `capacity` cells, dropping those skip_degree now excludes.
  void Rebuild(size_t capacity) {
    std::vector<uint32_t> old(capacity, 0);
    old.swap(cells_);
    size_ = has_zero_ ? 1 : 0;
    const uint32_t low = static_cast<uint32_t>((uint64_t{1} << skip_degree_) - 1);
    for (uint32_t h : old) {
      if (h != 0 && (h & low) == 0) {
        Place(h);
        ++size_;
      }
    }
  }

  std::vector<uint32_t> cells_;  // 0: empty
  uint32_t size_ = 0;
  uint8_t skip_degree_ = 0;
  bool has_zero_ = false;
};

// How uniq hashes a row: numbers as ClickHouse's AggregateFunctionUniqTraits (the value's
// bits as UInt64, signed ones sign-extended, then intHash64), strings as intHash64 of
// CityHash64, several arguments as CityHash64 of each one's bytes combined (UniqVariadicHash,
// no intHash64 after). UUIDs are hashed like strings of their 16 bytes: 18.16 uses
// sipHash64 there, so their estimates above 2^16 values differ from ClickHouse's.
class Uniq final : public Aggregate {
 public:
  DataTypePtr ValueType() const override { return MakeType(TypeId::kUInt64); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(sets_, groups);
    if (batch.args.size() > 1) {
      InBlocks(batch, [&](size_t r) {
        uint64_t h = CityHash64(BytesAt(batch.args[0], r));
        for (size_t i = 1; i < batch.args.size(); ++i) h = CityHashCombine(CityHash64(BytesAt(batch.args[i], r)), h);
        return static_cast<uint32_t>(h);
      });
      return;
    }
    const ArgValues& a = batch.args[0];
    const TypeId layout = NumberLayout(a.column->type->id);
    if (layout == TypeId::kNothing) {
      InBlocks(batch, [&](size_t r) { return static_cast<uint32_t>(MurmurFinalizer(CityHash64(BytesAt(a, r)))); });
      return;
    }
    DispatchNumber(layout, [&](auto tag) {
      using T = decltype(tag);
      const T* data = a.Data<T>();
      InBlocks(batch, [&](size_t r) {
        uint64_t bits;
        if constexpr (std::is_floating_point_v<T>) {
          bits = 0;
          std::memcpy(&bits, &data[r * a.step], sizeof(T));
        } else {
          bits = static_cast<uint64_t>(data[r * a.step]);
        }
        return static_cast<uint32_t>(MurmurFinalizer(bits));
      });
      return 0;
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(sets_, groups);
    const auto& o = static_cast<Uniq&>(other);
    for (size_t g = 0; g < o.sets_.size(); ++g) sets_[mapping[g]].Merge(o.sets_[g]);
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count && g < sets_.size(); ++g) out[g] = sets_[g].Size();
    return NumberColumn(ValueType(), out);
  }

 private:
  // Inserts hash_of(row) into each row's group's set, a block of rows at a time: with many
  // groups, both a group's set and its cell miss the caches, so they are prefetched ahead.
  template <class F>
  void InBlocks(const AggregateBatch& batch, F&& hash_of) {
    constexpr size_t kBlock = 256, kAhead = 8;
    uint32_t groups[kBlock], hashes[kBlock];
    size_t n = 0;
    auto flush = [&] {
      for (size_t i = 0; i < n; ++i) {
        if (i + 2 * kAhead < n) __builtin_prefetch(&sets_[groups[i + 2 * kAhead]]);
        if (i + kAhead < n) sets_[groups[i + kAhead]].Prefetch(hashes[i + kAhead]);
        sets_[groups[i]].Insert(hashes[i]);
      }
      n = 0;
    };
    batch.ForEach([&](size_t r) {
      groups[n] = batch.groups[r];
      hashes[n++] = hash_of(r);
      if (n == kBlock) flush();
    });
    flush();
  }

  std::vector<UniquesHashSet> sets_;
};

// A value uniqExact keeps: a number's bits, or 96 bits of hashes of a string's bytes.
struct ExactKey {
  uint64_t bits = 0;
  uint32_t check = 0;
  bool operator==(const ExactKey&) const = default;
};

// uniqExact's values of every group in one open-addressing table keyed by (group, value),
// with linear probing, at most half full: many small groups cost no allocation each, and a
// count per group is kept as values are added. Values come in blocks whose cells are
// prefetched a few rows ahead: past a few hundred thousand values the table outgrows the
// caches and a miss per row would dominate.
class GroupedSet {
 public:
  static constexpr size_t kBlock = 256;

  // Adds values[i] to group groups[i] for i in [0, n), n <= kBlock.
  void InsertBlock(const uint32_t* groups, const ExactKey* values, size_t n) {
    while ((size_ + n) * 2 > cells_.size()) Grow();
    uint64_t hashes[kBlock];
    for (size_t i = 0; i < n; ++i) hashes[i] = HashOf(groups[i], values[i].bits);
    const size_t mask = cells_.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&cells_[hashes[i + kAhead] & mask]);
      Insert({values[i].bits, values[i].check, groups[i] + 1}, hashes[i] & mask);
    }
  }
  uint64_t CountOf(size_t group) const { return group < counts_.size() ? counts_[group] : 0; }
  // Calls f(group, value) for every value held.
  template <class F>
  void ForEach(F&& f) const {
    for (const Cell& cell : cells_) {
      if (cell.group != 0) f(cell.group - 1, ExactKey{cell.bits, cell.check});
    }
  }

 private:
  static constexpr size_t kAhead = 8;
  struct Cell {
    uint64_t bits = 0;
    uint32_t check = 0;
    uint32_t group = 0;  // group + 1; 0 for an empty cell
  };
  static uint64_t HashOf(uint32_t group, uint64_t bits) { return MurmurFinalizer(bits + group * 0x9E3779B97F4A7C15ULL); }
  void Insert(const Cell& value, size_t i) {
    const size_t mask = cells_.size() - 1;
    for (;; i = (i + 1) & mask) {
      Cell& cell = cells_[i];
      if (cell.group == 0) {
        cell = value;
        ++size_;
        const uint32_t group = value.group - 1;
        if (counts_.size() <= group) counts_.resize(std::max<size_t>(size_t{group} + 1, counts_.size() * 2), 0);
        ++counts_[group];
        return;
      }
      if (cell.group == value.group && cell.bits == value.bits && cell.check == value.check) return;
    }
  }
  // Doubles the table, moving the cells with their new places prefetched a few cells ahead.
  void Grow() {
    std::vector<Cell> old(cells_.empty() ? 1024 : cells_.size() * 2);
    old.swap(cells_);
    const size_t mask = cells_.size() - 1;
    size_t places[kAhead];
    const Cell* moving[kAhead];
    size_t n = 0;
    auto place = [&](const Cell* cell, size_t i) {
      while (cells_[i].group != 0) i = (i + 1) & mask;
      cells_[i] = *cell;
    };
    for (const Cell& cell : old) {
      if (cell.group == 0) continue;
      const size_t slot = n % kAhead;
      if (n >= kAhead) place(moving[slot], places[slot]);
      places[slot] = HashOf(cell.group - 1, cell.bits) & mask;
      moving[slot] = &cell;
      __builtin_prefetch(&cells_[places[slot]]);
      ++n;
    }
    for (size_t k = n > kAhead ? n - kAhead : 0; k < n; ++k) place(moving[k % kAhead], places[k % kAhead]);
  }

  std::vector<Cell> cells_;
  size_t size_ = 0;
  std::vector<uint64_t> counts_;  // per group
};

// uniqExact's values: one small table per group while the groups are few, as ClickHouse
// keeps a hash set per group. Rows come sorted by the primary key, so a GROUP BY day or
// event meets one group's values in long runs, and that group's table stays in the caches;
// in the shared (group, value) table every row was a cache miss once it outgrew them (daily
// uniqExact over 2M events: 1.8x ClickHouse's time). Past kMaxTables groups the values move
// to one GroupedSet, where many small groups cost no table each.
class ExactSets {
 public:
  static constexpr size_t kMaxTables = 4096;

  void InsertBlock(const uint32_t* groups, const ExactKey* values, size_t n) {
    if (shared_) return shared_->InsertBlock(groups, values, n);
    uint32_t top = 0;
    for (size_t i = 0; i < n; ++i) top = std::max(top, groups[i]);
    if (n > 0 && top >= kMaxTables) {
      MoveToShared();
      return shared_->InsertBlock(groups, values, n);
    }
    if (n > 0 && top >= tables_.size()) tables_.resize(size_t{top} + 1);
    // Each row's hash once; a cell a few rows ahead fetched while this row is placed.
    uint64_t hashes[GroupedSet::kBlock];
    for (size_t i = 0; i < n; ++i) hashes[i] = Table::HashOf(values[i]);
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) tables_[groups[i + kAhead]].Prefetch(hashes[i + kAhead]);
      tables_[groups[i]].Insert(values[i], hashes[i]);
    }
  }
  uint64_t CountOf(size_t group) const {
    if (shared_) return shared_->CountOf(group);
    return group < tables_.size() ? tables_[group].size : 0;
  }
  // Adds other's values, other's group g as group mapping[g].
  void Merge(const ExactSets& other, const std::vector<uint32_t>& mapping) {
    uint32_t groups[GroupedSet::kBlock];
    ExactKey values[GroupedSet::kBlock];
    size_t n = 0;
    auto add = [&](uint32_t group, const ExactKey& value) {
      groups[n] = mapping[group];
      values[n++] = value;
      if (n == GroupedSet::kBlock) {
        InsertBlock(groups, values, n);
        n = 0;
      }
    };
    other.ForEach(add);
    InsertBlock(groups, values, n);
  }

 private:
  static constexpr size_t kAhead = 8;
  // Open addressing with linear probing, at most half full; `used` marks a filled cell.
  struct Table {
    struct Cell {
      uint64_t bits = 0;
      uint32_t check = 0;
      uint32_t used = 0;
    };
    std::vector<Cell> cells;
    uint64_t size = 0;

    static uint64_t HashOf(const ExactKey& v) { return MurmurFinalizer(v.bits ^ (uint64_t{v.check} << 32)); }
    void Prefetch(uint64_t hash) const {
      if (!cells.empty()) __builtin_prefetch(&cells[hash & (cells.size() - 1)]);
    }
    void Insert(const ExactKey& v, uint64_t hash) {
      if ((size + 1) * 2 > cells.size()) Grow();
      const size_t mask = cells.size() - 1;
      for (size_t i = hash & mask;; i = (i + 1) & mask) {
        Cell& cell = cells[i];
        if (!cell.used) {
          cell = {v.bits, v.check, 1};
          ++size;
          return;
        }
        if (cell.bits == v.bits && cell.check == v.check) return;
      }
    }
    void Grow() {
      std::vector<Cell> old(cells.empty() ? 16 : cells.size() * 2);
      old.swap(cells);
      size = 0;
      for (const Cell& cell : old) {
        if (cell.used) Insert({cell.bits, cell.check}, HashOf({cell.bits, cell.check}));
      }
    }
  };

  template <class F>
  void ForEach(F&& f) const {
    if (shared_) return shared_->ForEach(f);
    for (size_t g = 0; g < tables_.size(); ++g) {
      for (const Table::Cell& cell : tables_[g].cells) {
        if (cell.used) f(static_cast<uint32_t>(g), ExactKey{cell.bits, cell.check});
      }
    }
  }

  void MoveToShared() {
    std::vector<Table> tables;
    tables.swap(tables_);
    shared_.emplace();
    std::vector<uint32_t> identity(tables.size());
    for (size_t g = 0; g < identity.size(); ++g) identity[g] = static_cast<uint32_t>(g);
    ExactSets moving;
    moving.tables_ = std::move(tables);
    Merge(moving, identity);
  }

  std::vector<Table> tables_;  // by group, while there are at most kMaxTables groups
  std::optional<GroupedSet> shared_;  // after
};

// uniqExact: numbers, dates and single fixed-width values by their bits; strings, UUIDs and
// several arguments by 96 bits of two independent hashes of their bytes (ClickHouse keys
// strings by SipHash128; two of 10^9 distinct values collide with a chance below 10^-11),
// each argument's bytes length-prefixed.
class UniqExact final : public Aggregate {
 public:
  DataTypePtr ValueType() const override { return MakeType(TypeId::kUInt64); }
  void AddBatch(const AggregateBatch& batch, size_t) override {
    const ArgValues& a = batch.args[0];
    const TypeId layout = NumberLayout(a.column->type->id);
    if (batch.args.size() == 1 && layout != TypeId::kNothing) {
      DispatchNumber(layout, [&](auto tag) {
        using T = decltype(tag);
        const T* data = a.Data<T>();
        InBlocks(batch, numbers_, [&](size_t r) {
          uint64_t bits = 0;
          std::memcpy(&bits, &data[r * a.step], sizeof(T));
          return ExactKey{bits, 0};
        });
        return 0;
      });
    } else if (batch.args.size() == 1) {
      InBlocks(batch, hashes_, [&](size_t r) {
        std::string_view bytes = BytesAt(a, r);
        return ExactKey{CityHash64(bytes), static_cast<uint32_t>(SecondHash(bytes))};
      });
    } else {
      std::string joined;
      InBlocks(batch, hashes_, [&](size_t r) {
        joined.clear();
        for (const ArgValues& arg : batch.args) {
          std::string_view bytes = BytesAt(arg, r);
          uint64_t n = bytes.size();
          joined.append(reinterpret_cast<const char*>(&n), sizeof n).append(bytes);
        }
        return ExactKey{CityHash64(joined), static_cast<uint32_t>(SecondHash(joined))};
      });
    }
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t) override {
    const auto& o = static_cast<UniqExact&>(other);
    numbers_.Merge(o.numbers_, mapping);
    hashes_.Merge(o.hashes_, mapping);
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count; ++g) out[g] = numbers_.CountOf(g) + hashes_.CountOf(g);
    return NumberColumn(ValueType(), out);
  }

 private:
  // Feeds the batch's rows to `set` a block at a time, each row's value from value_of(row).
  template <class F>
  static void InBlocks(const AggregateBatch& batch, ExactSets& set, F&& value_of) {
    constexpr size_t kBlock = GroupedSet::kBlock;
    uint32_t groups[kBlock];
    ExactKey values[kBlock];
    size_t n = 0;
    batch.ForEach([&](size_t r) {
      groups[n] = batch.groups[r];
      values[n++] = value_of(r);
      if (n == kBlock) {
        set.InsertBlock(groups, values, n);
        n = 0;
      }
    });
    set.InsertBlock(groups, values, n);
  }

  ExactSets numbers_;  // number bits
  ExactSets hashes_;   // hashes of strings' bytes
};

Status CheckUniqArgs(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
  if (call.values.empty()) return ArgumentCount(call, "at least 1");
  for (const DataTypePtr& t : call.values) {
    if (t->id != TypeId::kString && FixedValueWidth(*t) == 0) return IllegalTypes(call.name, call.args);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Aggregate>> MakeUniq(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(CheckUniqArgs(call));
  return std::unique_ptr<Aggregate>(std::make_unique<Uniq>());
}

Result<std::unique_ptr<Aggregate>> MakeUniqExact(const AggregateCall& call) {
  HEDGEROW_RETURN_IF_ERROR(CheckUniqArgs(call));
  return std::unique_ptr<Aggregate>(std::make_unique<UniqExact>());
}

}  // namespace hedgerow::query
