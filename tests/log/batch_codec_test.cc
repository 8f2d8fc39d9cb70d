#include "hedgerow/log/batch_codec.h"

#include <catch2/catch.hpp>

#include <memory>
#include <random>

using namespace hedgerow;
using namespace hedgerow::log;

namespace {

std::vector<Record> SampleRecords(size_t n) {
  std::vector<Record> out;
  for (size_t i = 0; i < n; ++i) {
    Record r;
    r.key = "phc_test:user_" + std::to_string(i % 7);
    r.value = R"({"event":"$pageview","properties":{"$current_url":"https://example.com/)" + std::to_string(i) + "\"}}";
    r.timestamp_ms = 1700000000000 + static_cast<int64_t>(i);
    if (i % 3 == 0) r.headers = {{"token", "phc_test"}, {"empty", ""}};
    out.push_back(r);
  }
  return out;
}

constexpr int64_t kAppendTime = 1800000000000;

std::string Encode(const std::vector<Record>& records, Codec codec, int64_t append_time_ms = kAppendTime) {
  std::vector<const Record*> ptrs;
  for (const auto& r : records) ptrs.push_back(&r);
  BatchEncoder encoder;
  return std::string(encoder.Encode(ptrs, codec, append_time_ms));
}

bool Same(const Record& a, const Record& b) {
  return a.key == b.key && a.value == b.value && a.timestamp_ms == b.timestamp_ms && a.headers == b.headers;
}

}  // namespace

TEST_CASE("batches round-trip with every codec", "[log]") {
  auto records = SampleRecords(200);
  for (Codec codec : {Codec::kNone, Codec::kLz4, Codec::kZstd}) {
    std::string value = Encode(records, codec);
    auto header = DecodeBatchHeader(value);
    REQUIRE(header.ok());
    CHECK(header->record_count == 200);
    CHECK(header->max_timestamp_ms == 1700000000199);  // every record has its own: the append time is not one
    CHECK(header->append_time_ms == kAppendTime);
    CHECK(header->codec == codec);
    auto decoded = DecodeBatch(value);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->size() == records.size());
    for (size_t i = 0; i < records.size(); ++i) CHECK(Same((*decoded)[i], records[i]));
  }
}

TEST_CASE("views decode the same records, pointing into the payload they are given", "[log]") {
  auto records = SampleRecords(50);
  for (Codec codec : {Codec::kNone, Codec::kLz4, Codec::kZstd}) {
    std::string value = Encode(records, codec);
    std::unique_ptr<char[]> payload;
    auto views = DecodeBatchViews(value, payload);
    REQUIRE(views.ok());
    REQUIRE(views->size() == records.size());
    const char* begin = payload.get();
    const char* end = begin + DecodeBatchHeader(value)->raw_size;
    auto inside = [&](std::string_view v) { return v.empty() || (v.data() >= begin && v.data() + v.size() <= end); };
    value.assign(value.size(), '\0');  // the views must not point into the stored value
    for (size_t i = 0; i < records.size(); ++i) {
      const RecordView& v = (*views)[i];
      CHECK(Same(v.ToRecord(), records[i]));
      CHECK(inside(v.key));
      CHECK(inside(v.value));
      for (const auto& [k, h] : v.headers) CHECK((inside(k) && inside(h)));
    }
  }
}

TEST_CASE("records whose values were written in place decode as appended ones", "[log]") {
  // Values of every size around the varint boundaries: a padded length reads the same.
  std::vector<size_t> sizes = {0, 1, 127, 128, 300, 16383, 16384, 70000};
  std::string in_place, appended;
  for (size_t n : sizes) {
    std::string value(n, 'v');
    if (n > 0) value[n - 1] = 'z';
    size_t length_at = BeginPayloadRecord(in_place, 42, "key" + std::to_string(n));
    in_place += value;
    EndPayloadRecord(in_place, length_at);
    AppendToPayload(appended, 42, "key" + std::to_string(n), value);
  }
  size_t padding = 0;  // a length takes five bytes in place, its varint's minimum appended
  for (size_t n : sizes) {
    size_t bytes = 1;
    for (size_t v = n; v >= 128; v >>= 7) ++bytes;
    padding += 5 - bytes;
  }
  CHECK(in_place.size() == appended.size() + padding);
  for (Codec codec : {Codec::kNone, Codec::kLz4}) {
    BatchEncoder encoder;
    std::string value(encoder.Compress(in_place, static_cast<uint32_t>(sizes.size()), 42, kAppendTime, codec));
    auto decoded = DecodeBatch(value);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->size() == sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) {
      const Record& r = (*decoded)[i];
      CHECK(r.key == "key" + std::to_string(sizes[i]));
      CHECK(r.value.size() == sizes[i]);
      CHECK((sizes[i] == 0 || r.value.back() == 'z'));
      CHECK(r.timestamp_ms == 42);
      CHECK(r.headers.empty());
    }
  }
}

