#include "hedgerow/store/json_rows.h"

#include "hedgerow/common/clock.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include <charconv>
#include <map>
#include <cmath>

#include "hedgerow/common/json.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::store {
namespace {

bool Digits(std::string_view s, size_t at, size_t n, int& out) {
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// A JSON value as the integer a column wants: numbers, or strings holding one.
bool IntegerOf(const rapidjson::Value& v, int64_t& out) {
  if (v.IsInt64()) {
    out = v.GetInt64();
    return true;
  }
  if (v.IsUint64()) {
    out = static_cast<int64_t>(v.GetUint64());
    return true;
  }
  if (v.IsBool()) {
    out = v.GetBool() ? 1 : 0;
    return true;
  }
  if (v.IsDouble()) {
    out = static_cast<int64_t>(v.GetDouble());
    return std::isfinite(v.GetDouble());
  }
  if (v.IsString()) {
    const char* s = v.GetString();
    auto [end, ec] = std::from_chars(s, s + v.GetStringLength(), out);
    return ec == std::errc() && end == s + v.GetStringLength();
  }
  return false;
}

Status BadValue(const std::string& column, std::string_view type) {
  return Status::InvalidArgument("column " + column + ": value is not a valid " + std::string(type));
}

}  // namespace

bool ParseClickHouseDateTime(std::string_view s, int64_t& micros) {
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' ||
      !Digits(s, 0, 4, y) || !Digits(s, 5, 2, mo) || !Digits(s, 8, 2, d) || !Digits(s, 11, 2, h) ||
      !Digits(s, 14, 2, mi) || !Digits(s, 17, 2, se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      se > 60) {
    return false;
  }
  int64_t fraction = 0;
  size_t at = 19;
  if (at < s.size() && s[at] == '.') {
    int64_t scale = 100000;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at) {
      if (scale > 0) fraction += (s[at] - '0') * scale;
      scale /= 10;
    }
  }
  if (at < s.size() && s[at] == 'Z') ++at;
  if (at != s.size()) return false;
  micros = ((DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 24 + h) * 60 + mi) * 60 + se;
  micros = micros * 1000000 + fraction;
  return true;
}

JsonRowDecoder::JsonRowDecoder(const TableSchema& schema) : schema_(schema), block_(schema.EmptyBlock()) {
  for (size_t i = 0; i < schema.columns.size(); ++i) index_[schema.columns[i].name] = static_cast<int>(i);
  timestamp_column_ = schema.Find("_timestamp");
  offset_column_ = schema.Find("_offset");
}

Block JsonRowDecoder::Take() {
  Block out = std::move(block_);
  block_ = schema_.EmptyBlock();
  partitions_.clear();
  return out;
}

