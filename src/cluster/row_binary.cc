#include "row_binary.h"

#include <bit>
#include <cstring>
#include <limits>

namespace hedgerow::cluster {
namespace {

template <class T>
void AppendLittleEndian(std::string& out, T value) {
  static_assert(std::endian::native == std::endian::little, "RowBinary is little-endian, as this host");
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void AppendVarUInt(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

uint32_t SecondsOf(int64_t micros) {
  int64_t seconds = micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0);
  if (seconds < 0) return 0;
  if (seconds > std::numeric_limits<uint32_t>::max()) return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(seconds);
}

void AppendCell(const store::Column& c, size_t row, bool datetime64, std::string& out) {
  using store::Type;
  switch (c.type()) {
    case Type::kUInt8: out += static_cast<char>(c.Get<uint8_t>(row)); break;
    case Type::kUInt16:
    case Type::kDate: AppendLittleEndian(out, c.Get<uint16_t>(row)); break;
    case Type::kUInt32:
    case Type::kDateTime: AppendLittleEndian(out, c.Get<uint32_t>(row)); break;
    case Type::kUInt64: AppendLittleEndian(out, c.Get<uint64_t>(row)); break;
    case Type::kInt64: AppendLittleEndian(out, c.Get<int64_t>(row)); break;
    case Type::kFloat64: AppendLittleEndian(out, c.Get<double>(row)); break;
    case Type::kDateTime64:
      if (datetime64) {
        AppendLittleEndian(out, c.Get<int64_t>(row));
      } else {
        AppendLittleEndian(out, SecondsOf(c.Get<int64_t>(row)));
      }
      break;
    case Type::kString: {
      std::string_view s = c.StringAt(row);
      AppendVarUInt(out, s.size());
      out.append(s);
      break;
    }
    case Type::kUuid: {
      // ClickHouse holds a UUID as two little-endian UInt64 halves; we hold its 16 bytes in
      // text order (big-endian), so each half goes reversed.
      const uint8_t* bytes = c.FixedAt(row);
      for (int i = 7; i >= 0; --i) out += static_cast<char>(bytes[i]);
      for (int i = 15; i >= 8; --i) out += static_cast<char>(bytes[i]);
      break;
    }
  }
}

}  // namespace

void AppendRowBinary(const store::Block& block, const ServerVersion& version, std::string& out) {
  const bool datetime64 = version.datetime64();
  const size_t rows = block.rows();
  for (size_t r = 0; r < rows; ++r) {
    for (const store::Column& c : block.columns) AppendCell(c, r, datetime64, out);
  }
}

}  // namespace hedgerow::cluster
