#include "hedgerow/log/batch_codec.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace hedgerow::log {
namespace {

constexpr uint8_t kFormat = 2;
constexpr uint8_t kFormatWithoutAppendTime = 1;
constexpr size_t kFormat1HeaderSize = kBatchHeaderSize - 8;
// LZ4's speed/ratio knob. Rows of a batch repeat their keys and values so much that a
// faster scan hardly loses: on ingest_bench's rows 1 -> 12.0% of raw size, 3 -> 12.1%,
// 6 -> 12.4%, 8 -> 14.0%; 3 takes ~30% fewer instructions than 1, 6 no fewer than 3.
constexpr int kLz4Acceleration = 3;
// A batch is one group commit of one partition; anything bigger is damage, not data.
constexpr uint32_t kMaxRawSize = 256u << 20;

template <typename T>
void PutFixed(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

constexpr size_t kMaxVarintBytes = 10;  // a uint64_t, 7 bits a byte

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void PutBytes(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

// Bounds-checked reader over a byte string.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Fixed(T& v) {
    if (data_.size() < sizeof(T)) return false;
    std::memcpy(&v, data_.data(), sizeof(T));
    data_.remove_prefix(sizeof(T));
    return true;
  }
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (data_.empty()) return false;
      auto byte = static_cast<uint8_t>(data_[0]);
      data_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(std::string_view& out) {
    uint64_t n;
    if (!Varint(n) || n > data_.size()) return false;
    out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool empty() const { return data_.empty(); }

 private:
  std::string_view data_;
};

Status Corrupt(std::string_view what) {
  return Status::Corruption(fmt::format("log: corrupt record batch: {}", what));
}

// Whether some record of a payload has no timestamp (0). One it cannot walk counts as
// having one: its batch is then kept longer by retention, never shorter.
bool HasUnstamped(std::string_view payload) {
  Reader r(payload);
  while (!r.empty()) {
    int64_t ts = 0;
    std::string_view skipped;
    uint64_t headers = 0;
    if (!r.Fixed(ts) || ts == 0 || !r.Bytes(skipped) || !r.Bytes(skipped) || !r.Varint(headers)) return true;
    for (uint64_t i = 0; i < headers; ++i) {
      if (!r.Bytes(skipped) || !r.Bytes(skipped)) return true;
    }
  }
  return false;
}

// The header, and where the payload begins: format 1 headers lack the append time.
Result<BatchHeader> DecodeHeader(std::string_view value, size_t& header_size) {
  header_size = !value.empty() && static_cast<uint8_t>(value[0]) == kFormatWithoutAppendTime ? kFormat1HeaderSize
                                                                                             : kBatchHeaderSize;
  if (value.size() < header_size) return Corrupt(fmt::format("{} bytes is shorter than a header", value.size()));
  Reader r(value);
  uint8_t format = 0, codec = 0;
  BatchHeader h;
  (void)r.Fixed(format);
  (void)r.Fixed(codec);
  (void)r.Fixed(h.record_count);
  (void)r.Fixed(h.max_timestamp_ms);
  (void)r.Fixed(h.raw_size);
  if (format == kFormat) (void)r.Fixed(h.append_time_ms);
  if (format != kFormat && format != kFormatWithoutAppendTime) return Corrupt(fmt::format("unknown format {}", format));
  if (codec > static_cast<uint8_t>(Codec::kZstd)) return Corrupt(fmt::format("unknown codec {}", codec));
  if (h.raw_size > kMaxRawSize) return Corrupt(fmt::format("raw size {} is implausible", h.raw_size));
  h.codec = static_cast<Codec>(codec);
  return h;
}

}  // namespace

void AppendToPayload(std::string& payload, int64_t timestamp_ms, std::string_view key, std::string_view value,
                     std::span<const std::pair<std::string, std::string>> headers) {
  PutFixed<int64_t>(payload, timestamp_ms);
  PutBytes(payload, key);
  PutBytes(payload, value);
  PutVarint(payload, headers.size());
  for (const auto& [k, v] : headers) {
    PutBytes(payload, k);
    PutBytes(payload, v);
  }
}

constexpr size_t kPaddedLengthBytes = 5;

size_t BeginPayloadRecord(std::string& payload, int64_t timestamp_ms, std::string_view key) {
  PutFixed<int64_t>(payload, timestamp_ms);
  PutBytes(payload, key);
  const size_t length_at = payload.size();
  payload.append(kPaddedLengthBytes, '\0');
  return length_at;
}

size_t EndPayloadRecord(std::string& payload, size_t length_at) {
  const size_t value_bytes = payload.size() - length_at - kPaddedLengthBytes;
  uint64_t n = value_bytes;
  char* d = payload.data() + length_at;
  for (size_t i = 0; i + 1 < kPaddedLengthBytes; ++i, n >>= 7) d[i] = static_cast<char>((n & 0x7f) | 0x80);
  d[kPaddedLengthBytes - 1] = static_cast<char>(n & 0x7f);
  PutVarint(payload, 0);  // no headers
  return value_bytes;
}

std::string_view BatchEncoder::Encode(std::span<const Record* const> records, Codec codec, int64_t append_time_ms) {
  size_t raw_size = 0;
  for (const Record* r : records) {
    raw_size += sizeof(int64_t) + 2 * kMaxVarintBytes + r->key.size() + r->value.size() + kMaxVarintBytes;
    for (const auto& [k, v] : r->headers) raw_size += 2 * kMaxVarintBytes + k.size() + v.size();
  }
  raw_.clear();
  raw_.reserve(raw_size);
  int64_t max_ts = 0;
  bool unstamped = false;
  for (const Record* r : records) {
    max_ts = std::max(max_ts, r->timestamp_ms);
    unstamped = unstamped || r->timestamp_ms == 0;
    AppendToPayload(raw_, r->timestamp_ms, r->key, r->value, r->headers);
  }
  if (unstamped) max_ts = std::max(max_ts, append_time_ms);
  return Finish(raw_, static_cast<uint32_t>(records.size()), max_ts, append_time_ms, codec);
}

std::string_view BatchEncoder::Compress(std::string_view payload, uint32_t record_count, int64_t max_ts,
                                        int64_t append_time_ms, Codec codec) {
  // The pipeline's payloads all come without timestamps, and say so with max_ts 0: only a
  // mixed payload that the append time would change is read to know.
  if (append_time_ms > max_ts && (max_ts == 0 || HasUnstamped(payload))) max_ts = append_time_ms;
  return Finish(payload, record_count, max_ts, append_time_ms, codec);
}

std::string_view BatchEncoder::Finish(std::string_view raw, uint32_t record_count, int64_t max_ts,
                                      int64_t append_time_ms, Codec codec) {
  // The header, then the payload compressed straight behind it.
  size_t bound = raw.size();
  if (codec == Codec::kLz4) bound = std::max<size_t>(bound, LZ4_compressBound(static_cast<int>(raw.size())));
  if (codec == Codec::kZstd) bound = std::max(bound, ZSTD_compressBound(raw.size()));
  if (out_.size() < kBatchHeaderSize + bound) out_.resize(kBatchHeaderSize + bound);
  char* payload = out_.data() + kBatchHeaderSize;
  auto header = [&](Codec used) {
    char* h = out_.data();
    h[0] = static_cast<char>(kFormat);
    h[1] = static_cast<char>(used);
    auto size = static_cast<uint32_t>(raw.size());
    std::memcpy(h + 2, &record_count, 4);
    std::memcpy(h + 6, &max_ts, 8);
    std::memcpy(h + 14, &size, 4);
    std::memcpy(h + 18, &append_time_ms, 8);
  };
  size_t compressed = 0;
  if (codec == Codec::kLz4) {
    int n = LZ4_compress_fast(raw.data(), payload, static_cast<int>(raw.size()), static_cast<int>(bound), kLz4Acceleration);
    compressed = n > 0 ? static_cast<size_t>(n) : 0;
  } else if (codec == Codec::kZstd) {
    size_t n = ZSTD_compress(payload, bound, raw.data(), raw.size(), 1);
    compressed = ZSTD_isError(n) ? 0 : n;
  }
  if (compressed > 0 && compressed < raw.size()) {
    header(codec);
    return std::string_view(out_.data(), kBatchHeaderSize + compressed);
  }
  header(Codec::kNone);  // stored: compression did not pay
  std::memcpy(payload, raw.data(), raw.size());
  return std::string_view(out_.data(), kBatchHeaderSize + raw.size());
}

Result<BatchHeader> DecodeBatchHeader(std::string_view value) {
  size_t header_size = 0;
  return DecodeHeader(value, header_size);
}

Result<std::vector<RecordView>> DecodeBatchViews(std::string_view value, std::unique_ptr<char[]>& raw) {
  size_t header_size = 0;
  HEDGEROW_ASSIGN_OR_RETURN(BatchHeader h, DecodeHeader(value, header_size));
  std::string_view payload = value.substr(header_size);
  if (h.codec == Codec::kNone && payload.size() != h.raw_size) return Corrupt("payload size differs from the header");
  raw = std::make_unique_for_overwrite<char[]>(h.raw_size);  // not zero-filled: every byte is written
  if (h.codec == Codec::kNone) {
    std::memcpy(raw.get(), payload.data(), payload.size());
  } else if (h.codec == Codec::kLz4) {
    int n = LZ4_decompress_safe(payload.data(), raw.get(), static_cast<int>(payload.size()),
                                static_cast<int>(h.raw_size));
    if (n < 0 || static_cast<uint32_t>(n) != h.raw_size) return Corrupt("lz4 payload does not decompress");
  } else {
    size_t n = ZSTD_decompress(raw.get(), h.raw_size, payload.data(), payload.size());
    if (ZSTD_isError(n) || n != h.raw_size) return Corrupt("zstd payload does not decompress");
  }
  payload = std::string_view(raw.get(), h.raw_size);
  // Each record takes at least 11 bytes, which bounds the count before allocating.
  if (h.record_count > payload.size() / 11 + 1) return Corrupt("record count exceeds the payload");
  std::vector<RecordView> records(h.record_count);
  Reader r(payload);
  for (uint32_t i = 0; i < h.record_count; ++i) {
    RecordView& rec = records[i];
    uint64_t header_count = 0;
    if (!r.Fixed(rec.timestamp_ms) || !r.Bytes(rec.key) || !r.Bytes(rec.value) || !r.Varint(header_count)) {
      return Corrupt(fmt::format("record {} is truncated", i));
    }
    if (rec.timestamp_ms == 0) rec.timestamp_ms = h.append_time_ms;
    if (header_count > payload.size()) return Corrupt(fmt::format("record {} has too many headers", i));
    for (uint64_t j = 0; j < header_count; ++j) {
      std::string_view k, v;
      if (!r.Bytes(k) || !r.Bytes(v)) return Corrupt(fmt::format("record {} header {} is truncated", i, j));
      rec.headers.emplace_back(k, v);
    }
  }
  if (!r.empty()) return Corrupt("trailing bytes after the last record");
  return records;
}

Result<std::vector<Record>> DecodeBatch(std::string_view value) {
  std::unique_ptr<char[]> payload;
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<RecordView> views, DecodeBatchViews(value, payload));
  std::vector<Record> records;
  records.reserve(views.size());
  for (const RecordView& v : views) records.push_back(v.ToRecord());
  return records;
}

Record RecordView::ToRecord() const {
  Record r{std::string(key), std::string(value), timestamp_ms, {}};
  r.headers.reserve(headers.size());
  for (const auto& [k, v] : headers) r.headers.emplace_back(k, v);
  return r;
}

}  // namespace hedgerow::log
