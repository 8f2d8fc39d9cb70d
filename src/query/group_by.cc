#include "group_by.h"

#include <cstring>

#include "chunk_ops.h"
#include "dispatch.h"
#include "hash.h"

namespace hedgerow::query {
namespace {

// Spreads every bit of a packed key over the low bits that pick a cell.
inline uint64_t Mix(uint64_t x) { return MurmurFinalizer(x); }

struct Key16 {
  uint64_t lo = 0, hi = 0;
  bool operator==(const Key16&) const = default;
};

inline uint64_t HashKey(uint64_t k) { return Mix(k); }
inline uint64_t HashKey(const Key16& k) { return Mix(k.lo ^ Mix(k.hi + 0x9E3779B97F4A7C15ULL)); }

// A row of column c reads stored row r * step: constants are read in place.
inline size_t StepOf(const Column& c) { return c.is_const ? 0 : 1; }

}  // namespace

class GroupIndex::Impl {
 public:
  virtual ~Impl() = default;
  virtual Path path() const = 0;
  virtual void Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups) = 0;
  virtual size_t size() const = 0;
  virtual std::vector<ColumnPtr> KeyColumns() const = 0;
};

namespace {

// No GROUP BY keys: one group, once a row has been seen.
class NoKeys final : public GroupIndex::Impl {
 public:
  GroupIndex::Path path() const override { return GroupIndex::Path::kNone; }
  void Map(const std::vector<ColumnPtr>&, size_t rows, std::vector<uint32_t>& groups) override {
    groups.assign(rows, 0);
    seen_ = seen_ || rows > 0;
  }
  size_t size() const override { return seen_ ? 1 : 0; }
  std::vector<ColumnPtr> KeyColumns() const override { return {}; }

 private:
  bool seen_ = false;
};

// Where one key's bytes sit in a packed key: a NULL flag byte first when Nullable (the
// value bytes then zero, whatever the column holds there), then the value.
struct PackedSlot {
  DataTypePtr type;  // the key's type
  size_t offset = 0;
  size_t width = 0;  // of the value
  bool nullable = false;
};

// Copies `rows` values of W bytes (from stored row r * step) to dst, one every `stride` bytes.
template <size_t W>
void CopyValues(const uint8_t* src, size_t step, size_t rows, uint8_t* dst, size_t stride) {
  for (size_t r = 0; r < rows; ++r) std::memcpy(dst + r * stride, src + r * step * W, W);
}

void CopyValues(size_t width, const uint8_t* src, size_t step, size_t rows, uint8_t* dst, size_t stride) {
  switch (width) {
    case 1: return CopyValues<1>(src, step, rows, dst, stride);
    case 2: return CopyValues<2>(src, step, rows, dst, stride);
    case 4: return CopyValues<4>(src, step, rows, dst, stride);
    case 8: return CopyValues<8>(src, step, rows, dst, stride);
    default: return CopyValues<16>(src, step, rows, dst, stride);
  }
}

// Writes each row's keys, packed, into packed[r] (K: uint16_t, uint64_t or Key16).
template <class K>
void PackKeys(const std::vector<PackedSlot>& slots, const std::vector<ColumnPtr>& keys, size_t rows, std::vector<K>& packed) {
  packed.assign(rows, K{});
  uint8_t* base = reinterpret_cast<uint8_t*>(packed.data());
  for (size_t i = 0; i < slots.size(); ++i) {
    const PackedSlot& s = slots[i];
    const Column& c = *keys[i];
    const size_t step = StepOf(c);
    if (!s.nullable) {
      CopyValues(s.width, c.fixed.data(), step, rows, base + s.offset, sizeof(K));
      continue;
    }
    const uint8_t* nulls = c.nulls.data();
    CopyValues(s.width, c.nested[0]->fixed.data(), step, rows, base + s.offset + 1, sizeof(K));
    for (size_t r = 0; r < rows; ++r) {
      if (nulls[r * step] == 0) continue;
      uint8_t* at = base + r * sizeof(K) + s.offset;
      at[0] = 1;
      std::memset(at + 1, 0, s.width);
    }
  }
}

// Unpacks the keys of `count` groups into one column per slot.
template <class K>
std::vector<ColumnPtr> UnpackKeys(const std::vector<PackedSlot>& slots, const K* packed, size_t count) {
  std::vector<ColumnPtr> out;
  const uint8_t* base = reinterpret_cast<const uint8_t*>(packed);
  for (const PackedSlot& s : slots) {
    auto values = MakeColumn(s.nullable ? s.type->nested[0] : s.type, count);
    const size_t value_at = s.offset + (s.nullable ? 1 : 0);
    for (size_t g = 0; g < count; ++g) std::memcpy(values->fixed.data() + g * s.width, base + g * sizeof(K) + value_at, s.width);
    if (!s.nullable) {
      out.push_back(std::move(values));
      continue;
    }
    auto column = MakeColumn(s.type, count);
    column->nulls.resize(count);
    for (size_t g = 0; g < count; ++g) column->nulls[g] = base[g * sizeof(K) + s.offset];
    column->nested.push_back(std::move(values));
    out.push_back(std::move(column));
  }
  return out;
}

// Up to 2 bytes of packed keys: the packed value indexes an array of group ids directly.
class DirectKeys final : public GroupIndex::Impl {
 public:
  DirectKeys(std::vector<PackedSlot> slots, size_t bytes) : slots_(std::move(slots)), ids_(size_t{1} << (8 * bytes), 0) {}
  GroupIndex::Path path() const override { return GroupIndex::Path::kDirect; }
  void Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups) override {
    PackKeys(slots_, keys, rows, packed_);
    groups.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      uint32_t& id = ids_[packed_[r]];  // group + 1; 0 when not seen yet
      if (id == 0) {
        keys_.push_back(packed_[r]);
        id = static_cast<uint32_t>(keys_.size());
      }
      groups[r] = id - 1;
    }
  }
  size_t size() const override { return keys_.size(); }
  std::vector<ColumnPtr> KeyColumns() const override { return UnpackKeys(slots_, keys_.data(), keys_.size()); }

 private:
  std::vector<PackedSlot> slots_;
  std::vector<uint32_t> ids_;
  std::vector<uint16_t> keys_;  // per group
  std::vector<uint16_t> packed_;  // per row of the chunk being mapped
};

