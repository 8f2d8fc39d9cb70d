#include "rows.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "hedgerow/common/clock.h"

namespace hedgerow::ingest {
namespace {

class RowWriter {
 public:
  RowWriter() : writer_(buffer_) { writer_.StartObject(); }
  RowWriter& Str(const char* key, std::string_view v) {
    writer_.Key(key);
    writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  RowWriter& Int(const char* key, int64_t v) {
    writer_.Key(key);
    writer_.Int64(v);
    return *this;
  }
  RowWriter& Time(const char* key, int64_t micros) { return Str(key, FormatClickHouseDateTime64(micros)); }
  std::string Done() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace

OutputRow PersonRow(const persons::Person& p, bool is_deleted) {
  std::string id = p.uuid.ToString();
  return {"clickhouse_person", id,
          RowWriter()
              .Str("id", id)
              .Time("created_at", p.created_at)
              .Int("team_id", p.team_id)
              .Str("properties", p.properties)
              .Int("is_identified", p.is_identified ? 1 : 0)
              .Int("is_deleted", is_deleted ? 1 : 0)
              .Int("version", p.version)
              .Done()};
}

OutputRow DistinctIdRow(const persons::DistinctIdRow& row, const Uuid& person_uuid) {
  return {"clickhouse_person_distinct_id", row.distinct_id,
          RowWriter()
              .Int("team_id", row.team_id)
              .Str("distinct_id", row.distinct_id)
              .Str("person_id", person_uuid.ToString())
              .Int("is_deleted", 0)
              .Int("version", row.version)
              .Done()};
}

OutputRow GroupRow(const persons::Group& g) {
  return {"clickhouse_groups", g.group_key,
          RowWriter()
              .Int("group_type_index", g.group_type_index)
              .Str("group_key", g.group_key)
              .Time("created_at", g.created_at)
              .Int("team_id", g.team_id)
              .Str("group_properties", g.properties)
              .Int("version", g.version)
              .Done()};
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

OutputRow DeadLetterRow(int64_t team_id, std::string_view raw_message, std::string_view error, int64_t now) {
  return {"dead_letter_queue", std::to_string(team_id),
          RowWriter()
              .Int("team_id", team_id)
              .Str("raw_payload", raw_message)
              .Str("error_location", "plugin_server_ingest_event")
              .Str("error", error)
              .Time("error_timestamp", now)
              .Done()};
}

}  // namespace hedgerow::ingest
