#pragma once

// RocksDB key layouts of the log. Big-endian integers keep numeric order in RocksDB's
// bytewise order, so one partition is one contiguous range sorted by offset.
//   records CF:  u32 topic_id | u32 partition | u64 base_offset      -> record batch
//   meta CF:     "t/" name                                            -> topic config
//                "s/" u32 topic_id | u32 partition                   -> log start offset
//                "b/" u32 topic_id | u32 partition                   -> stored bytes
//                "c/" topic NUL group NUL u32 partition              -> committed offset
//                "f/" topic NUL holder NUL u32 partition             -> retention floor
//                "next_topic_id"                                      -> u32

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/log/log.h"

namespace hedgerow::log::keys {

std::string Record(uint32_t topic_id, uint32_t partition, Offset base);
// The first key after every batch of the partition.
std::string RecordPartitionEnd(uint32_t topic_id, uint32_t partition);
bool IsRecordOf(std::string_view key, uint32_t topic_id, uint32_t partition);
Offset RecordBase(std::string_view key);  // key must be a record key

std::string Topic(std::string_view name);
constexpr std::string_view kTopicPrefix = "t/";
std::string LogStart(uint32_t topic_id, uint32_t partition);
std::string PartitionBytes(uint32_t topic_id, uint32_t partition);
std::string Commit(std::string_view topic, std::string_view group, uint32_t partition);
constexpr std::string_view kCommitPrefix = "c/";
std::string CommitTopicPrefix(std::string_view topic);
struct CommitKey {
  std::string topic;
  std::string group;
  uint32_t partition;
};
std::optional<CommitKey> ParseCommit(std::string_view key);
// Retention floors (Log::SetRetentionFloor), laid out as commits; `group` is the holder.
std::string Floor(std::string_view topic, std::string_view holder, uint32_t partition);
constexpr std::string_view kFloorPrefix = "f/";
std::string FloorTopicPrefix(std::string_view topic);
std::optional<CommitKey> ParseFloor(std::string_view key);
constexpr std::string_view kNextTopicId = "next_topic_id";

std::string EncodeU64(uint64_t v);
std::optional<uint64_t> DecodeU64(std::string_view v);

// Topic config as stored: "id partitions retention_ms retention_bytes hard_cap_bytes".
std::string EncodeTopic(uint32_t id, const TopicConfig& config);
Result<std::pair<uint32_t, TopicConfig>> DecodeTopic(std::string_view name, std::string_view value);

}  // namespace hedgerow::log::keys
