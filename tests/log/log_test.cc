#include "hedgerow/log/log.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/hash.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using namespace hedgerow::log;
using hedgerow::testing::TempDir;

namespace {

std::unique_ptr<Log> OpenLog(const TempDir& dir, MetricsRegistry* metrics) {
  LogOptions options;
  options.dir = dir.File("log");
  auto log = Log::Open(options, metrics);
  REQUIRE(log.ok());
  return std::move(log).value();
}

OutgoingRecord Rec(const std::string& topic, const std::string& key, const std::string& value,
                   int64_t ts = 1700000000000) {
  OutgoingRecord r;
  r.topic = topic;
  r.record.key = key;
  r.record.value = value;
  r.record.timestamp_ms = ts;
  return r;
}

// Every record of a partition, from the log start.
std::vector<StoredRecord> ReadAll(Log& log, const std::string& topic, uint32_t partition) {
  std::vector<StoredRecord> out;
  auto parts = log.Partitions(topic);
  REQUIRE(parts.ok());
  Offset offset = (*parts)[partition].start;
  while (true) {
    auto batch = log.Fetch(topic, partition, offset, 1000, 1 << 20);
    REQUIRE(batch.ok());
    if (batch->records.empty()) return out;
    for (auto& r : batch->records) {
      REQUIRE(r.offset == offset);  // dense: each record is the next offset
      ++offset;
      out.push_back(std::move(r));
    }
  }
}

// Bytes that do not compress, so stored sizes track value sizes.
std::string Incompressible(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

}  // namespace

TEST_CASE("appended records come back at dense offsets in Kafka's partitions", "[log]") {
  TempDir dir;
  MetricsRegistry metrics;
  auto log = OpenLog(dir, &metrics);
  REQUIRE(log->CreateTopic({.name = "events", .partitions = 8}).ok());
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 50; ++i) records.push_back(Rec("events", "phc_test:user_" + std::to_string(i % 5), std::to_string(i)));
  auto positions = log->AppendAndWait(records);
  REQUIRE(positions.ok());
  REQUIRE(positions->size() == 50);
  std::map<uint32_t, Offset> next;
  for (int i = 0; i < 50; ++i) {
    const RecordPosition& pos = (*positions)[i];
    CHECK(pos.partition == KafkaPartition("phc_test:user_" + std::to_string(i % 5), 8));
    CHECK(pos.offset == next[pos.partition]++);
  }
  auto fetched = log->Fetch("events", (*positions)[0].partition, 0, 100, 1 << 20);
  REQUIRE(fetched.ok());
  CHECK(fetched->records[0].record.value == "0");
  CHECK(fetched->records[0].record.key == "phc_test:user_0");
  CHECK(fetched->records[0].record.timestamp_ms == 1700000000000);
  CHECK(fetched->high_watermark == next[(*positions)[0].partition]);
  CHECK(metrics.RenderPrometheus().find("hedgerow_log_appended_records_total{topic=\"events\"} 50") != std::string::npos);
}

TEST_CASE("records without a key are spread round robin; explicit partitions are kept", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 4}).ok());
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 8; ++i) records.push_back(Rec("t", "", std::to_string(i)));
  auto positions = log->AppendAndWait(records);
  REQUIRE(positions.ok());
  std::map<uint32_t, int> per_partition;
  for (auto& p : *positions) per_partition[p.partition]++;
  CHECK(per_partition.size() == 4);
  for (auto& [p, n] : per_partition) CHECK(n == 2);

  OutgoingRecord pinned = Rec("t", "any-key", "x");
  pinned.partition = 3;
  CHECK(log->AppendAndWait({pinned})->at(0).partition == 3);
  pinned.partition = 4;
  auto bad = log->AppendAndWait({pinned});
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  auto unknown = log->AppendAndWait({Rec("nope", "k", "v")});
  CHECK(unknown.status().code() == StatusCode::kNotFound);
}

