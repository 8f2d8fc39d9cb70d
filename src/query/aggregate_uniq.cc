// uniq and uniqExact: per-group hash sets filled a batch at a time, one hash per row, no
// per-row allocation.

#include <bit>
#include <cmath>
#include <cstring>

#include "aggregate_impl.h"
#include "hash.h"

namespace hedgerow::query {
namespace {

// Hash.h's intHash64 of ClickHouse: Murmur3's finalizer, without the seed that the SQL
// function intHash64 adds (hash.h's IntHash64); what uniq hashes numbers with.
uint64_t MurmurFinalizer(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A second 64-bit hash of bytes (Murmur3-style lanes), independent of CityHash64, so that
// together they name a string by 128 bits.
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
    const uint32_t* g = batch.groups;
    if (batch.args.size() > 1) {
      batch.ForEach([&](size_t r) {
        uint64_t h = CityHash64(BytesAt(batch.args[0], r));
        for (size_t i = 1; i < batch.args.size(); ++i) h = CityHashCombine(CityHash64(BytesAt(batch.args[i], r)), h);
        sets_[g[r]].Insert(static_cast<uint32_t>(h));
      });
      return;
    }
    const ArgValues& a = batch.args[0];
    const TypeId layout = NumberLayout(a.column->type->id);
    if (layout == TypeId::kNothing) {
      batch.ForEach([&](size_t r) { sets_[g[r]].Insert(static_cast<uint32_t>(MurmurFinalizer(CityHash64(BytesAt(a, r))))); });
      return;
    }
    DispatchNumber(layout, [&](auto tag) {
      using T = decltype(tag);
      const T* data = a.Data<T>();
      batch.ForEach([&](size_t r) {
        uint64_t bits;
        if constexpr (std::is_floating_point_v<T>) {
          bits = 0;
          std::memcpy(&bits, &data[r * a.step], sizeof(T));
        } else {
          bits = static_cast<uint64_t>(data[r * a.step]);
        }
        sets_[g[r]].Insert(static_cast<uint32_t>(MurmurFinalizer(bits)));
      });
      return 0;
    });
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count && g < sets_.size(); ++g) out[g] = sets_[g].Size();
    return NumberColumn(ValueType(), out);
  }

 private:
  std::vector<UniquesHashSet> sets_;
};

// An exact set of keys K (uint64_t value bits, or 128-bit hashes as two words), open
// addressing; the all-zero key is kept apart. Starts empty (no allocation) since most
// groups of a GROUP BY hold few values.
template <class K>
class FlatSet {
 public:
  void Insert(const K& key, uint64_t hash) {
    if (key == K{}) {
      size_ += !has_zero_;
      has_zero_ = true;
      return;
    }
    if ((size_ + 1) * 2 > cells_.size()) Grow();
    const size_t mask = cells_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      if (cells_[i] == key) return;
      if (cells_[i] == K{}) {
        cells_[i] = key;
        ++size_;
        return;
      }
    }
  }
  size_t size() const { return size_; }

 private:
  static uint64_t HashOf(const K& key) {
    if constexpr (std::is_same_v<K, uint64_t>) {
      return MurmurFinalizer(key);
    } else {
      return key.first;
    }
  }
  void Grow() {
    std::vector<K> old(cells_.empty() ? 8 : cells_.size() * 2);
    old.swap(cells_);
    const size_t mask = cells_.size() - 1;
    for (const K& key : old) {
      if (key == K{}) continue;
      size_t i = HashOf(key) & mask;
      while (cells_[i] != K{}) i = (i + 1) & mask;
      cells_[i] = key;
    }
  }

  std::vector<K> cells_;
  size_t size_ = 0;
  bool has_zero_ = false;
};

// uniqExact: numbers, dates and single fixed-width values by their bits; strings, UUIDs and
// several arguments by a 128-bit hash of their bytes (as ClickHouse keys strings by
// SipHash128), each argument's bytes length-prefixed.
class UniqExact final : public Aggregate {
 public:
  DataTypePtr ValueType() const override { return MakeType(TypeId::kUInt64); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    const uint32_t* g = batch.groups;
    const ArgValues& a = batch.args[0];
    const TypeId layout = NumberLayout(a.column->type->id);
    if (batch.args.size() == 1 && layout != TypeId::kNothing) {
      GrowTo(numbers_, groups);
      DispatchNumber(layout, [&](auto tag) {
        using T = decltype(tag);
        const T* data = a.Data<T>();
        batch.ForEach([&](size_t r) {
          uint64_t bits = 0;
          std::memcpy(&bits, &data[r * a.step], sizeof(T));
          numbers_[g[r]].Insert(bits, MurmurFinalizer(bits));
        });
        return 0;
      });
      return;
    }
    GrowTo(hashes_, groups);
    if (batch.args.size() == 1) {
      batch.ForEach([&](size_t r) {
        std::string_view bytes = BytesAt(a, r);
        std::pair<uint64_t, uint64_t> key{CityHash64(bytes), SecondHash(bytes)};
        hashes_[g[r]].Insert(key, key.first);
      });
      return;
    }
    std::string joined;
    batch.ForEach([&](size_t r) {
      joined.clear();
      for (const ArgValues& arg : batch.args) {
        std::string_view bytes = BytesAt(arg, r);
        uint64_t n = bytes.size();
        joined.append(reinterpret_cast<const char*>(&n), sizeof n).append(bytes);
      }
      std::pair<uint64_t, uint64_t> key{CityHash64(joined), SecondHash(joined)};
      hashes_[g[r]].Insert(key, key.first);
    });
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint64_t> out(count, 0);
    for (size_t g = 0; g < count; ++g) {
      if (g < numbers_.size()) out[g] += numbers_[g].size();
      if (g < hashes_.size()) out[g] += hashes_[g].size();
    }
    return NumberColumn(ValueType(), out);
  }

 private:
  std::vector<FlatSet<uint64_t>> numbers_;
  std::vector<FlatSet<std::pair<uint64_t, uint64_t>>> hashes_;
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
