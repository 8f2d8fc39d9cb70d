#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hedgerow::log {

using Offset = uint64_t;

// One Kafka-style record: key, value, timestamp and headers. A plain value.
struct Record {
  std::string key;    // partitions the record (murmur2, as Kafka); empty = round robin
  std::string value;
  int64_t timestamp_ms = 0;  // 0: none; the log stamps it with its append time
  std::vector<std::pair<std::string, std::string>> headers;
};

// A record read back in place: its bytes belong to whatever decoded it (see FetchedViews).
struct RecordView {
  std::string_view key;
  std::string_view value;
  int64_t timestamp_ms = 0;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  // An owning copy.
  Record ToRecord() const;
};

// A record read back, with where it lives.
struct StoredRecord {
  uint32_t partition = 0;
  Offset offset = 0;
  Record record;
};

// A record to append to `topic`. `partition` -1 lets the log choose (Kafka's default
// partitioner); otherwise it must be below the topic's partition count.
struct OutgoingRecord {
  std::string topic;
  int32_t partition = -1;
  Record record;
};

// Records for one topic partition that a producer wrote in the batch payload form already
// (AppendToPayload in log/batch_codec.h), as it built them: the writer compresses the
// payload as it is instead of copying every record into a batch first.
struct EncodedRecords {
  std::string topic;
  uint32_t partition = 0;
  uint32_t count = 0;
  int64_t max_timestamp_ms = 0;  // of the records; 0 if some have none (log/batch_codec.h)
  uint64_t record_bytes = 0;  // their keys and values, for the metrics
  std::string payload;
};

// Where an appended record landed.
struct RecordPosition {
  uint32_t partition = 0;
  Offset offset = 0;
  friend bool operator==(const RecordPosition&, const RecordPosition&) = default;
};

// A consumer group's position: the next offset it will read, as Kafka commits it.
struct OffsetCommit {
  std::string group;
  std::string topic;
  uint32_t partition = 0;
  Offset next_offset = 0;
};

}  // namespace hedgerow::log