TEST_CASE("concurrent appenders get dense offsets and keep their own order", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "events", .partitions = 4}).ok());
  constexpr int kThreads = 8;
  constexpr int kAppends = 300;
  std::vector<std::thread> threads;
  std::atomic<int> failed_appends{0};  // counted in the threads, checked here: Catch's assertions are not thread-safe
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int seq = 0;
      for (int a = 0; a < kAppends; ++a) {
        std::vector<OutgoingRecord> batch;
        int n = 1 + (a % 5);
        for (int k = 0; k < n; ++k) {
          batch.push_back(Rec("events", "thread-" + std::to_string(t), std::to_string(t) + ":" + std::to_string(seq++)));
        }
        if (!log->AppendAndWait(batch).ok()) ++failed_appends;
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(failed_appends == 0);
  size_t total = 0;
  std::map<int, int> last_seq;
  for (uint32_t p = 0; p < 4; ++p) {
    for (const StoredRecord& r : ReadAll(*log, "events", p)) {
      ++total;
      const std::string& v = r.record.value;
      int thread = std::stoi(v.substr(0, v.find(':')));
      int seq = std::stoi(v.substr(v.find(':') + 1));
      auto it = last_seq.find(thread);
      if (it != last_seq.end()) CHECK(seq == it->second + 1);  // one key, one partition, in order
      last_seq[thread] = seq;
    }
  }
  size_t expected = 0;
  for (int a = 0; a < kAppends; ++a) expected += 1 + (a % 5);
  CHECK(total == expected * kThreads);
}

TEST_CASE("a fetch at the end of a partition long-polls for new records", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1}).ok());
  auto empty = log->Fetch("t", 0, 0, 10, 1 << 20, std::chrono::milliseconds(20));
  REQUIRE(empty.ok());
  CHECK(empty->records.empty());
  auto waiting = std::async(std::launch::async, [&] {
    return log->Fetch("t", 0, 0, 10, 1 << 20, std::chrono::seconds(30));
  });
  REQUIRE(log->AppendAndWait({Rec("t", "", "hello")}).ok());
  REQUIRE(waiting.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto got = waiting.get();
  REQUIRE(got.ok());
  REQUIRE(got->records.size() == 1);
  CHECK(got->records[0].record.value == "hello");
}

TEST_CASE("a wait for records wakes on an append to any partition past the positions given", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 3}).ok());
  REQUIRE(log->AppendAndWait({{"t", 0, {"", "old", 0, {}}}}).ok());
  // Partition 0 has a record at offset 0: past position 0, not past position 1.
  CHECK(*log->WaitForRecords("t", {0, 0, 0}, std::chrono::milliseconds(0)));
  CHECK_FALSE(*log->WaitForRecords("t", {1, 0, 0}, std::chrono::milliseconds(20)));
  auto waiting = std::async(std::launch::async, [&] {
    return log->WaitForRecords("t", {1, 0, 0}, std::chrono::seconds(30));
  });
  REQUIRE(log->AppendAndWait({{"t", 2, {"", "new", 0, {}}}}).ok());
  REQUIRE(waiting.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto arrived = waiting.get();
  REQUIRE(arrived.ok());
  CHECK(*arrived);
  CHECK(log->WaitForRecords("t", {0, 0}, std::chrono::milliseconds(0)).status().code() == StatusCode::kInvalidArgument);
  CHECK(log->WaitForRecords("none", {0}, std::chrono::milliseconds(0)).status().code() == StatusCode::kNotFound);
}

TEST_CASE("fetch limits by records and bytes but returns at least one record", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1}).ok());
  std::vector<OutgoingRecord> records;
  for (int i = 0; i < 10; ++i) records.push_back(Rec("t", "", std::string(100, 'a' + i)));
  REQUIRE(log->AppendAndWait(records).ok());
  CHECK(log->Fetch("t", 0, 0, 3, 1 << 20)->records.size() == 3);
  CHECK(log->Fetch("t", 0, 0, 100, 250)->records.size() == 3);
  CHECK(log->Fetch("t", 0, 0, 100, 1)->records.size() == 1);
  auto mid = log->Fetch("t", 0, 7, 100, 1 << 20);
  REQUIRE(mid->records.size() == 3);
  CHECK(mid->records[0].offset == 7);
  CHECK(mid->records[0].record.value == std::string(100, 'h'));
  CHECK(log->Fetch("t", 1, 0, 1, 1).status().code() == StatusCode::kNotFound);
}