// Cells from which a table outgrows the L2 cache, and how many rows ahead a lookup's cell is
// prefetched in a table that large.
constexpr size_t kPrefetchFrom = size_t{1} << 16;
constexpr size_t kAhead = 8;

// Packed keys of up to 8 (K = uint64_t) or 16 bytes (Key16) in an open-addressing table
// with linear probing, at most half full; each cell holds its key beside the group.
template <class K>
class FixedKeys final : public GroupIndex::Impl {
 public:
  explicit FixedKeys(std::vector<PackedSlot> slots) : slots_(std::move(slots)), cells_(kInitialCells) {}
  GroupIndex::Path path() const override {
    return std::is_same_v<K, uint64_t> ? GroupIndex::Path::kFixed8 : GroupIndex::Path::kFixed16;
  }
  void Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups) override {
    PackKeys(slots_, keys, rows, packed_);
    groups.resize(rows);
    if (cells_.size() < kPrefetchFrom) {
      for (size_t r = 0; r < rows; ++r) {
        groups[r] = r > 0 && packed_[r] == packed_[r - 1] ? groups[r - 1] : FindOrAdd(packed_[r], HashKey(packed_[r]));
      }
      return;
    }
    // A table past the caches: the hashes first, then each row's cell prefetched ahead.
    hashes_.resize(rows);
    for (size_t r = 0; r < rows; ++r) hashes_[r] = HashKey(packed_[r]);
    for (size_t r = 0; r < rows; ++r) {
      if (r + kAhead < rows) __builtin_prefetch(&cells_[hashes_[r + kAhead] & (cells_.size() - 1)]);
      groups[r] = r > 0 && packed_[r] == packed_[r - 1] ? groups[r - 1] : FindOrAdd(packed_[r], hashes_[r]);
    }
  }
  size_t size() const override { return keys_.size(); }
  std::vector<ColumnPtr> KeyColumns() const override { return UnpackKeys(slots_, keys_.data(), keys_.size()); }

 private:
  static constexpr size_t kInitialCells = 64;
  struct Cell {
    K key{};
    uint32_t id = 0;  // group + 1; 0 for an empty cell
  };

  uint32_t FindOrAdd(const K& key, uint64_t hash) {
    const size_t mask = cells_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Cell& cell = cells_[i];
      if (cell.id == 0) {
        keys_.push_back(key);
        cell = {key, static_cast<uint32_t>(keys_.size())};
        if (keys_.size() * 2 > cells_.size()) Grow();
        return static_cast<uint32_t>(keys_.size() - 1);
      }
      if (cell.key == key) return cell.id - 1;
    }
  }
  void Grow() {
    std::vector<Cell> old(cells_.size() * 2);
    old.swap(cells_);
    const size_t mask = cells_.size() - 1;
    for (const Cell& cell : old) {
      if (cell.id == 0) continue;
      size_t i = HashKey(cell.key) & mask;
      while (cells_[i].id != 0) i = (i + 1) & mask;
      cells_[i] = cell;
    }
  }

  std::vector<PackedSlot> slots_;
  std::vector<Cell> cells_;
  std::vector<K> keys_;    // per group
  std::vector<K> packed_;         // per row of the chunk being mapped
  std::vector<uint64_t> hashes_;  // per row of the chunk being mapped
};

