#include "topics.h"

namespace hedgerow::server {

std::vector<log::TopicConfig> DefaultTopics() {
  return {
      {.name = "events_plugin_ingestion", .partitions = 8},
      {.name = "events_plugin_ingestion_overflow", .partitions = 8},
      {.name = "clickhouse_events_json", .partitions = 8},
      {.name = "clickhouse_person", .partitions = 4},
      {.name = "clickhouse_person_distinct_id", .partitions = 4},
      {.name = "clickhouse_groups", .partitions = 2},
      {.name = "clickhouse_ingestion_warnings", .partitions = 1},
      {.name = "dead_letter_queue", .partitions = 1},
      {.name = "session_recording_snapshot_item_events", .partitions = 4},
  };
}

}  // namespace hedgerow::server