TEST_CASE("fetched views are the records Fetch returns and outlive later appends", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1}).ok());
  for (int batch = 0; batch < 3; ++batch) {  // three stored batches
    std::vector<OutgoingRecord> records;
    for (int i = 0; i < 4; ++i) {
      std::string key(1, static_cast<char>('a' + i));
      records.push_back(Rec("t", key, Incompressible(50 + 10 * i, 4 * batch + i), 1700000000000 + i));
      if (i == 2) records.back().record.headers = {{"h", std::string(1, static_cast<char>('0' + batch))}};
    }
    REQUIRE(log->AppendAndWait(records).ok());
  }
  auto views = log->FetchViews("t", 0, 2, 7, 1 << 20);  // from inside the first batch into the third
  REQUIRE(views.ok());
  // More appends and another fetch meanwhile: the views own what they point into.
  REQUIRE(log->AppendAndWait({Rec("t", "later", "x")}).ok());
  auto copies = log->Fetch("t", 0, 2, 7, 1 << 20);
  REQUIRE(copies.ok());
  REQUIRE(views->records.size() == 7);
  REQUIRE(copies->records.size() == 7);
  CHECK(views->high_watermark == 12);
  for (size_t i = 0; i < 7; ++i) {
    const StoredRecordView& v = views->records[i];
    const StoredRecord& c = copies->records[i];
    CHECK(v.offset == 2 + i);
    CHECK(v.offset == c.offset);
    CHECK(v.record.key == c.record.key);
    CHECK(v.record.value == c.record.value);
    CHECK(v.record.timestamp_ms == c.record.timestamp_ms);
    CHECK(v.record.ToRecord().headers == c.record.headers);
  }
  CHECK(views->records[0].record.ToRecord().headers == std::vector<std::pair<std::string, std::string>>{{"h", "0"}});
}

TEST_CASE("records appended in payload form land in order with plain ones, with their commits", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 2}).ok());
  REQUIRE(log->CreateTopic({.name = "in", .partitions = 1}).ok());
  auto encoded = [](uint32_t partition, std::vector<std::string> values) {
    EncodedRecords e{.topic = "t", .partition = partition};
    for (const std::string& v : values) {
      AppendToPayload(e.payload, 1700000000000 + e.count, "k", v);
      e.max_timestamp_ms = 1700000000000 + e.count++;
      e.record_bytes += 1 + v.size();
    }
    return e;
  };
  auto plain = [](const std::string& v) {
    OutgoingRecord r = Rec("t", "k", v);
    r.partition = 0;
    return r;
  };
  // Two appends in flight together (one group, most likely): each one's plain records, then
  // its payloads; the second append's after the first's.
  std::promise<Result<std::vector<RecordPosition>>> first;
  log->Append({plain("a1")}, {encoded(0, {"a2", "a3"}), encoded(1, {"x1"})}, {},
              [&](Result<std::vector<RecordPosition>> r) { first.set_value(std::move(r)); });
  auto second = log->AppendAndWait({plain("b1")}, {});
  REQUIRE(first.get_future().get().ok());
  REQUIRE(second.ok());
  auto third = log->AppendAndWait({}, {});  // nothing: no batch
  REQUIRE(third.ok());
  std::promise<Result<std::vector<RecordPosition>>> fourth;
  log->Append({}, {encoded(0, {"c1", "c2"})}, {{"g", "in", 0, 7}},
              [&](Result<std::vector<RecordPosition>> r) { fourth.set_value(std::move(r)); });
  REQUIRE(fourth.get_future().get().ok());
  std::vector<std::string> values;
  for (const StoredRecord& r : ReadAll(*log, "t", 0)) values.push_back(r.record.value);
  CHECK(values == std::vector<std::string>{"a1", "a2", "a3", "b1", "c1", "c2"});
  auto other = ReadAll(*log, "t", 1);
  REQUIRE(other.size() == 1);
  CHECK(other[0].record.value == "x1");
  CHECK(other[0].record.timestamp_ms == 1700000000000);
  CHECK(log->Committed("g", "in", 0)->value() == 7);  // with the payload, atomically
  // A payload for a partition the topic lacks fails its whole append: nothing lands.
  std::promise<Result<std::vector<RecordPosition>>> bad;
  log->Append({plain("never")}, {encoded(5, {"never"})}, {{"g", "in", 0, 9}},
              [&](Result<std::vector<RecordPosition>> r) { bad.set_value(std::move(r)); });
  auto failed = bad.get_future().get();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == StatusCode::kInvalidArgument);
  CHECK(ReadAll(*log, "t", 0).size() == 6);
  CHECK(log->Committed("g", "in", 0)->value() == 7);
}

