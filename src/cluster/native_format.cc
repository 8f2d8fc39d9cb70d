#include "native_format.h"

#include <cstring>

#include <fmt/format.h>

namespace hedgerow::cluster {
namespace {

using query::Column;
using query::DataType;
using query::TypeId;

// Values are read into columns sized by counts the data states: bounded by what is left of
// the data, so a malformed count cannot ask for more memory than the answer holds.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool done() const { return at_ == data_.size(); }
  size_t left() const { return data_.size() - at_; }

  Status VarUInt(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= data_.size()) return Truncated();
      uint8_t byte = static_cast<uint8_t>(data_[at_++]);
      value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return Status::Ok();
    }
    return Status::InvalidArgument("clickhouse: a malformed length in the Native answer");
  }
  Status String(std::string_view& out) {
    uint64_t size = 0;
    HEDGEROW_RETURN_IF_ERROR(VarUInt(size));
    if (size > left()) return Truncated();
    out = data_.substr(at_, size);
    at_ += size;
    return Status::Ok();
  }
  Status Bytes(size_t n, std::string_view& out) {
    if (n > left()) return Truncated();
    out = data_.substr(at_, n);
    at_ += n;
    return Status::Ok();
  }

 private:
  static Status Truncated() { return Status::InvalidArgument("clickhouse: the Native answer ends early"); }
  std::string_view data_;
  size_t at_ = 0;
};

// Appends `rows` values of `type` to `column` (a non-shared column of that type).
Status ReadColumn(Reader& in, const DataType& type, size_t rows, Column& column, int depth) {
  if (depth > 32) return Status::InvalidArgument("clickhouse: a type nests too deeply");
  column.rows += rows;
  switch (type.id) {
    case TypeId::kString: {
      for (size_t r = 0; r < rows; ++r) {
        std::string_view value;
        HEDGEROW_RETURN_IF_ERROR(in.String(value));
        column.chars.append(value);
        column.offsets.push_back(column.chars.size());
      }
      return Status::Ok();
    }
    case TypeId::kUuid: {
      // Two little-endian halves on the wire; the engine holds the 16 bytes in text order.
      std::string_view bytes;
      if (rows > in.left() / 16) return Status::InvalidArgument("clickhouse: the Native answer ends early");
      HEDGEROW_RETURN_IF_ERROR(in.Bytes(rows * 16, bytes));
      size_t at = column.fixed.size();
      column.fixed.resize(at + rows * 16);
      for (size_t r = 0; r < rows; ++r) {
        for (int i = 0; i < 8; ++i) {
          column.fixed[at + r * 16 + i] = static_cast<uint8_t>(bytes[r * 16 + 7 - i]);
          column.fixed[at + r * 16 + 8 + i] = static_cast<uint8_t>(bytes[r * 16 + 15 - i]);
        }
      }
      return Status::Ok();
    }
    case TypeId::kNullable: {
      std::string_view nulls;
      HEDGEROW_RETURN_IF_ERROR(in.Bytes(rows, nulls));
      column.nulls.insert(column.nulls.end(), nulls.begin(), nulls.end());
      auto& values = const_cast<Column&>(*column.nested[0]);
      return ReadColumn(in, *type.nested[0], rows, values, depth + 1);
    }
    case TypeId::kArray: {
      if (rows > in.left() / 8) return Status::InvalidArgument("clickhouse: the Native answer ends early");
      std::string_view raw;
      HEDGEROW_RETURN_IF_ERROR(in.Bytes(rows * 8, raw));
      auto& elements = const_cast<Column&>(*column.nested[0]);
      const uint64_t base = elements.rows;
      uint64_t previous = 0;
      for (size_t r = 0; r < rows; ++r) {
        uint64_t end;
        std::memcpy(&end, raw.data() + r * 8, 8);
        if (end < previous || end - previous > in.left()) {
          return Status::InvalidArgument("clickhouse: malformed array offsets in the Native answer");
        }
        previous = end;
        column.offsets.push_back(base + end);
      }
      return ReadColumn(in, *type.nested[0], previous, elements, depth + 1);
    }
    case TypeId::kTuple: {
      for (size_t i = 0; i < type.nested.size(); ++i) {
        HEDGEROW_RETURN_IF_ERROR(ReadColumn(in, *type.nested[i], rows, const_cast<Column&>(*column.nested[i]), depth + 1));
      }
      return Status::Ok();
    }
    case TypeId::kNothing:
      // Nullable(Nothing)'s values: one byte each on the wire.
      {
        std::string_view skipped;
        return in.Bytes(rows, skipped);
      }
    case TypeId::kInterval: return Status::InvalidArgument("clickhouse: an Interval column in the answer");
    default: {
      const size_t width = type.NumberSize() != 0 ? type.NumberSize()
                           : type.id == TypeId::kDate ? 2
                           : type.id == TypeId::kDateTime ? 4
                                                          : 8;
      if (rows > in.left() / width) return Status::InvalidArgument("clickhouse: the Native answer ends early");
      std::string_view bytes;
      HEDGEROW_RETURN_IF_ERROR(in.Bytes(rows * width, bytes));
      column.fixed.insert(column.fixed.end(), bytes.begin(), bytes.end());
      return Status::Ok();
    }
  }
}

}  // namespace

Result<query::QueryResult> ReadNative(std::string_view data, size_t max_rows) {
  query::QueryResult result;
  std::vector<std::shared_ptr<Column>> columns;
  std::vector<std::string> first_types;
  Reader in(data);
  while (!in.done()) {
    uint64_t column_count = 0, rows = 0;
    HEDGEROW_RETURN_IF_ERROR(in.VarUInt(column_count));
    HEDGEROW_RETURN_IF_ERROR(in.VarUInt(rows));
    if (column_count > in.left()) return Status::InvalidArgument("clickhouse: the Native answer ends early");
    if (!columns.empty() && column_count != columns.size()) {
      return Status::InvalidArgument("clickhouse: the Native answer's blocks differ in columns");
    }
    if (rows > max_rows || result.rows + rows > max_rows) {
      return Status::InvalidArgument(fmt::format("Limit for result exceeded, max rows: {}", max_rows));
    }
    for (size_t c = 0; c < column_count; ++c) {
      std::string_view name, type_name;
      HEDGEROW_RETURN_IF_ERROR(in.String(name));
      HEDGEROW_RETURN_IF_ERROR(in.String(type_name));
      if (columns.size() > c) {
        // Every block repeats the names and types of the first.
        if (name != result.names[c] || type_name != first_types[c]) {
          return Status::InvalidArgument("clickhouse: the Native answer's blocks differ in columns");
        }
      } else {
        Result<query::DataTypePtr> type = query::ParseDataType(type_name);
        // LowCardinality travels in its own dictionary layout: the query asks for plain columns.
        if (type.ok() && type_name.find("LowCardinality") != std::string_view::npos) {
          type = Status::InvalidArgument("LowCardinality");
        }
        if (!type.ok()) {
          return Status::InvalidArgument(fmt::format("clickhouse: the column {} has the type {}, which hedgerow cannot read yet",
                                                     name, type_name));
        }
        result.names.emplace_back(name);
        first_types.emplace_back(type_name);
        columns.push_back(query::MakeEmpty(*type));
      }
      HEDGEROW_RETURN_IF_ERROR(ReadColumn(in, *columns[c]->type, rows, *columns[c], 0));
    }
    result.rows += rows;
  }
  result.columns.assign(columns.begin(), columns.end());
  return result;
}

}  // namespace hedgerow::cluster
