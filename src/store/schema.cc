#include "hedgerow/store/schema.h"

#include "hedgerow/common/hash.h"

namespace hedgerow::store {
namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

// Days since 1970-01-01 of a UTC microsecond timestamp.
int64_t DayOf(int64_t micros) {
  int64_t day = micros / kMicrosPerDay;
  return micros % kMicrosPerDay < 0 ? day - 1 : day;
}

// Howard Hinnant's civil_from_days: year*100+month of a day number.
uint32_t YearMonthOfDay(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return static_cast<uint32_t>(y * 100 + m);
}

// Microseconds of a DateTime or DateTime64 value.
int64_t MicrosAt(const Column& c, size_t row) {
  return c.type() == Type::kDateTime ? int64_t{c.Get<uint32_t>(row)} * 1000000 : c.Get<int64_t>(row);
}

ColumnDef Col(std::string name, Type type, bool zstd = false) { return {std::move(name), type, zstd}; }

std::vector<TableSchema> BuildTables() {
  std::vector<TableSchema> tables;
  TableSchema events{.name = "events",
                     .columns = {Col("uuid", Type::kUuid), Col("event", Type::kString),
                                 Col("properties", Type::kString, true), Col("timestamp", Type::kDateTime64),
                                 Col("team_id", Type::kInt64), Col("distinct_id", Type::kString),
                                 Col("elements_chain", Type::kString, true), Col("created_at", Type::kDateTime64),
                                 Col("person_id", Type::kUuid), Col("person_properties", Type::kString, true),
                                 Col("person_created_at", Type::kDateTime64), Col("person_mode", Type::kString),
                                 Col("$group_0", Type::kString), Col("$group_1", Type::kString),
                                 Col("$group_2", Type::kString), Col("$group_3", Type::kString),
                                 Col("$group_4", Type::kString), Col("_timestamp", Type::kDateTime),
                                 Col("_offset", Type::kUInt64)},
                     .engine = Engine::kReplacingMergeTree,
                     .version_column = "_timestamp",
                     .partition_by = KeyExpr{KeyFunction::kToYYYYMM, "timestamp"},
                     .order_by = {{KeyFunction::kIdentity, "team_id"},
                                  {KeyFunction::kToDate, "timestamp"},
                                  {KeyFunction::kIdentity, "event"},
                                  {KeyFunction::kCityHash64, "distinct_id"},
                                  {KeyFunction::kCityHash64, "uuid"}},
                     .topic = "clickhouse_events_json",
                     .sharded = true,
                     .shard_column = "distinct_id"};
  tables.push_back(std::move(events));
  tables.push_back({.name = "person",
                    .columns = {Col("id", Type::kUuid), Col("created_at", Type::kDateTime64),
                                Col("team_id", Type::kInt64), Col("properties", Type::kString, true),
                                Col("is_identified", Type::kUInt8), Col("is_deleted", Type::kUInt8),
                                Col("version", Type::kUInt64)},
                    .engine = Engine::kReplacingMergeTree,
                    .version_column = "version",
                    .order_by = {{KeyFunction::kIdentity, "team_id"}, {KeyFunction::kIdentity, "id"}},
                    .topic = "clickhouse_person"});
  tables.push_back({.name = "person_distinct_id2",
                    .columns = {Col("team_id", Type::kInt64), Col("distinct_id", Type::kString),
                                Col("person_id", Type::kUuid), Col("is_deleted", Type::kUInt8),
                                Col("version", Type::kInt64)},
                    .engine = Engine::kReplacingMergeTree,
                    .version_column = "version",
                    .order_by = {{KeyFunction::kIdentity, "team_id"}, {KeyFunction::kIdentity, "distinct_id"}},
                    .topic = "clickhouse_person_distinct_id"});
  tables.push_back({.name = "groups",
                    .columns = {Col("group_type_index", Type::kUInt8), Col("group_key", Type::kString),
                                Col("created_at", Type::kDateTime64), Col("team_id", Type::kInt64),
                                Col("group_properties", Type::kString, true), Col("version", Type::kInt64)},
                    .engine = Engine::kReplacingMergeTree,
                    .version_column = "version",
                    .order_by = {{KeyFunction::kIdentity, "team_id"},
                                 {KeyFunction::kIdentity, "group_type_index"},
                                 {KeyFunction::kIdentity, "group_key"}},
                    .topic = "clickhouse_groups"});
  tables.push_back({.name = "ingestion_warnings",
                    .columns = {Col("team_id", Type::kInt64), Col("source", Type::kString),
                                Col("type", Type::kString), Col("details", Type::kString, true),
                                Col("timestamp", Type::kDateTime64)},
                    .partition_by = KeyExpr{KeyFunction::kToYYYYMM, "timestamp"},
                    .order_by = {{KeyFunction::kIdentity, "team_id"},
                                 {KeyFunction::kIdentity, "type"},
                                 {KeyFunction::kIdentity, "timestamp"}},
                    .topic = "clickhouse_ingestion_warnings"});
  tables.push_back({.name = "dead_letter_queue",
                    .columns = {Col("team_id", Type::kInt64), Col("raw_payload", Type::kString, true),
                                Col("error_location", Type::kString), Col("error", Type::kString),
                                Col("error_timestamp", Type::kDateTime64)},
                    .partition_by = KeyExpr{KeyFunction::kToYYYYMM, "error_timestamp"},
                    .order_by = {{KeyFunction::kIdentity, "team_id"}, {KeyFunction::kIdentity, "error_timestamp"}},
                    .topic = "dead_letter_queue"});
  return tables;
}

template <class T>
int Compare3(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

int CompareCells(const Column& x, size_t a, const Column& y, size_t b) {
  switch (x.type()) {
    case Type::kUInt8: return Compare3(x.Get<uint8_t>(a), y.Get<uint8_t>(b));
    case Type::kUInt16:
    case Type::kDate: return Compare3(x.Get<uint16_t>(a), y.Get<uint16_t>(b));
    case Type::kUInt32:
    case Type::kDateTime: return Compare3(x.Get<uint32_t>(a), y.Get<uint32_t>(b));
    case Type::kUInt64: return Compare3(x.Get<uint64_t>(a), y.Get<uint64_t>(b));
    case Type::kInt64:
    case Type::kDateTime64: return Compare3(x.Get<int64_t>(a), y.Get<int64_t>(b));
    case Type::kFloat64: return Compare3(x.Get<double>(a), y.Get<double>(b));
    case Type::kString: {
      int r = x.StringAt(a).compare(y.StringAt(b));
      return (r > 0) - (r < 0);
    }
    case Type::kUuid: {
      // ClickHouse orders UUIDs by their two little-endian UInt64 halves; we keep the text
      // order (big-endian bytes), which is the same for v7 ids and stable for the rest.
      int r = std::memcmp(x.FixedAt(a), y.FixedAt(b), 16);
      return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
  }
  return 0;
}

int CompareCellToValue(const Column& c, size_t row, const KeyValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (c.type() == Type::kUuid) {
      int r = std::memcmp(c.FixedAt(row), s->data(), std::min<size_t>(16, s->size()));
      return r < 0 ? -1 : (r > 0 ? 1 : 0);
    }
    std::string_view cell = c.type() == Type::kString ? c.StringAt(row) : std::string_view();
    int r = cell.compare(*s);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  }
  if (c.type() == Type::kFloat64) {
    double d = std::visit([](const auto& x) -> double {
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) return 0;
      else return static_cast<double>(x);
    }, v);
    return Compare3(c.Get<double>(row), d);
  }
  // Integers compare in 128 bits so that signed and unsigned mix correctly.
  __int128 cell = 0;
  switch (c.type()) {
    case Type::kUInt8: cell = c.Get<uint8_t>(row); break;
    case Type::kUInt16:
    case Type::kDate: cell = c.Get<uint16_t>(row); break;
    case Type::kUInt32:
    case Type::kDateTime: cell = c.Get<uint32_t>(row); break;
    case Type::kUInt64: cell = c.Get<uint64_t>(row); break;
    default: cell = c.Get<int64_t>(row); break;
  }
  __int128 value = std::holds_alternative<uint64_t>(v)  ? __int128(std::get<uint64_t>(v))
                   : std::holds_alternative<int64_t>(v) ? __int128(std::get<int64_t>(v))
                                                         : __int128(std::get<double>(v));
  return Compare3(cell, value);
}

int TableSchema::Find(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return static_cast<int>(i);
  }
  return -1;
}