TEST_CASE("offsets, topics and committed offsets survive a reopen", "[log]") {
  TempDir dir;
  {
    auto log = OpenLog(dir, nullptr);
    REQUIRE(log->CreateTopic({.name = "events", .partitions = 2}).ok());
    REQUIRE(log->RegisterGroup("ingest", "events").ok());
    for (int i = 0; i < 10; ++i) REQUIRE(log->AppendAndWait({Rec("events", "", std::to_string(i))}).ok());
    REQUIRE(log->Commit({{"ingest", "events", 0, 3}}).ok());
  }
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->Topic("events").ok());
  CHECK(log->Topic("events")->partitions == 2);
  CHECK(log->Committed("ingest", "events", 0)->value() == 3);
  CHECK(log->Committed("ingest", "events", 1)->value() == 0);
  CHECK_FALSE(log->Committed("other", "events", 0)->has_value());
  auto parts = log->Partitions("events");
  REQUIRE(parts.ok());
  CHECK((*parts)[0].end + (*parts)[1].end == 10);
  // Appends continue after the last offset; the consumer resumes where it committed.
  auto pos = log->AppendAndWait({Rec("events", "", "after")});
  REQUIRE(pos.ok());
  CHECK(pos->at(0).offset == (*parts)[pos->at(0).partition].end);
  auto resumed = log->Fetch("events", 0, *log->Committed("ingest", "events", 0).value(), 100, 1 << 20);
  REQUIRE(resumed.ok());
  CHECK(resumed->records.front().offset == 3);
  auto lag = log->Lag();
  REQUIRE(lag.ok());
  REQUIRE(lag->size() == 2);
  CHECK(lag->at(0).group == "ingest");
  CHECK(lag->at(0).lag() == lag->at(0).end - 3);
}

TEST_CASE("a commit lands atomically with the records of the same append", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "in", .partitions = 1}).ok());
  REQUIRE(log->CreateTopic({.name = "out", .partitions = 1}).ok());
  REQUIRE(log->AppendAndWait({Rec("in", "", "a"), Rec("in", "", "b")}).ok());

  auto ok = log->AppendAndWait({Rec("out", "", "A"), Rec("out", "", "B")}, {{"pipeline", "in", 0, 2}});
  REQUIRE(ok.ok());
  CHECK(log->Committed("pipeline", "in", 0)->value() == 2);
  CHECK(ReadAll(*log, "out", 0).size() == 2);

  // One bad record fails the whole append: neither its records nor its commit appear.
  auto bad = log->AppendAndWait({Rec("out", "", "C"), Rec("missing-topic", "", "D")}, {{"pipeline", "in", 0, 9}});
  CHECK_FALSE(bad.ok());
  CHECK(log->Committed("pipeline", "in", 0)->value() == 2);
  CHECK(ReadAll(*log, "out", 0).size() == 2);
}

TEST_CASE("retention by age keeps what a consumer group has not committed past", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  const int64_t day = 24 * 3600 * 1000;
  const int64_t now = 1800000000000;
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1, .retention_ms = day}).ok());
  for (int i = 0; i < 10; ++i) REQUIRE(log->AppendAndWait({Rec("t", "", std::to_string(i), now - 3 * day)}).ok());
  for (int i = 10; i < 15; ++i) REQUIRE(log->AppendAndWait({Rec("t", "", std::to_string(i), now)}).ok());
  REQUIRE(log->RegisterGroup("slow", "t").ok());
  REQUIRE(log->Commit({{"slow", "t", 0, 4}}).ok());

  auto report = log->EnforceRetention(now);
  REQUIRE(report.ok());
  CHECK(report->records_deleted == 4);  // old, and read by every group
  CHECK(log->Partitions("t")->at(0).start == 4);
  CHECK(log->Fetch("t", 0, 2, 10, 1 << 20).status().code() == StatusCode::kNotFound);
  CHECK(log->Fetch("t", 0, 4, 1, 1 << 20)->records.at(0).record.value == "4");

  REQUIRE(log->Commit({{"slow", "t", 0, 15}}).ok());
  CHECK(log->EnforceRetention(now)->records_deleted == 6);  // the young ones stay
  CHECK(log->Partitions("t")->at(0).start == 10);
  CHECK(ReadAll(*log, "t", 0).size() == 5);
}