// Byte-string keys, each stored once: cells of (hash, group) with linear probing, at most
// half full, grown from the stored hashes; the bytes of group g in chars_[ends_[g-1], ends_[g]).
class StringTable {
 public:
  StringTable() : cells_(kInitialCells) {}

  uint32_t FindOrAdd(std::string_view key, uint64_t hash) {
    const size_t mask = cells_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Cell& cell = cells_[i];
      if (cell.id == 0) {
        const uint32_t group = Append(key);
        cell = {hash, group + 1};
        if (++indexed_ * 2 > cells_.size()) Grow();
        return group;
      }
      if (cell.hash == hash && KeyAt(cell.id - 1) == key) return cell.id - 1;
    }
  }
  // A group that no lookup finds (a NULL key): its bytes are `key`, its id the next one.
  uint32_t Append(std::string_view key) {
    chars_.append(key);
    ends_.push_back(chars_.size());
    return static_cast<uint32_t>(ends_.size() - 1);
  }
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&cells_[hash & (cells_.size() - 1)]); }
  size_t cells() const { return cells_.size(); }
  std::string_view KeyAt(uint32_t g) const {
    const uint64_t begin = g == 0 ? 0 : ends_[g - 1];
    return {chars_.data() + begin, static_cast<size_t>(ends_[g] - begin)};
  }
  size_t size() const { return ends_.size(); }
  const std::string& chars() const { return chars_; }
  const std::vector<uint64_t>& ends() const { return ends_; }

 private:
  static constexpr size_t kInitialCells = 64;
  struct Cell {
    uint64_t hash = 0;
    uint32_t id = 0;  // group + 1; 0 for an empty cell
  };
  void Grow() {
    std::vector<Cell> old(cells_.size() * 2);
    old.swap(cells_);
    const size_t mask = cells_.size() - 1;
    for (const Cell& cell : old) {
      if (cell.id == 0) continue;
      size_t i = cell.hash & mask;
      while (cells_[i].id != 0) i = (i + 1) & mask;
      cells_[i] = cell;
    }
  }

  std::vector<Cell> cells_;
  size_t indexed_ = 0;
  std::string chars_;
  std::vector<uint64_t> ends_;
};