Status JsonRowDecoder::Add(std::string& json, int64_t record_timestamp_ms, uint64_t record_offset) {
  // rapidjson's SIMD scanning loads aligned 16-byte blocks, which may reach past the NUL:
  // the buffer must own those bytes (capture and ingest pad their copies the same way).
  constexpr size_t kSimdPadding = 16;
  if (json.capacity() < json.size() + kSimdPadding) json.reserve(json.size() + kSimdPadding);
  rapidjson::Document doc;
  // Iterative: a row from any producer may nest as deep as it likes without recursing here.
  doc.ParseInsitu<rapidjson::kParseIterativeFlag>(json.data());
  if (doc.HasParseError() || !doc.IsObject()) return Status::InvalidArgument("row is not a JSON object");
  // Convert every value first and push only when the whole row is good, so that a bad
  // row leaves the block's columns of equal length.
  const size_t n = schema_.columns.size();
  values_.assign(n, nullptr);
  for (const auto& member : doc.GetObject()) {
    auto it = index_.find(std::string_view(member.name.GetString(), member.name.GetStringLength()));
    if (it != index_.end()) values_[it->second] = &member.value;
  }
  auto value_of = [this](size_t c) { return static_cast<const rapidjson::Value*>(values_[c]); };
  std::vector<Cell>& cells = cells_;
  cells.assign(n, Cell{});
  for (size_t c = 0; c < n; ++c) {
    const rapidjson::Value* v = value_of(c);
    if (v == nullptr || v->IsNull()) continue;
    const ColumnDef& def = schema_.columns[c];
    Cell& cell = cells[c];
    switch (def.type) {
      case Type::kString:
        if (!v->IsString()) return BadValue(def.name, "String");
        break;
      case Type::kUuid:
        cell.uuid = v->IsString() ? Uuid::Parse(std::string_view(v->GetString(), v->GetStringLength())) : std::nullopt;
        if (!cell.uuid) return BadValue(def.name, "UUID");
        break;
      case Type::kFloat64:
        if (!v->IsNumber()) return BadValue(def.name, "Float64");
        cell.real = v->GetDouble();
        break;
      case Type::kDateTime:
      case Type::kDateTime64:
      case Type::kDate:
        if (v->IsString()) {
          std::string_view text(v->GetString(), v->GetStringLength());
          if (!ParseClickHouseDateTime(text, cell.integer)) {
            if (def.type != Type::kDate || !ParseClickHouseDateTime(std::string(text) + " 00:00:00", cell.integer)) {
              return BadValue(def.name, TypeName(def.type));
            }
          }
        } else if (IntegerOf(*v, cell.integer)) {
          cell.integer *= 1000000;  // a number is seconds since the epoch, as in ClickHouse
        } else {
          return BadValue(def.name, TypeName(def.type));
        }
        break;
      default:
        if (!IntegerOf(*v, cell.integer)) return BadValue(def.name, TypeName(def.type));
        break;
    }
  }
  for (size_t c = 0; c < n; ++c) {
    Column& col = block_.columns[c];
    const rapidjson::Value* v = value_of(c);
    const Cell& cell = cells[c];
    bool present = v != nullptr && !v->IsNull();
    if (!present && static_cast<int>(c) == timestamp_column_) {
      col.Push<uint32_t>(static_cast<uint32_t>(record_timestamp_ms / 1000));
      continue;
    }
    if (!present && static_cast<int>(c) == offset_column_) {
      col.Push<uint64_t>(record_offset);
      continue;
    }
    if (!present) {
      col.PushDefault();
      continue;
    }
    switch (col.type()) {
      case Type::kString: col.PushString(std::string_view(v->GetString(), v->GetStringLength())); break;
      case Type::kUuid: col.PushFixed(cell.uuid->bytes.data()); break;
      case Type::kFloat64: col.Push<double>(cell.real); break;
      case Type::kUInt8: col.Push<uint8_t>(static_cast<uint8_t>(cell.integer)); break;
      case Type::kUInt16: col.Push<uint16_t>(static_cast<uint16_t>(cell.integer)); break;
      case Type::kUInt32: col.Push<uint32_t>(static_cast<uint32_t>(cell.integer)); break;
      case Type::kUInt64:
      case Type::kInt64: col.Push<int64_t>(cell.integer); break;
      case Type::kDateTime: col.Push<uint32_t>(static_cast<uint32_t>(cell.integer / 1000000)); break;
      case Type::kDateTime64: col.Push<int64_t>(cell.integer); break;
      case Type::kDate: col.Push<uint16_t>(static_cast<uint16_t>(cell.integer / (86400LL * 1000000))); break;
    }
  }
  if (std::optional<uint32_t> partition = PartitionOfRow(schema_, block_, block_.rows() - 1)) partitions_.insert(*partition);
  return Status::Ok();
}

log::OutgoingRecord DeadLetterRecord(std::string_view payload, std::string_view location, std::string_view error) {
  std::string row = R"({"team_id":0,"raw_payload":)";
  AppendJsonString(row, payload);
  row += R"(,"error_location":)";
  AppendJsonString(row, location);
  row += R"(,"error":)";
  AppendJsonString(row, error);
  row += R"(,"error_timestamp":")" + FormatClickHouseDateTime64(NowMicros()) + R"("})";
  log::OutgoingRecord record{.topic = "dead_letter_queue"};
  record.record.key = "0";
  record.record.value = std::move(row);
  return record;
}

std::vector<log::OutgoingRecord> DeadLettersFromLog(log::Log& log, const std::string& topic, uint32_t partition,
                                                    const std::vector<std::pair<uint64_t, std::string>>& bad,
                                                    std::string_view location) {
  std::vector<log::OutgoingRecord> letters;
  if (bad.empty()) return letters;
  std::map<uint64_t, std::string> raw;
  const uint64_t first = bad.front().first, last = bad.back().first;
  if (auto again = log.Fetch(topic, partition, first, last - first + 1, SIZE_MAX); again.ok()) {
    for (log::StoredRecord& r : again->records) raw[r.offset] = std::move(r.record.value);
  }
  for (const auto& [offset, error] : bad) {
    auto it = raw.find(offset);
    std::string payload = it != raw.end() ? std::move(it->second)
                                          : fmt::format("(record {}:{}:{} could not be read again)", topic, partition, offset);
    letters.push_back(DeadLetterRecord(payload, location, error));
  }
  return letters;
}

}  // namespace hedgerow::store