TEST_CASE("a deleted consumer group no longer holds retention back", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  const int64_t day = 24 * 3600 * 1000;
  const int64_t now = 1800000000000;
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 2, .retention_ms = day}).ok());
  for (int i = 0; i < 6; ++i) REQUIRE(log->AppendAndWait({Rec("t", "", std::to_string(i), now - 3 * day)}).ok());
  REQUIRE(log->RegisterGroup("gone", "t").ok());
  REQUIRE(log->RegisterGroup("live", "t").ok());
  REQUIRE(log->Commit({{"live", "t", 0, 100}, {"live", "t", 1, 100}}).ok());
  CHECK(log->EnforceRetention(now)->records_deleted == 0);  // "gone" has read nothing

  auto deleted = log->DeleteGroup("gone", "t");
  REQUIRE(deleted.ok());
  CHECK(*deleted);
  CHECK_FALSE(log->Committed("gone", "t", 0)->has_value());
  CHECK_FALSE(log->Committed("gone", "t", 1)->has_value());
  CHECK(log->Committed("live", "t", 0)->value() == 100);
  CHECK(log->EnforceRetention(now)->records_deleted == 6);
  // Again, or a group that never was: nothing to delete.
  CHECK_FALSE(*log->DeleteGroup("gone", "t"));
  CHECK(log->DeleteGroup("gone", "no-such-topic").status().code() == StatusCode::kNotFound);
}

TEST_CASE("the hard cap deletes unread records, with a warning metric", "[log]") {
  TempDir dir;
  MetricsRegistry metrics;
  auto log = OpenLog(dir, &metrics);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1, .retention_ms = 0, .retention_bytes = 0,
                            .hard_cap_bytes = 20000}).ok());
  REQUIRE(log->RegisterGroup("never-reads", "t").ok());
  for (int i = 0; i < 20; ++i) REQUIRE(log->AppendAndWait({Rec("t", "", Incompressible(2000, i))}).ok());
  auto report = log->EnforceRetention(0);
  REQUIRE(report.ok());
  CHECK(report->forced_records_deleted > 0);
  CHECK(report->forced_records_deleted == report->records_deleted);
  CHECK(log->Partitions("t")->at(0).start == report->records_deleted);
  CHECK(metrics.RenderPrometheus().find("hedgerow_log_retention_forced_deletes_total{topic=\"t\"}") != std::string::npos);
}

TEST_CASE("retention by size deletes the oldest batches of a partition", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1, .retention_ms = 0, .retention_bytes = 10000}).ok());
  for (int i = 0; i < 20; ++i) REQUIRE(log->AppendAndWait({Rec("t", "", Incompressible(2000, i))}).ok());
  auto report = log->EnforceRetention(0);
  REQUIRE(report.ok());
  // Each stored record takes a little over 2000 bytes: four fit under the limit.
  CHECK(report->records_deleted == 16);
  CHECK(report->forced_records_deleted == 0);
  CHECK(log->Partitions("t")->at(0).bytes <= 10000);
  auto rest = ReadAll(*log, "t", 0);
  CHECK(rest.size() == 20 - report->records_deleted);
  CHECK(rest.back().offset == 19);
}