// One String or Nullable(String) key; a NULL is a group of its own that no string finds.
class StringKeys final : public GroupIndex::Impl {
 public:
  explicit StringKeys(DataTypePtr type) : type_(std::move(type)), nullable_(type_->id == TypeId::kNullable) {}
  GroupIndex::Path path() const override { return GroupIndex::Path::kString; }
  void Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups) override {
    const Column& outer = *keys[0];
    const Column& c = nullable_ ? *outer.nested[0] : outer;
    const size_t step = StepOf(outer);
    const uint8_t* nulls = nullable_ ? outer.nulls.data() : nullptr;
    const uint64_t* ends = c.offsets.data();
    const char* chars = c.chars.data();
    groups.resize(rows);
    auto string_at = [&](size_t r) {
      const size_t at = r * step;
      const uint64_t begin = at == 0 ? 0 : ends[at - 1];
      return std::string_view(chars + begin, static_cast<size_t>(ends[at] - begin));
    };
    auto is_null = [&](size_t r) { return nulls != nullptr && nulls[r * step] != 0; };
    // A table past the caches: the hashes first, then each row's cell prefetched ahead.
    const bool prefetch = table_.cells() >= kPrefetchFrom;
    if (prefetch) {
      hashes_.resize(rows);
      for (size_t r = 0; r < rows; ++r) hashes_[r] = is_null(r) ? 0 : CityHash64(string_at(r));
    }
    std::string_view previous;
    bool has_previous = false;  // the row before is not NULL
    for (size_t r = 0; r < rows; ++r) {
      if (prefetch && r + kAhead < rows) table_.Prefetch(hashes_[r + kAhead]);
      if (is_null(r)) {
        if (null_group_ == kNone) null_group_ = table_.Append({});
        groups[r] = null_group_;
        has_previous = false;
        continue;
      }
      const std::string_view s = string_at(r);
      if (has_previous && s == previous) {
        groups[r] = groups[r - 1];
        continue;
      }
      groups[r] = table_.FindOrAdd(s, prefetch ? hashes_[r] : CityHash64(s));
      previous = s;
      has_previous = true;
    }
  }
  size_t size() const override { return table_.size(); }
  std::vector<ColumnPtr> KeyColumns() const override {
    const size_t count = table_.size();
    auto strings = MakeColumn(nullable_ ? type_->nested[0] : type_, count);
    strings->chars = table_.chars();
    strings->offsets = table_.ends();
    if (!nullable_) return {strings};
    auto column = MakeColumn(type_, count);
    column->nulls.assign(count, 0);
    if (null_group_ != kNone) column->nulls[null_group_] = 1;
    column->nested.push_back(std::move(strings));
    return {column};
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  DataTypePtr type_;
  bool nullable_;
  StringTable table_;
  uint32_t null_group_ = kNone;
  std::vector<uint64_t> hashes_;  // per row of the chunk being mapped, for large tables
};

// Any keys: each row's keys serialized as AppendKey writes them, looked up as byte strings;
// the key values of each new group copied into columns of their own.
class GenericKeys final : public GroupIndex::Impl {
 public:
  explicit GenericKeys(const std::vector<DataTypePtr>& types) {
    for (const DataTypePtr& t : types) keys_.push_back(MakeEmpty(t));
  }
  GroupIndex::Path path() const override { return GroupIndex::Path::kGeneric; }
  void Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups) override {
    Serialize(keys, rows);
    groups.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      const std::string_view bytes(bytes_.data() + starts_[r], starts_[r + 1] - starts_[r]);
      if (r > 0 && bytes == std::string_view(bytes_.data() + starts_[r - 1], starts_[r] - starts_[r - 1])) {
        groups[r] = groups[r - 1];
        continue;
      }
      const size_t before = table_.size();
      groups[r] = table_.FindOrAdd(bytes, CityHash64(bytes));
      if (table_.size() == before) continue;
      for (size_t i = 0; i < keys.size(); ++i) AppendRow(*keys_[i], *keys[i], r);
    }
  }
  size_t size() const override { return table_.size(); }
  std::vector<ColumnPtr> KeyColumns() const override { return {keys_.begin(), keys_.end()}; }

 private:
  // bytes_[starts_[r], starts_[r + 1]): row r's keys, as AppendKey writes them. Numbers and
  // strings are written a column at a time; other types through AppendKey, row by row.
  void Serialize(const std::vector<ColumnPtr>& keys, size_t rows) {
    sizes_.assign(rows + 1, 0);
    for (const ColumnPtr& k : keys) AddSizes(*k, rows);
    starts_.resize(rows + 1);
    size_t total = 0;
    for (size_t r = 0; r <= rows; ++r) {
      starts_[r] = total;
      total += sizes_[r];
    }
    bytes_.resize(total);
    sizes_.assign(starts_.begin(), starts_.end());  // now each row's write position
    for (const ColumnPtr& k : keys) Write(*k, rows);
  }
  // The fixed width of a column's value, or 0 for strings and others.
  static const Column& Values(const Column& c) { return c.type->id == TypeId::kNullable ? *c.nested[0] : c; }
  void AddSizes(const Column& c, size_t rows) {
    const Column& v = Values(c);
    const size_t step = StepOf(c);
    const TypeId id = v.type->id;
    const size_t width = FixedValueWidth(*v.type);
    if (id != TypeId::kString && width == 0) {  // arrays, tuples, Nothing: their AppendKey bytes
      scratch_.clear();
      for (size_t r = 0; r < rows; ++r) {
        const size_t before = scratch_.size();
        AppendKey(scratch_, c, r);
        sizes_[r] += scratch_.size() - before;
      }
      return;
    }
    for (size_t r = 0; r < rows; ++r) {
      if (c.IsNullAt(r)) {
        sizes_[r] += 1;
      } else if (id == TypeId::kString) {
        sizes_[r] += 1 + sizeof(uint64_t) + v.StringAt(r * step).size();
      } else {
        sizes_[r] += 1 + width;
      }
    }
  }
  void Write(const Column& c, size_t rows) {
    const Column& v = Values(c);
    const size_t step = StepOf(c);
    const TypeId id = v.type->id;
    const size_t width = FixedValueWidth(*v.type);
    char* out = bytes_.data();
    if (id != TypeId::kString && width == 0) {
      scratch_.clear();
      for (size_t r = 0; r < rows; ++r) {
        const size_t before = scratch_.size();
        AppendKey(scratch_, c, r);
        std::memcpy(out + sizes_[r], scratch_.data() + before, scratch_.size() - before);
        sizes_[r] += scratch_.size() - before;
      }
      return;
    }
    for (size_t r = 0; r < rows; ++r) {
      char* at = out + sizes_[r];
      if (c.IsNullAt(r)) {
        at[0] = '\0';
        sizes_[r] += 1;
        continue;
      }
      at[0] = '\1';
      if (id == TypeId::kString) {
        const std::string_view s = v.StringAt(r * step);
        const uint64_t n = s.size();
        std::memcpy(at + 1, &n, sizeof n);
        std::memcpy(at + 1 + sizeof n, s.data(), n);
        sizes_[r] += 1 + sizeof n + n;
      } else {
        std::memcpy(at + 1, v.fixed.data() + r * step * width, width);
        sizes_[r] += 1 + width;
      }
    }
  }

  std::vector<std::shared_ptr<Column>> keys_;  // one row per group
  StringTable table_;
  std::string bytes_;            // the chunk's serialized keys
  std::vector<size_t> starts_;   // per row, and the end
  std::vector<size_t> sizes_;
  std::string scratch_;
};