TEST_CASE("records without a timestamp read back with the batch's append time", "[log]") {
  auto records = SampleRecords(10);
  for (size_t i = 0; i < records.size(); i += 2) records[i].timestamp_ms = 0;
  for (Codec codec : {Codec::kNone, Codec::kLz4}) {
    std::string value = Encode(records, codec);
    CHECK(DecodeBatchHeader(value)->max_timestamp_ms == kAppendTime);  // later than every record's own
    auto decoded = DecodeBatch(value);
    REQUIRE(decoded.ok());
    for (size_t i = 0; i < records.size(); ++i) {
      CHECK((*decoded)[i].timestamp_ms == (i % 2 == 0 ? kAppendTime : records[i].timestamp_ms));
    }
    std::unique_ptr<char[]> payload;
    CHECK(DecodeBatchViews(value, payload)->at(0).timestamp_ms == kAppendTime);
  }
  // A record's own time later than the append time stays the batch's maximum.
  CHECK(DecodeBatchHeader(Encode(records, Codec::kNone, 1000))->max_timestamp_ms == 1700000000009);
}

TEST_CASE("payloads encoded by producers are stamped too, read only when a maximum leaves it open", "[log]") {
  std::string none, mixed, own;
  for (int i = 0; i < 3; ++i) {
    AppendToPayload(none, 0, "k", "v");
    size_t length_at = BeginPayloadRecord(mixed, i == 1 ? 0 : 1000 + i, "k");
    mixed += "value";
    EndPayloadRecord(mixed, length_at);
    AppendToPayload(own, 1000 + i, "k", "v", std::vector<std::pair<std::string, std::string>>{{"h", "x"}});
  }
  BatchEncoder encoder;
  auto stamped = [&](const std::string& payload, int64_t max_ts) {
    std::string value(encoder.Compress(payload, 3, max_ts, kAppendTime, Codec::kLz4));
    auto decoded = DecodeBatch(value);
    REQUIRE(decoded.ok());
    std::vector<int64_t> times;
    for (const Record& r : *decoded) times.push_back(r.timestamp_ms);
    return std::make_pair(DecodeBatchHeader(value)->max_timestamp_ms, times);
  };
  CHECK(stamped(none, 0) == std::make_pair(kAppendTime, std::vector<int64_t>{kAppendTime, kAppendTime, kAppendTime}));
  CHECK(stamped(mixed, 1002) == std::make_pair(kAppendTime, std::vector<int64_t>{1000, kAppendTime, 1002}));
  CHECK(stamped(own, 1002) == std::make_pair(int64_t{1002}, std::vector<int64_t>{1000, 1001, 1002}));
}

TEST_CASE("batches written before append times (format 1) still decode, keeping 0", "[log]") {
  std::vector<Record> records = SampleRecords(3);
  records[1].timestamp_ms = 0;
  std::string v2 = Encode(records, Codec::kNone);
  // Format 1: the same header without its last eight bytes (the append time).
  std::string v1 = v2.substr(0, kBatchHeaderSize - 8) + v2.substr(kBatchHeaderSize);
  v1[0] = 1;
  auto header = DecodeBatchHeader(v1);
  REQUIRE(header.ok());
  CHECK(header->append_time_ms == 0);
  auto decoded = DecodeBatch(v1);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->size() == 3);
  CHECK((*decoded)[0].timestamp_ms == records[0].timestamp_ms);
  CHECK((*decoded)[1].timestamp_ms == 0);
  CHECK((*decoded)[2].value == records[2].value);
}

TEST_CASE("compression that does not pay is skipped", "[log]") {
  Record r;
  r.value = "x";
  std::string value = Encode({r}, Codec::kLz4);
  CHECK(DecodeBatchHeader(value)->codec == Codec::kNone);
  CHECK(DecodeBatch(value)->at(0).value == "x");
  auto big = SampleRecords(100);
  CHECK(Encode(big, Codec::kLz4).size() < Encode(big, Codec::kNone).size() / 2);
}

TEST_CASE("decoding random, truncated and bit-flipped batches never crashes", "[log]") {
  std::mt19937 rng(7);
  auto records = SampleRecords(20);
  for (Codec codec : {Codec::kNone, Codec::kLz4, Codec::kZstd}) {
    std::string value = Encode(records, codec);
    for (size_t cut = 0; cut < value.size(); ++cut) {
      auto r = DecodeBatch(std::string_view(value).substr(0, cut));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == StatusCode::kCorruption);
      std::unique_ptr<char[]> payload;
      auto views = DecodeBatchViews(std::string_view(value).substr(0, cut), payload);
      REQUIRE_FALSE(views.ok());
      CHECK(views.status().code() == StatusCode::kCorruption);
    }
    for (int i = 0; i < 3000; ++i) {
      std::string flipped = value;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) flipped[rng() % flipped.size()] ^= static_cast<char>(1 << (rng() % 8));
      auto r = DecodeBatch(flipped);  // a flip inside a value may decode fine; it must not crash
      if (!r.ok()) CHECK(r.status().code() == StatusCode::kCorruption);
    }
  }
  for (int i = 0; i < 5000; ++i) {
    std::string random(rng() % 300, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    if (random.size() > 2 && i % 2 == 0) {
      random[0] = static_cast<char>(1 + rng() % 2);  // both formats
      random[1] = static_cast<char>(rng() % 3);
    }
    auto r = DecodeBatch(random);
    if (!r.ok()) CHECK(r.status().code() == StatusCode::kCorruption);
  }
}