TEST_CASE("records without a timestamp, plain or pre-encoded, get their append time", "[log]") {
  // Issue 16, point 3: the pipeline's rows came with timestamp 0, so retention by age took
  // them as soon as every group had read them, and the store's _timestamp said 1970.
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  const int64_t day = 24 * 3600 * 1000;
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1, .retention_ms = day}).ok());
  EncodedRecords encoded{.topic = "t", .partition = 0, .count = 2};
  AppendToPayload(encoded.payload, 0, "k", "encoded-1");
  size_t length_at = BeginPayloadRecord(encoded.payload, 0, "k");
  encoded.payload += "encoded-2";
  EndPayloadRecord(encoded.payload, length_at);
  OutgoingRecord plain = Rec("t", "k", "plain", 0);
  OutgoingRecord own = Rec("t", "k", "own", 1700000000000);
  const int64_t before = NowMicros() / 1000;
  std::promise<Result<std::vector<RecordPosition>>> appended;
  log->Append({plain, own}, {std::move(encoded)}, {},
              [&](Result<std::vector<RecordPosition>> r) { appended.set_value(std::move(r)); });
  REQUIRE(appended.get_future().get().ok());
  const int64_t after = NowMicros() / 1000;
  auto records = ReadAll(*log, "t", 0);
  REQUIRE(records.size() == 4);
  for (const StoredRecord& r : records) {
    INFO(r.record.value);
    if (r.record.value == "own") {
      CHECK(r.record.timestamp_ms == 1700000000000);  // a time of its own is kept
    } else {
      CHECK(r.record.timestamp_ms >= before);
      CHECK(r.record.timestamp_ms <= after);
    }
  }
  auto views = log->FetchViews("t", 0, 2, 10, 1 << 20);
  REQUIRE(views.ok());
  CHECK(views->records.at(0).record.timestamp_ms == records[2].record.timestamp_ms);
  // Read by every group, they stay for the retention period after their append, not less.
  REQUIRE(log->RegisterGroup("all-read", "t").ok());
  REQUIRE(log->Commit({{"all-read", "t", 0, 4}}).ok());
  CHECK(log->EnforceRetention(after)->records_deleted == 0);
  CHECK(log->EnforceRetention(after + day + 1)->records_deleted == 4);
}

TEST_CASE("a retention floor keeps what a stage may re-read; below it records go", "[log]") {
  TempDir dir;
  const int64_t day = 24 * 3600 * 1000;
  const int64_t now = 1800000000000;
  {
    auto log = OpenLog(dir, nullptr);
    REQUIRE(log->CreateTopic({.name = "in", .partitions = 2, .retention_ms = day}).ok());
    for (int i = 0; i < 10; ++i) {
      OutgoingRecord r = Rec("in", "", std::to_string(i), now - 3 * day);
      r.partition = 0;
      REQUIRE(log->AppendAndWait({r}).ok());
    }
    // The consumer group has read everything; the persons' saved offset is behind it.
    REQUIRE(log->RegisterGroup("ingestion", "in").ok());
    REQUIRE(log->Commit({{"ingestion", "in", 0, 10}}).ok());
    REQUIRE(log->SetRetentionFloor("persons", "in", 0, 6).ok());
    CHECK(log->RetentionFloor("persons", "in", 0)->value() == 6);
    CHECK_FALSE(log->RetentionFloor("persons", "in", 1)->has_value());
    CHECK(log->SetRetentionFloor("persons", "in", 2, 0).code() == StatusCode::kNotFound);
    CHECK(log->SetRetentionFloor("persons", "nope", 0, 0).code() == StatusCode::kNotFound);
    auto lag = log->Lag();
    REQUIRE(lag.ok());
    for (const PartitionLag& l : *lag) CHECK(l.group == "ingestion");  // a floor is no consumer group
  }
  // Floors survive a reopen (the records are long past their age).
  auto log = OpenLog(dir, nullptr);
  CHECK(log->RetentionFloor("persons", "in", 0)->value() == 6);
  auto report = log->EnforceRetention(now);
  REQUIRE(report.ok());
  CHECK(report->records_deleted == 6);
  CHECK(log->Fetch("in", 0, 6, 10, 1 << 20)->records.size() == 4);  // what a restart re-reads
  REQUIRE(log->SetRetentionFloor("persons", "in", 0, 8).ok());
  CHECK(log->EnforceRetention(now)->records_deleted == 2);
  CHECK(log->Partitions("in")->at(0).start == 8);
  // The same floor again writes nothing and changes nothing.
  REQUIRE(log->SetRetentionFloor("persons", "in", 0, 8).ok());
  CHECK(log->EnforceRetention(now)->records_deleted == 0);
}

