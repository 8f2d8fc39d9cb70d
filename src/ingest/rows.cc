#include "rows.h"

#include <cstring>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"

namespace hedgerow::ingest {
void RowWriter::Key(std::string_view key) {
  // `,"key":` (`{"key":` first), written in place (within the row's reserve, usually).
  const size_t at = row_.size();
  row_.resize(at + key.size() + 4);
  char* d = row_.data() + at;
  d[0] = at == start_ ? '{' : ',';
  d[1] = '"';
  std::memcpy(d + 2, key.data(), key.size());
  d[key.size() + 2] = '"';
  d[key.size() + 3] = ':';
}

RowWriter& RowWriter::Str(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(row_, value);
  return *this;
}

RowWriter& RowWriter::Json(std::string_view key, const rapidjson::Value& value) {
  Key(key);
  row_ += '"';
  AppendJsonInString(row_, value);
  row_ += '"';
  return *this;
}

RowWriter& RowWriter::Literal(std::string_view key, std::string_view json_literal) {
  Key(key);
  row_ += json_literal;
  return *this;
}

RowWriter& RowWriter::Int(std::string_view key, int64_t value) {
  Key(key);
  row_ += fmt::format_int(value).c_str();
  return *this;
}

// Timestamps and uuids need no escaping: written as they are, without a string between.
RowWriter& RowWriter::Time(std::string_view key, int64_t micros) {
  Key(key);
  char text[kMaxDateTimeChars + 2];
  text[0] = '"';
  size_t n = FormatClickHouseDateTime64(micros, text + 1);
  text[n + 1] = '"';
  row_.append(text, n + 2);
  return *this;
}

RowWriter& RowWriter::Id(std::string_view key, const Uuid& id) {
  Key(key);
  char text[Uuid::kChars + 2];
  text[0] = '"';
  id.Format(text + 1);
  text[Uuid::kChars + 1] = '"';
  row_.append(text, sizeof text);
  return *this;
}

std::string RowWriter::Done() {
  row_ += '}';
  return std::move(own_);
}

void RowWriter::End() { row_ += '}'; }

OutputRow PersonRow(const persons::Person& p, bool is_deleted) {
  std::string properties;
  properties.reserve(2 * p.properties.size() + 18);  // what the escaper reserves: no regrowth
  AppendJsonString(properties, p.properties);
  return PersonRow(p, is_deleted, properties);
}

OutputRow PersonRow(const persons::Person& p, bool is_deleted, std::string_view properties_literal) {
  RowWriter row(kPersonRowBytes + properties_literal.size());
  WritePersonColumns(row, p, is_deleted, properties_literal);
  return {"clickhouse_person", p.uuid.ToString(), row.Done()};
}

void WritePersonColumns(RowWriter& row, const persons::Person& p, bool is_deleted, std::string_view properties_literal) {
  row.Id("id", p.uuid)  // the columns take ~165 bytes besides the properties
      .Time("created_at", p.created_at)
      .Int("team_id", p.team_id)
      .Literal("properties", properties_literal)
      .Int("is_identified", p.is_identified ? 1 : 0)
      .Int("is_deleted", is_deleted ? 1 : 0)
      .Int("version", p.version);
}

OutputRow DistinctIdRow(const persons::DistinctIdRow& row, const Uuid& person_uuid, bool is_deleted) {
  return {"clickhouse_person_distinct_id", row.distinct_id,
          RowWriter()
              .Int("team_id", row.team_id)
              .Str("distinct_id", row.distinct_id)
              .Id("person_id", person_uuid)
              .Int("is_deleted", is_deleted ? 1 : 0)
              .Int("version", row.version)
              .Done()};
}

OutputRow GroupRow(const persons::Group& g) {
  return {"clickhouse_groups", g.group_key,
          RowWriter(200 + g.properties.size() * 5 / 4)
              .Int("group_type_index", g.group_type_index)
              .Str("group_key", g.group_key)
              .Time("created_at", g.created_at)
              .Int("team_id", g.team_id)
              .Str("group_properties", g.properties)
              .Int("version", g.version)
              .Done()};
}

OutputRow Build(PendingRow&& row) {
  struct Builder {
    OutputRow operator()(OutputRow&& r) const { return std::move(r); }
    OutputRow operator()(PersonRowOf&& r) const { return PersonRow(*r.person, r.is_deleted); }
    OutputRow operator()(DistinctIdRowOf&& r) const { return DistinctIdRow(r.row, r.person_uuid); }
    OutputRow operator()(GroupRowOf&& r) const { return GroupRow(r.group); }
  };
  return std::visit(Builder{}, std::move(row));
}

OutputRow WarningRow(int64_t team_id, std::string_view type, std::string_view details_json, int64_t timestamp) {
  return {"clickhouse_ingestion_warnings", std::to_string(team_id),
          RowWriter()
              .Int("team_id", team_id)
              .Str("source", "plugin-server")
              .Str("type", type)
              .Str("details", details_json)
              .Time("timestamp", timestamp)
              .Done()};
}

OutputRow DeadLetterRow(int64_t team_id, std::string_view raw_message, std::string_view stage, std::string_view error,
                        int64_t now) {
  return {"dead_letter_queue", std::to_string(team_id),
          RowWriter()
              .Int("team_id", team_id)
              .Str("raw_payload", raw_message)
              .Str("error_location", stage)
              .Str("error", error)
              .Time("error_timestamp", now)
              .Done()};
}

}  // namespace hedgerow::ingest
