#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hedgerow/ingest/event_processor.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

// The JSON rows of the clickhouse_* topics (ingestion.md §6). Timestamps are
// "YYYY-MM-DD HH:MM:SS.ffffff" UTC, as ClickHouse's JSONEachRow input takes them.

// Writes one flat JSON object straight into a string: most of a row is JSON-in-a-string
// columns (properties), which AppendJsonString escapes in one pass. Keys are plain ASCII.
class RowWriter {
 public:
  explicit RowWriter(size_t reserve = 256) : row_(own_) { own_.reserve(reserve); }
  // Appends the row to `out` (a log payload, where RowSink::BeginRow says) instead; End()
  // closes it.
  RowWriter(std::string& out, size_t reserve) : row_(out), start_(out.size()) { out.reserve(out.size() + reserve); }
  RowWriter(const RowWriter&) = delete;
  RowWriter& operator=(const RowWriter&) = delete;
  RowWriter& Str(std::string_view key, std::string_view value);
  RowWriter& Int(std::string_view key, int64_t value);
  RowWriter& Time(std::string_view key, int64_t micros);
  RowWriter& Id(std::string_view key, const Uuid& id);
  // A JSON-in-a-string column written straight from the document.
  RowWriter& Json(std::string_view key, const rapidjson::Value& value);
  // A string column whose JSON literal (quotes included, as AppendJsonString writes it) the
  // caller has already: written as it is.
  RowWriter& Literal(std::string_view key, std::string_view json_literal);
  std::string Done();  // the row, written to a string of its own
  void End();  // the row, written to the caller's

 private:
  void Key(std::string_view key);  // a plain name: not escaped
  std::string own_;
  std::string& row_;  // own_, or the caller's
  const size_t start_ = 0;  // where the row begins in row_
};

OutputRow PersonRow(const persons::Person& person, bool is_deleted);
// The same, with the JSON literal of the person's properties already written (the events
// row of the same event needs it too).
OutputRow PersonRow(const persons::Person& person, bool is_deleted, std::string_view properties_literal);
// Its columns, written by `row` (then ended by the caller).
void WritePersonColumns(RowWriter& row, const persons::Person& person, bool is_deleted, std::string_view properties_literal);
// The person row's size, besides its properties' literal: reserved so that it does not regrow.
constexpr size_t kPersonRowBytes = 192;
OutputRow DistinctIdRow(const persons::DistinctIdRow& row, const Uuid& person_uuid, bool is_deleted = false);
OutputRow GroupRow(const persons::Group& group);

// A row decided inside the persons transaction and written outside it: the state it shows
// is a copy, and its JSON (mostly escaping properties) is built after the lock is released.
struct PersonRowOf {
  // nullopt: the person of the event that made the row, as the event leaves it. Each event
  // changes its person at most once, last, so that row shows what its events row shows: no
  // copy (the events row is written from the same state, and its properties escaped once).
  std::optional<persons::Person> person;
  bool is_deleted = false;
};
struct DistinctIdRowOf {
  persons::DistinctIdRow row;
  Uuid person_uuid;
};
struct GroupRowOf {
  persons::Group group;
};
using PendingRow = std::variant<OutputRow, PersonRowOf, DistinctIdRowOf, GroupRowOf>;
// An event's rows besides its events row (a reused state keeps the vector's capacity).
using PendingRows = std::vector<PendingRow>;
OutputRow Build(PendingRow&& row);
OutputRow WarningRow(int64_t team_id, std::string_view type, std::string_view details_json, int64_t timestamp);
// A message no step could turn into rows: kept whole with the stage that gave up on it
// ("ingest:<stage>", the error_location column) and why.
OutputRow DeadLetterRow(int64_t team_id, std::string_view raw_message, std::string_view stage, std::string_view error,
                        int64_t now);

}  // namespace hedgerow::ingest
