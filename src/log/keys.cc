#include "keys.h"

#include <cstring>
#include <sstream>

#include <fmt/format.h>

namespace hedgerow::log::keys {
namespace {

void PutBE32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out += static_cast<char>(v >> (8 * i));
}
void PutBE64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out += static_cast<char>(v >> (8 * i));
}
uint64_t GetBE(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | static_cast<uint8_t>(s[pos + i]);
  return v;
}

}  // namespace

std::string Record(uint32_t topic_id, uint32_t partition, Offset base) {
  std::string k;
  k.reserve(16);
  PutBE32(k, topic_id);
  PutBE32(k, partition);
  PutBE64(k, base);
  return k;
}

std::string RecordPartitionEnd(uint32_t topic_id, uint32_t partition) {
  std::string k;
  PutBE32(k, topic_id);
  PutBE32(k, partition + 1);  // partitions are below 2^31, so this never wraps
  return k;
}

bool IsRecordOf(std::string_view key, uint32_t topic_id, uint32_t partition) {
  return key.size() == 16 && GetBE(key, 0, 4) == topic_id && GetBE(key, 4, 4) == partition;
}

Offset RecordBase(std::string_view key) { return GetBE(key, 8, 8); }

std::string Topic(std::string_view name) { return std::string(kTopicPrefix) + std::string(name); }

std::string LogStart(uint32_t topic_id, uint32_t partition) {
  std::string k = "s/";
  PutBE32(k, topic_id);
  PutBE32(k, partition);
  return k;
}

std::string PartitionBytes(uint32_t topic_id, uint32_t partition) {
  std::string k = "b/";
  PutBE32(k, topic_id);
  PutBE32(k, partition);
  return k;
}

namespace {

// Commits and retention floors: prefix | topic NUL | group or holder NUL | u32 partition.
std::string TopicPrefix(std::string_view prefix, std::string_view topic) {
  std::string k(prefix);
  k += topic;
  k += '\0';
  return k;
}

std::string NamedOffset(std::string_view prefix, std::string_view topic, std::string_view name, uint32_t partition) {
  std::string k = TopicPrefix(prefix, topic);
  k += name;
  k += '\0';
  PutBE32(k, partition);
  return k;
}

std::optional<CommitKey> ParseNamedOffset(std::string_view prefix, std::string_view key) {
  if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
  key.remove_prefix(prefix.size());
  size_t a = key.find('\0');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = key.find('\0', a + 1);
  if (b == std::string_view::npos || key.size() != b + 5) return std::nullopt;
  return CommitKey{std::string(key.substr(0, a)), std::string(key.substr(a + 1, b - a - 1)),
                   static_cast<uint32_t>(GetBE(key, b + 1, 4))};
}

}  // namespace

std::string CommitTopicPrefix(std::string_view topic) { return TopicPrefix(kCommitPrefix, topic); }

std::string Commit(std::string_view topic, std::string_view group, uint32_t partition) {
  return NamedOffset(kCommitPrefix, topic, group, partition);
}

std::optional<CommitKey> ParseCommit(std::string_view key) { return ParseNamedOffset(kCommitPrefix, key); }

std::string FloorTopicPrefix(std::string_view topic) { return TopicPrefix(kFloorPrefix, topic); }

std::string Floor(std::string_view topic, std::string_view holder, uint32_t partition) {
  return NamedOffset(kFloorPrefix, topic, holder, partition);
}

std::optional<CommitKey> ParseFloor(std::string_view key) { return ParseNamedOffset(kFloorPrefix, key); }

std::string EncodeU64(uint64_t v) {
  std::string s;
  PutBE64(s, v);
  return s;
}

std::optional<uint64_t> DecodeU64(std::string_view v) {
  if (v.size() != 8) return std::nullopt;
  return GetBE(v, 0, 8);
}

std::string EncodeTopic(uint32_t id, const TopicConfig& c) {
  return fmt::format("{} {} {} {} {}", id, c.partitions, c.retention_ms, c.retention_bytes, c.hard_cap_bytes);
}

Result<std::pair<uint32_t, TopicConfig>> DecodeTopic(std::string_view name, std::string_view value) {
  std::istringstream in{std::string(value)};
  uint32_t id = 0;
  TopicConfig c;
  c.name = std::string(name);
  if (!(in >> id >> c.partitions >> c.retention_ms >> c.retention_bytes >> c.hard_cap_bytes) ||
      c.partitions == 0) {
    return Status::Corruption(fmt::format("log: topic \"{}\" has a malformed definition", name));
  }
  return std::make_pair(id, c);
}

}  // namespace hedgerow::log::keys