Block TableSchema::EmptyBlock() const {
  Block b;
  for (const ColumnDef& c : columns) {
    b.names.push_back(c.name);
    b.columns.emplace_back(c.type);
  }
  return b;
}

const std::vector<TableSchema>& PostHogTables() {
  static const std::vector<TableSchema> tables = BuildTables();
  return tables;
}

const TableSchema* FindPostHogTable(std::string_view name) {
  for (const TableSchema& t : PostHogTables()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Type KeyResultType(KeyFunction function, Type input) {
  switch (function) {
    case KeyFunction::kIdentity: return input;
    case KeyFunction::kToDate: return Type::kDate;
    case KeyFunction::kCityHash64: return Type::kUInt64;
    case KeyFunction::kToYYYYMM: return Type::kUInt32;
  }
  return input;
}

Block EvaluateKey(const TableSchema& schema, const Block& block) {
  Block key;
  size_t rows = block.rows();
  for (const KeyExpr& expr : schema.order_by) {
    const Column& in = block.columns[block.Find(expr.column)];
    key.names.push_back(expr.column);
    if (expr.function == KeyFunction::kIdentity) {
      key.columns.push_back(in);
      continue;
    }
    Column out(KeyResultType(expr.function, in.type()));
    out.Reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (expr.function == KeyFunction::kToDate) {
        out.Push<uint16_t>(static_cast<uint16_t>(DayOf(MicrosAt(in, r))));
      } else if (expr.function == KeyFunction::kCityHash64) {
        // cityHash64 of a UUID hashes its 16 bytes, as ClickHouse does for FixedString-like values.
        std::string_view bytes = in.type() == Type::kString
                                     ? in.StringAt(r)
                                     : std::string_view(reinterpret_cast<const char*>(in.FixedAt(r)), 16);
        out.Push<uint64_t>(CityHash64(bytes));
      } else {
        out.Push<uint32_t>(YearMonthOfDay(DayOf(MicrosAt(in, r))));
      }
    }
    key.columns.push_back(std::move(out));
  }
  return key;
}

std::optional<std::vector<uint32_t>> EvaluatePartition(const TableSchema& schema, const Block& block) {
  if (!schema.partition_by) return std::nullopt;
  const Column& in = block.columns[block.Find(schema.partition_by->column)];
  std::vector<uint32_t> out(block.rows());
  for (size_t r = 0; r < out.size(); ++r) out[r] = YearMonthOfDay(DayOf(MicrosAt(in, r)));
  return out;
}

std::optional<uint32_t> PartitionOfRow(const TableSchema& schema, const Block& block, size_t row) {
  if (!schema.partition_by) return std::nullopt;
  return YearMonthOfDay(DayOf(MicrosAt(block.columns[block.Find(schema.partition_by->column)], row)));
}

int CompareKeyRows(const Block& x, size_t a, const Block& y, size_t b, size_t prefix) {
  for (size_t c = 0; c < prefix; ++c) {
    int r = CompareCells(x.columns[c], a, y.columns[c], b);
    if (r != 0) return r;
  }
  return 0;
}

int CompareKeyToValues(const Block& key, size_t row, const std::vector<KeyValue>& values) {
  for (size_t c = 0; c < values.size() && c < key.columns.size(); ++c) {
    int r = CompareCellToValue(key.columns[c], row, values[c]);
    if (r != 0) return r;
  }
  return 0;
}

}  // namespace hedgerow::store