// The packed layout of `types` when every key is fixed-width (or Nullable of one); the
// total bytes in `bytes`. Empty when a key is of another type.
std::vector<PackedSlot> PackedLayout(const std::vector<DataTypePtr>& types, size_t& bytes) {
  std::vector<PackedSlot> slots;
  bytes = 0;
  for (const DataTypePtr& t : types) {
    const bool nullable = t->id == TypeId::kNullable;
    const size_t width = FixedValueWidth(nullable ? *t->nested[0] : *t);
    if (width == 0) return {};
    slots.push_back({t, bytes, width, nullable});
    bytes += width + (nullable ? 1 : 0);
  }
  return slots;
}

std::unique_ptr<GroupIndex::Impl> MakeImpl(const std::vector<DataTypePtr>& types, bool force_generic) {
  if (types.empty()) return std::make_unique<NoKeys>();
  if (force_generic) return std::make_unique<GenericKeys>(types);
  size_t bytes = 0;
  std::vector<PackedSlot> slots = PackedLayout(types, bytes);
  if (!slots.empty() && bytes <= 2) return std::make_unique<DirectKeys>(std::move(slots), bytes);
  if (!slots.empty() && bytes <= 8) return std::make_unique<FixedKeys<uint64_t>>(std::move(slots));
  if (!slots.empty() && bytes <= 16) return std::make_unique<FixedKeys<Key16>>(std::move(slots));
  const DataType& value = types[0]->id == TypeId::kNullable ? *types[0]->nested[0] : *types[0];
  if (types.size() == 1 && value.id == TypeId::kString) return std::make_unique<StringKeys>(types[0]);
  return std::make_unique<GenericKeys>(types);
}

}  // namespace

GroupIndex::GroupIndex(std::vector<DataTypePtr> key_types, bool force_generic) : impl_(MakeImpl(key_types, force_generic)) {}
GroupIndex::~GroupIndex() = default;

void GroupIndex::Map(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint32_t>& groups) {
  impl_->Map(keys, rows, groups);
}

void GroupIndex::Merge(const GroupIndex& other, std::vector<uint32_t>& mapping) {
  impl_->Map(other.impl_->KeyColumns(), other.size(), mapping);
}

size_t GroupIndex::size() const { return impl_->size(); }
GroupIndex::Path GroupIndex::path() const { return impl_->path(); }
std::vector<ColumnPtr> GroupIndex::KeyColumns() const { return impl_->KeyColumns(); }

}  // namespace hedgerow::query
