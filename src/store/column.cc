#include "hedgerow/store/column.h"

#include <array>

namespace hedgerow::store {
namespace {

struct TypeInfo {
  Type type;
  std::string_view name;
  size_t width;
};

constexpr std::array<TypeInfo, 11> kTypes{{
    {Type::kUInt8, "UInt8", 1},
    {Type::kUInt16, "UInt16", 2},
    {Type::kUInt32, "UInt32", 4},
    {Type::kUInt64, "UInt64", 8},
    {Type::kInt64, "Int64", 8},
    {Type::kFloat64, "Float64", 8},
    {Type::kString, "String", 0},
    {Type::kUuid, "UUID", 16},
    {Type::kDateTime, "DateTime", 4},
    {Type::kDateTime64, "DateTime64(6, 'UTC')", 8},
    {Type::kDate, "Date", 2},
}};

}  // namespace

size_t FixedWidth(Type type) { return kTypes[static_cast<size_t>(type)].width; }

std::string_view TypeName(Type type) { return kTypes[static_cast<size_t>(type)].name; }

Result<Type> ParseTypeName(std::string_view name) {
  for (const TypeInfo& info : kTypes) {
    if (info.name == name) return info.type;
  }
  return Status::InvalidArgument("unknown column type '" + std::string(name) + "'");
}

void Column::PushDefault() {
  if (type_ == Type::kString) {
    offsets_.push_back(chars_.size());
  } else {
    fixed_.resize(fixed_.size() + FixedWidth(type_), 0);
  }
}

void Column::Reserve(size_t rows, size_t chars) {
  if (type_ == Type::kString) {
    offsets_.reserve(rows);
    chars_.reserve(chars);
  } else {
    fixed_.reserve(rows * FixedWidth(type_));
  }
}

int Block::Find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Block Block::EmptyLike() const {
  Block out;
  out.names = names;
  for (const Column& c : columns) out.columns.emplace_back(c.type());
  return out;
}

void Block::AppendRows(const Block& other, const std::vector<uint32_t>& rows) {
  for (size_t c = 0; c < columns.size(); ++c) {
    Column& to = columns[c];
    const Column& from = other.columns[c];
    to.Reserve(to.size() + rows.size());
    if (from.type() == Type::kString) {
      for (uint32_t r : rows) to.PushString(from.StringAt(r));
    } else {
      size_t width = FixedWidth(from.type());
      std::vector<uint8_t>& out = to.fixed();
      size_t at = out.size();
      out.resize(at + rows.size() * width);
      for (uint32_t r : rows) {
        std::memcpy(out.data() + at, from.FixedAt(r), width);
        at += width;
      }
    }
  }
}

void Column::AppendRangeFrom(const Column& from, size_t begin, size_t end) {
  if (from.type() == Type::kString) {
    uint64_t first = begin == 0 ? 0 : from.offsets()[begin - 1];
    uint64_t last = end == 0 ? 0 : from.offsets()[end - 1];
    uint64_t base = chars_.size();
    chars_.append(from.chars(), first, last - first);
    for (size_t r = begin; r < end; ++r) offsets_.push_back(base + from.offsets()[r] - first);
  } else {
    size_t width = FixedWidth(from.type());
    fixed_.insert(fixed_.end(), from.fixed().begin() + begin * width, from.fixed().begin() + end * width);
  }
}

void Block::AppendRange(const Block& other, size_t begin, size_t end) {
  for (size_t c = 0; c < columns.size(); ++c) columns[c].AppendRangeFrom(other.columns[c], begin, end);
}

}  // namespace hedgerow::store
