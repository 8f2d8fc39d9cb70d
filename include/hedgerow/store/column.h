#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow::store {

// ClickHouse's column types that PostHog's tables use. Values are stored as ClickHouse
// stores them: DateTime as UInt32 seconds, DateTime64(6) as Int64 microseconds, Date as
// UInt16 days since 1970-01-01, UUID as 16 bytes.
enum class Type : uint8_t {
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kInt64,
  kFloat64,
  kString,
  kUuid,
  kDateTime,
  kDateTime64,
  kDate,
};

// Bytes per value; 0 for String.
size_t FixedWidth(Type type);
// "UInt8", "DateTime64(6, 'UTC')", ...: the names queries and `DESCRIBE` show.
std::string_view TypeName(Type type);
Result<Type> ParseTypeName(std::string_view name);

// One column of values, laid out as ClickHouse lays it out in memory: fixed-width values
// packed in one array; strings as one char buffer plus an end offset per value. The scan
// path decompresses granules straight into these buffers and hands them to the query engine
// as they are, so nothing is copied between disk and the executor.
class Column {
 public:
  explicit Column(Type type) : type_(type) {}

  Type type() const { return type_; }
  size_t size() const { return type_ == Type::kString ? offsets_.size() : fixed_.size() / FixedWidth(type_); }
  size_t ByteSize() const { return fixed_.size() + chars_.size() + offsets_.size() * sizeof(uint64_t); }

  // Fixed-width access. T must match the type's width (uint32_t for DateTime, ...).
  template <class T>
  T Get(size_t row) const {
    T v;
    std::memcpy(&v, fixed_.data() + row * sizeof(T), sizeof(T));
    return v;
  }
  template <class T>
  const T* Data() const { return reinterpret_cast<const T*>(fixed_.data()); }
  template <class T>
  void Push(T v) {
    size_t at = fixed_.size();
    fixed_.resize(at + sizeof(T));
    std::memcpy(fixed_.data() + at, &v, sizeof(T));
  }
  const uint8_t* FixedAt(size_t row) const { return fixed_.data() + row * FixedWidth(type_); }
  void PushFixed(const uint8_t* bytes) { fixed_.insert(fixed_.end(), bytes, bytes + FixedWidth(type_)); }

  // String access.
  std::string_view StringAt(size_t row) const {
    uint64_t begin = row == 0 ? 0 : offsets_[row - 1];
    return {chars_.data() + begin, static_cast<size_t>(offsets_[row] - begin)};
  }
  void PushString(std::string_view s) {
    chars_.append(s);
    offsets_.push_back(chars_.size());
  }

  // Appends row `row` of `other` (same type).
  void PushFrom(const Column& other, size_t row) {
    if (type_ == Type::kString) {
      PushString(other.StringAt(row));
    } else {
      PushFixed(other.FixedAt(row));
    }
  }
  // Appends rows [begin, end) of `other` (same type).
  void AppendRangeFrom(const Column& other, size_t begin, size_t end);
  void PushDefault();
  void Reserve(size_t rows, size_t chars = 0);

  // Raw buffers, for the part reader and writer.
  std::vector<uint8_t>& fixed() { return fixed_; }
  const std::vector<uint8_t>& fixed() const { return fixed_; }
  std::vector<uint64_t>& offsets() { return offsets_; }
  const std::vector<uint64_t>& offsets() const { return offsets_; }
  std::string& chars() { return chars_; }
  const std::string& chars() const { return chars_; }

 private:
  Type type_;
  std::vector<uint8_t> fixed_;
  std::vector<uint64_t> offsets_;
  std::string chars_;
};

// Named columns of equal length: what inserts take and scans produce.
struct Block {
  std::vector<std::string> names;
  std::vector<Column> columns;

  size_t rows() const { return columns.empty() ? 0 : columns[0].size(); }
  // Index of the column called `name`, or -1.
  int Find(std::string_view name) const;
  // A block with the same names and types and no rows.
  Block EmptyLike() const;
  // Appends rows of `other` (same layout) in the order given.
  void AppendRows(const Block& other, const std::vector<uint32_t>& rows);
  void AppendRange(const Block& other, size_t begin, size_t end);
};

}  // namespace hedgerow::store