TEST_CASE("retention by size never passes a protected offset", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1, .retention_ms = 0, .retention_bytes = 10000}).ok());
  for (int i = 0; i < 20; ++i) REQUIRE(log->AppendAndWait({Rec("t", "", Incompressible(2000, i))}).ok());
  REQUIRE(log->RegisterGroup("slow", "t").ok());
  REQUIRE(log->Commit({{"slow", "t", 0, 5}}).ok());
  CHECK(log->EnforceRetention(0)->records_deleted == 5);
  CHECK(log->Partitions("t")->at(0).bytes > 10000);  // over the bound, but the group needs the rest
  REQUIRE(log->Commit({{"slow", "t", 0, 20}}).ok());
  REQUIRE(log->SetRetentionFloor("persons", "t", 0, 10).ok());
  CHECK(log->EnforceRetention(0)->records_deleted == 5);
  REQUIRE(log->SetRetentionFloor("persons", "t", 0, 20).ok());
  CHECK(log->EnforceRetention(0)->records_deleted == 6);  // four fit under the bound
  CHECK(log->Partitions("t")->at(0).bytes <= 10000);
}

TEST_CASE("a topic keeps its partition count", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 8}).ok());
  CHECK(log->CreateTopic({.name = "t", .partitions = 8}).ok());
  auto changed = log->CreateTopic({.name = "t", .partitions = 4});
  CHECK(changed.code() == StatusCode::kInvalidArgument);
  CHECK(changed.message() == "log: topic \"t\" has 8 partitions, not 4; topics are never repartitioned");
  CHECK_FALSE(log->CreateTopic({.name = "", .partitions = 1}).ok());
  CHECK_FALSE(log->CreateTopic({.name = "z", .partitions = 0}).ok());
}

TEST_CASE("an inspection instance reads a live log and refuses writes", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1}).ok());
  REQUIRE(log->AppendAndWait({Rec("t", "", "first")}).ok());
  auto reader = Log::OpenForInspection(dir.File("log"));
  REQUIRE(reader.ok());
  CHECK((*reader)->Fetch("t", 0, 0, 10, 1 << 20)->records.size() == 1);
  CHECK((*reader)->AppendAndWait({Rec("t", "", "no")}).status().code() == StatusCode::kInvalidArgument);
  REQUIRE(log->AppendAndWait({Rec("t", "", "second")}).ok());
  REQUIRE((*reader)->CatchUp().ok());
  CHECK((*reader)->Fetch("t", 0, 0, 10, 1 << 20)->records.size() == 2);
  CHECK(Log::OpenForInspection(dir.File("nothing-here")).status().code() == StatusCode::kNotFound);
}

TEST_CASE("appends after close fail as unavailable", "[log]") {
  TempDir dir;
  auto log = OpenLog(dir, nullptr);
  REQUIRE(log->CreateTopic({.name = "t", .partitions = 1}).ok());
  log->Close();
  CHECK(log->AppendAndWait({Rec("t", "", "late")}).status().code() == StatusCode::kUnavailable);
}

TEST_CASE("a background thread applies retention on its interval", "[log]") {
  TempDir dir;
  LogOptions options;
  options.dir = dir.File("log");
  options.retention_interval = std::chrono::milliseconds(10);
  auto opened = Log::Open(options, nullptr);
  REQUIRE(opened.ok());
  Log& log = **opened;
  REQUIRE(log.CreateTopic({.name = "t", .partitions = 1, .retention_ms = 1000}).ok());
  REQUIRE(log.AppendAndWait({Rec("t", "", "ancient", 1000), Rec("t", "", "ancient", 1000)}).ok());
  // Awaits the condition (start moved) with a deadline; the thread runs every 10 ms.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.Partitions("t")->at(0).start == 0 && std::chrono::steady_clock::now() < deadline) {
    (void)log.Fetch("t", 0, 2, 1, 1, std::chrono::milliseconds(5));
  }
  CHECK(log.Partitions("t")->at(0).start == 2);
}
