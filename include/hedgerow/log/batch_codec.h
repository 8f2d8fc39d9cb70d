#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/log/record.h"

namespace hedgerow::log {

// On-disk form of a record batch: the consecutive records of one partition written by one
// group commit, stored as one RocksDB value under the batch's base offset (like a Kafka
// record batch). Layout, all integers little-endian:
//   u8 format (2) | u8 codec | u32 record_count | i64 max_timestamp_ms | u32 raw_size |
//   i64 append_time_ms | payload
// where payload is `raw_size` bytes of records, compressed with `codec` unless it is kNone:
//   per record: i64 timestamp_ms | varint key_len | key | varint value_len | value |
//               varint header_count | (varint len | name | varint len | value)*
// A record whose timestamp_ms is 0 has no time of its own: it reads back with the batch's
// append_time_ms, when the log wrote it (Kafka's LogAppendTime, a producer's default), and
// max_timestamp_ms (what retention by age looks at) counts that time. Stamping the header
// costs nothing per record, even for payloads producers encoded themselves.
// Format 1 (written before append times) lacks append_time_ms: its records keep 0.
enum class Codec : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

struct BatchHeader {
  Codec codec = Codec::kNone;
  uint32_t record_count = 0;
  int64_t max_timestamp_ms = 0;
  uint32_t raw_size = 0;
  int64_t append_time_ms = 0;  // 0 in format 1
};

constexpr size_t kBatchHeaderSize = 1 + 1 + 4 + 8 + 4 + 8;  // format 2, as written

// Encodes batches into buffers it keeps from one batch to the next: a log writer encodes
// megabytes per group, and fresh buffers would cost an allocation, page faults and zero
// filling every time. Not thread-safe.
class BatchEncoder {
 public:
  // `records` with `codec`, falling back to kNone when compression does not help, appended
  // at `append_time_ms` (ms since the epoch). The view is valid until the next call.
  std::string_view Encode(std::span<const Record* const> records, Codec codec, int64_t append_time_ms);
  // The same for records already in payload form (AppendToPayload), whose largest timestamp
  // is `max_timestamp_ms`; 0 says some have none (without reading the payload to check).
  std::string_view Compress(std::string_view payload, uint32_t record_count, int64_t max_timestamp_ms,
                            int64_t append_time_ms, Codec codec);

 private:
  std::string_view Finish(std::string_view payload, uint32_t record_count, int64_t max_timestamp_ms,
                          int64_t append_time_ms, Codec codec);

  std::string raw_;  // the records, uncompressed
  std::string out_;  // header and payload; only ever grows, so resizing never zero-fills twice
};

// Appends one record to `payload` in the form above (a batch's records, uncompressed).
void AppendToPayload(std::string& payload, int64_t timestamp_ms, std::string_view key, std::string_view value,
                     std::span<const std::pair<std::string, std::string>> headers = {});

// The same for a record whose value the caller writes straight into `payload`, with no
// string of its own: BeginPayloadRecord writes the timestamp and key and leaves room for the
// value's length; the caller appends the value; EndPayloadRecord(payload, the position Begin
// returned) writes the length, in a fixed five bytes (varints may be padded: readers take
// them), and the record's empty headers; it returns the value's size. Values under 32 GiB.
size_t BeginPayloadRecord(std::string& payload, int64_t timestamp_ms, std::string_view key);
size_t EndPayloadRecord(std::string& payload, size_t length_at);

// Reads only the fixed header (no decompression). kCorruption if too short or unknown.
Result<BatchHeader> DecodeBatchHeader(std::string_view value);

// Decodes every record, those without a timestamp stamped with the batch's append time.
// kCorruption, naming what is wrong, for any malformed input: this
// runs on bytes from disk and must never crash on them.
Result<std::vector<Record>> DecodeBatch(std::string_view value);
// The same, as views into `payload`, which receives the decoded payload (decompressed, or
// copied when stored uncompressed) and must outlive them.
Result<std::vector<RecordView>> DecodeBatchViews(std::string_view value, std::unique_ptr<char[]>& payload);

}  // namespace hedgerow::log
