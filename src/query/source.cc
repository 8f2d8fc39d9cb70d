#include "source.h"

#include <algorithm>

#include <fmt/format.h>

#include "chunk_ops.h"
#include "functions_impl.h"
#include "hedgerow/store/store.h"
#include "hedgerow/store/table.h"
#include "plan.h"

namespace hedgerow::query {
namespace {

constexpr uint64_t kNumbersPerChunk = 65536;

// A scanned block as a chunk: the buffers move, nothing is copied.
Chunk ToChunk(store::Block&& block) {
  Chunk chunk;
  chunk.rows = block.rows();
  for (size_t i = 0; i < block.columns.size(); ++i) {
    store::Column& in = block.columns[i];
    auto c = std::make_shared<Column>();
    c->type = QueryType(in.type());
    c->rows = in.size();
    c->fixed = std::move(in.fixed());
    c->offsets = std::move(in.offsets());
    c->chars = std::move(in.chars());
    chunk.names.push_back(std::move(block.names[i]));
    chunk.columns.push_back(std::move(c));
  }
  return chunk;
}

// The rows of one team: the key range bounds the scan to the granules that may hold them,
// and this drops the other teams' rows of the granules at the range's ends.
Chunk KeepTeam(Chunk chunk, int64_t team_id, bool drop_column) {
  int at = chunk.Find("team_id");
  std::vector<int64_t> teams = NumbersAs<int64_t>(*chunk.columns[static_cast<size_t>(at)], chunk.rows);
  std::vector<uint32_t> keep;
  keep.reserve(chunk.rows);
  for (size_t r = 0; r < chunk.rows; ++r) {
    if (teams[r] == team_id) keep.push_back(static_cast<uint32_t>(r));
  }
  if (keep.size() != chunk.rows) chunk = GatherChunk(chunk, keep);
  if (drop_column) {
    chunk.names.erase(chunk.names.begin() + at);
    chunk.columns.erase(chunk.columns.begin() + at);
  }
  return chunk;
}

Status ProduceTable(const Input& input, const std::vector<std::string>& columns, const ChunkSink& sink) {
  const store::TableSchema& schema = input.table->schema();
  store::ScanRequest request{.columns = columns, .final = input.final};
  request.time_min = input.time_min;
  request.time_max = input.time_max;
  request.key_in_column = input.key_in_column;
  request.key_in_values = input.key_in_values;
  const bool by_team = input.team_id && schema.Find("team_id") >= 0;
  const bool add_team = by_team && std::find(columns.begin(), columns.end(), "team_id") == columns.end();
  if (add_team) request.columns.push_back("team_id");
  if (by_team && !schema.order_by.empty() && schema.order_by[0].column == "team_id" &&
      schema.order_by[0].function == store::KeyFunction::kIdentity) {
    request.key_min = {store::KeyValue(*input.team_id)};
    request.key_max = {store::KeyValue(*input.team_id)};
    // (team_id, toDate(timestamp), ...): the time bounds narrow the range to their days,
    // when every part's rows have days a Date holds (1970 to 2149): the key of a row outside
    // wraps, and sorts where no day range would find it.
    constexpr int64_t kMicrosPerDay = 86'400'000'000;
    auto dates_hold = [&] {
      for (const auto& part : input.table->AllParts()) {
        if (part->meta().min_time < 0 || part->meta().max_time >= 65536 * kMicrosPerDay) return false;
      }
      return true;
    };
    if (schema.order_by.size() > 1 && schema.order_by[1].function == store::KeyFunction::kToDate && schema.partition_by &&
        schema.order_by[1].column == schema.partition_by->column && (input.time_min || input.time_max) && dates_hold()) {
      if (input.time_min && *input.time_min >= 0) request.key_min.push_back(store::KeyValue(uint64_t(*input.time_min / kMicrosPerDay)));
      if (input.time_max && *input.time_max >= 0) request.key_max.push_back(store::KeyValue(uint64_t(*input.time_max / kMicrosPerDay)));
    }
  }
  if (request.columns.empty()) request.columns.push_back(schema.columns[0].name);  // to count rows
  return input.table->Scan(request, [&](uint32_t, store::Block&& block) -> Status {
    Chunk chunk = ToChunk(std::move(block));
    if (by_team) chunk = KeepTeam(std::move(chunk), *input.team_id, add_team);
    if (chunk.rows == 0) return Status::Ok();
    if (columns.empty()) {  // only the row count was asked for
      chunk.names.clear();
      chunk.columns.clear();
    }
    return sink(std::move(chunk));
  });
}

std::shared_ptr<Column> StringColumn(const std::vector<std::string>& values) {
  auto c = MakeEmpty(MakeType(TypeId::kString));
  for (const std::string& v : values) {
    c->chars += v;
    c->offsets.push_back(c->chars.size());
  }
  c->rows = values.size();
  return c;
}

template <class T>
std::shared_ptr<Column> NumberValues(TypeId id, const std::vector<T>& values) {
  return std::const_pointer_cast<Column>(NumberColumn(MakeType(id), values));
}

Input TextTable(std::vector<std::string> names, const std::vector<std::vector<std::string>>& rows) {
  QueryResult result;
  result.names = std::move(names);
  result.rows = rows.size();
  for (size_t c = 0; c < result.names.size(); ++c) {
    std::vector<std::string> values;
    for (const auto& row : rows) values.push_back(row[c]);
    result.columns.push_back(StringColumn(values));
  }
  return ResultInput(std::move(result));
}

std::string KeyText(const store::KeyExpr& key) {
  switch (key.function) {
    case store::KeyFunction::kIdentity: return key.column;
    case store::KeyFunction::kToDate: return "toDate(" + key.column + ")";
    case store::KeyFunction::kCityHash64: return "cityHash64(" + key.column + ")";
    case store::KeyFunction::kToYYYYMM: return "toYYYYMM(" + key.column + ")";
  }
  return key.column;
}

Input Tables(const QueryContext& context) {
  std::vector<std::vector<std::string>> rows;
  if (context.store != nullptr) {
    for (const auto& table : context.store->tables()) {
      const store::TableSchema& s = table->schema();
      std::string order;
      for (const store::KeyExpr& k : s.order_by) order += (order.empty() ? "" : ", ") + KeyText(k);
      std::string engine = s.engine == store::Engine::kMergeTree ? "MergeTree" : "ReplacingMergeTree";
      rows.push_back({"default", s.name, engine, s.partition_by ? KeyText(*s.partition_by) : "", order, order});
    }
  }
  for (const char* name : {"columns", "databases", "numbers", "one", "parts", "tables"}) {
    rows.push_back({"system", name, "SystemTable", "", "", ""});
  }
  return TextTable({"database", "name", "engine", "partition_key", "sorting_key", "primary_key"}, rows);
}

Input Columns(const QueryContext& context) {
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> positions;
  if (context.store != nullptr) {
    for (const auto& table : context.store->tables()) {
      uint64_t position = 0;
      for (const store::ColumnDef& def : table->schema().columns) {
        rows.push_back({"default", table->schema().name, def.name, QueryType(def.type)->Name(), "", "", ""});
        positions.push_back(++position);
      }
    }
  }
  Input input = TextTable({"database", "table", "name", "type", "default_kind", "default_expression", "comment"}, rows);
  auto result = std::make_shared<QueryResult>(*input.rows);
  result->names.push_back("position");
  result->columns.push_back(NumberValues(TypeId::kUInt64, positions));
  return ResultInput(std::move(*result));
}

Input Parts(const QueryContext& context) {
  QueryResult result;
  std::vector<std::string> databases, tables, partitions, names;
  std::vector<uint32_t> shards, levels;
  std::vector<uint64_t> row_counts, bytes;
  if (context.store != nullptr) {
    for (const auto& table : context.store->tables()) {
      for (const auto& part : table->AllParts()) {
        const store::PartMeta& m = part->meta();
        databases.push_back("default");
        tables.push_back(m.table);
        shards.push_back(m.shard);
        partitions.push_back(m.partition);
        names.push_back(m.name.ToString());
        row_counts.push_back(m.rows);
        bytes.push_back(m.bytes_on_disk);
        levels.push_back(m.name.level);
      }
    }
  }
  result.names = {"database", "table", "shard", "partition", "name", "rows", "bytes_on_disk", "level", "active"};
  result.rows = names.size();
  result.columns = {StringColumn(databases), StringColumn(tables), NumberValues(TypeId::kUInt32, shards),
                    StringColumn(partitions), StringColumn(names), NumberValues(TypeId::kUInt64, row_counts),
                    NumberValues(TypeId::kUInt64, bytes), NumberValues(TypeId::kUInt32, levels),
                    NumberValues(TypeId::kUInt8, std::vector<uint8_t>(names.size(), 1))};
  return ResultInput(std::move(result));
}

Input NumbersInput(uint64_t first, uint64_t end) {
  Input input;
  input.names = {"number"};
  input.types = {MakeType(TypeId::kUInt64)};
  input.numbers = std::make_pair(first, end);
  return input;
}

}  // namespace

int Input::Find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Status Produce(const Input& input, const std::vector<std::string>& columns, const ChunkSink& sink) {
  Status s = Status::Ok();
  if (input.table != nullptr) {
    s = ProduceTable(input, columns, sink);
  } else if (input.numbers) {
    for (uint64_t at = input.numbers->first; at < input.numbers->second && s.ok();) {
      uint64_t n = std::min(kNumbersPerChunk, input.numbers->second - at);
      std::vector<uint64_t> values(n);
      for (uint64_t i = 0; i < n; ++i) values[i] = at + i;
      Chunk chunk;
      chunk.rows = n;
      if (!columns.empty()) {
        chunk.names = {"number"};
        chunk.columns = {NumberColumn(MakeType(TypeId::kUInt64), values)};
      }
      s = sink(std::move(chunk));
      at += n;
    }
  } else {
    Chunk chunk;
    chunk.rows = input.rows->rows;
    for (const std::string& name : columns) {
      int at = input.Find(name);
      if (at < 0) return Status::InvalidArgument(fmt::format("Missing columns: '{}'", name));
      chunk.names.push_back(name);
      chunk.columns.push_back(input.rows->columns[static_cast<size_t>(at)]);
    }
    if (chunk.rows > 0) s = sink(std::move(chunk));
  }
  if (!s.ok() && s.message() == kEnoughRows) return Status::Ok();
  return s;
}

Result<Chunk> Collect(const Input& input, const std::vector<std::string>& columns) {
  Chunk all;
  std::mutex mu;
  HEDGEROW_RETURN_IF_ERROR(Produce(input, columns, [&](Chunk&& chunk) {
    std::lock_guard<std::mutex> lock(mu);
    AppendChunk(all, chunk);
    return Status::Ok();
  }));
  if (all.columns.empty()) {
    all.names = columns;
    for (const std::string& name : columns) all.columns.push_back(MakeEmpty(input.types[static_cast<size_t>(input.Find(name))]));
  }
  return all;
}

Input TableInput(const store::Table& table, bool final, std::optional<int64_t> team_id) {
  Input input;
  for (const store::ColumnDef& def : table.schema().columns) {
    input.names.push_back(def.name);
    input.types.push_back(QueryType(def.type));
  }
  input.table = &table;
  input.final = final;
  input.team_id = team_id;
  return input;
}

Input ResultInput(QueryResult result) {
  Input input;
  input.names = result.names;
  for (const ColumnPtr& c : result.columns) input.types.push_back(c->type);
  input.rows = std::make_shared<const QueryResult>(std::move(result));
  return input;
}

Result<Input> SystemTable(const std::string& name, const QueryContext& context) {
  if (name == "one") {
    QueryResult one;
    one.names = {"dummy"};
    one.rows = 1;
    one.columns = {NumberValues(TypeId::kUInt8, std::vector<uint8_t>{0})};
    return ResultInput(std::move(one));
  }
  if (name == "numbers") return NumbersInput(0, UINT64_MAX);
  if (name == "databases") return TextTable({"name", "engine"}, {{"default", "Ordinary"}, {"system", "System"}});
  if (name == "tables") return Tables(context);
  if (name == "columns") return Columns(context);
  if (name == "parts") return Parts(context);
  return Status::NotFound(fmt::format("Table system.{} doesn't exist.", name));
}

Result<Input> TableFunction(const Expr& call) {
  if (call.name != "numbers") {
    return Status::InvalidArgument(fmt::format(
        "Table function {} is not allowed: queries are read-only and see this server's tables only", call.name));
  }
  std::vector<uint64_t> args;
  for (const ExprPtr& a : call.args) {
    if (a->kind != Expr::Kind::kLiteral || !(std::holds_alternative<uint64_t>(a->literal) || std::holds_alternative<int64_t>(a->literal))) {
      return Status::InvalidArgument("Table function numbers takes constant non-negative integers: numbers(n) or numbers(first, n)");
    }
    int64_t v = std::holds_alternative<uint64_t>(a->literal) ? static_cast<int64_t>(std::get<uint64_t>(a->literal))
                                                              : std::get<int64_t>(a->literal);
    if (v < 0) return Status::InvalidArgument("Table function numbers takes non-negative integers");
    args.push_back(static_cast<uint64_t>(v));
  }
  if (args.size() == 1) return NumbersInput(0, args[0]);
  if (args.size() == 2) return NumbersInput(args[0], args[0] + std::min(args[1], UINT64_MAX - args[0]));
  return WrongArgumentCount("numbers", args.size(), "1 or 2");
}

}  // namespace hedgerow::query
