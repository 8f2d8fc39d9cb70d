#include "topics.h"

namespace hedgerow::server {

namespace {
// Kafka's retention.bytes, per partition, besides the 7 days of age: what a small VM's disk
// can hold. Retention never passes what a consumer group or a retention floor still needs
// (the persons' persisted offset), so a stalled stage keeps its input whatever the size.
constexpr int64_t kRetentionBytesPerPartition = 1LL << 30;
}  // namespace

std::vector<log::TopicConfig> DefaultTopics() {
  std::vector<log::TopicConfig> topics = {
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
  for (log::TopicConfig& topic : topics) topic.retention_bytes = kRetentionBytesPerPartition;
  return topics;
}

}  // namespace hedgerow::server
