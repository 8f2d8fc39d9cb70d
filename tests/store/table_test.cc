#include "hedgerow/store/table.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "hedgerow/common/hash.h"
#include "store/store_test_rows.h"
#include "support/temp_dir.h"

namespace hedgerow::store {
namespace {

namespace fs = std::filesystem;
using hedgerow::testing::TempDir;
using testing::KvBlock;
using testing::KvRow;
using testing::KvSchema;
using testing::ReferenceDedup;
using testing::ToMap;

Block ScanAll(const Table& table, bool final, ScanRequest request = {}) {
  request.columns = {"team_id", "key", "payload", "version"};
  request.final = final;
  Block out = KvSchema().EmptyBlock();
  Block all;
  std::mutex mu;
  Status s = table.Scan(request, [&](uint32_t, Block&& b) {
    std::lock_guard<std::mutex> lock(mu);
    if (all.columns.empty()) all = b.EmptyLike();
    all.AppendRange(b, 0, b.rows());
    return Status::Ok();
  });
  REQUIRE(s.ok());
  return all;
}

// A random run of adjacent parts of one partition: merges in an order no policy would pick.
std::optional<MergeCandidate> RandomWindow(const Table& table, std::mt19937_64& rng) {
  PartList parts = table.Parts(0);
  if (parts.size() < 2) return std::nullopt;
  size_t i = rng() % (parts.size() - 1);
  size_t j = i + 1;
  while (j + 1 < parts.size() && rng() % 2 && parts[j + 1]->meta().partition == parts[i]->meta().partition) ++j;
  if (parts[j]->meta().partition != parts[i]->meta().partition) return std::nullopt;
  return MergeCandidate{0, parts[i]->meta().partition, PartList(parts.begin() + i, parts.begin() + j + 1)};
}

TEST_CASE("random inserts and merges in random orders: FINAL and fully merged parts equal a naive dedup",
          "[store]") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    TempDir dir;
    std::mt19937_64 rng(seed);
    auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(table.ok());
    std::vector<KvRow> inserted;
    const int batches = 25;
    for (int batch = 0; batch < batches; ++batch) {
      std::vector<KvRow> rows;
      size_t n = 1 + rng() % (batch % 5 == 0 ? 12000 : 400);
      for (size_t i = 0; i < n; ++i) rows.push_back(testing::RandomKvRow(rng, 500, inserted.size() + i));
      REQUIRE((*table)->Insert(KvBlock(rows), {{0, static_cast<uint64_t>(batch + 1)}}).ok());
      inserted.insert(inserted.end(), rows.begin(), rows.end());
      if (rng() % 3 == 0) {
        if (auto c = RandomWindow(**table, rng)) REQUIRE((*table)->Merge(*c).ok());
      }
      if (rng() % 4 == 0) {
        bool duplicate = false;
        CHECK(ToMap(ScanAll(**table, true), &duplicate) == ReferenceDedup(inserted));
        CHECK_FALSE(duplicate);
      }
    }
    CHECK(ScanAll(**table, false).rows() <= inserted.size());
    auto expected = ReferenceDedup(inserted);
    bool duplicate = false;
    CHECK(ToMap(ScanAll(**table, true), &duplicate) == expected);
    CHECK_FALSE(duplicate);
    // FINAL over a key range: exactly the reference's keys in that range.
    ScanRequest range;
    range.key_min = {int64_t{2}, std::string("key-1")};
    range.key_max = {int64_t{2}, std::string("key-3")};
    std::map<std::pair<int64_t, std::string>, std::string> expected_range;
    for (const auto& [k, v] : expected) {
      if (k.first == 2 && k.second >= "key-1" && k.second <= "key-3") expected_range[k] = v;
    }
    std::map<std::pair<int64_t, std::string>, std::string> got_range;
    for (const auto& [k, v] : ToMap(ScanAll(**table, true, range))) {
      if (k.first == 2 && k.second >= "key-1" && k.second <= "key-3") got_range[k] = v;
    }
    CHECK(got_range == expected_range);
    CHECK_FALSE(expected_range.empty());
    while (auto c = (*table)->SelectMerge(/*all=*/true)) REQUIRE((*table)->Merge(*c).ok());
    PartList parts = (*table)->AllParts();
    CHECK(parts.size() == 3);  // one per month
    Block merged = ScanAll(**table, false);
    CHECK(merged.rows() == expected.size());
    CHECK(ToMap(merged) == expected);
    CHECK((*table)->LogOffsets() == std::map<uint32_t, uint64_t>{{0, batches}});
    table->reset();
    auto reopened = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(reopened.ok());
    CHECK(ToMap(ScanAll(**reopened, false)) == expected);
  }
}

TEST_CASE("the size-tiered policy merges small parts and keeps FINAL exact while it runs", "[store]") {
  TempDir dir;
  std::mt19937_64 rng(99);
  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv"), .max_parts_per_merge = 4});
  REQUIRE(table.ok());
  std::vector<KvRow> inserted;
  for (int batch = 0; batch < 40; ++batch) {
    std::vector<KvRow> rows;
    for (int i = 0; i < 50; ++i) rows.push_back(testing::RandomKvRow(rng, 200, inserted.size() + i));
    REQUIRE((*table)->Insert(KvBlock(rows), {}).ok());
    inserted.insert(inserted.end(), rows.begin(), rows.end());
    while (auto c = (*table)->SelectMerge()) REQUIRE((*table)->Merge(*c).ok());
  }
  CHECK((*table)->AllParts().size() < 40);
  CHECK(ToMap(ScanAll(**table, true)) == ReferenceDedup(inserted));
}

TEST_CASE("events rows go to shard sipHash64(distinct_id) % shards, as ClickHouse's writable_events", "[store]") {
  TempDir dir;
  const TableSchema& events = *FindPostHogTable("events");
  auto table = Table::Open(events, {.dir = dir.File("events"), .shards = 4});
  REQUIRE(table.ok());
  // ClickHouse's sipHash64(x) % 4 for these ids (testdata/reference-values.md).
  std::vector<std::pair<std::string, uint32_t>> ids = {
      {"", 3}, {"a", 1}, {"abc", 2}, {"user_000395", 1}, {"anonymous", 0}, {"posthog:distinct-id-42", 3}, {"日本語", 0}};
  Block rows = events.EmptyBlock();
  for (const auto& [id, shard] : ids) {
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      if (rows.names[c] == "distinct_id") {
        rows.columns[c].PushString(id);
      } else if (rows.names[c] == "timestamp") {
        rows.columns[c].Push<int64_t>(1764547200LL * 1000000);
      } else {
        rows.columns[c].PushDefault();
      }
    }
  }
  REQUIRE((*table)->Insert(rows, {}).ok());
  std::map<std::string, uint32_t> found;
  ScanRequest request{.columns = {"distinct_id"}};
  std::mutex mu;
  REQUIRE((*table)->Scan(request, [&](uint32_t shard, Block&& b) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t r = 0; r < b.rows(); ++r) found[std::string(b.columns[0].StringAt(r))] = shard;
    return Status::Ok();
  }).ok());
  for (const auto& [id, shard] : ids) {
    INFO(id);
    CHECK(found.at(id) == shard);
    CHECK(SipHash64(id) % 4 == shard);
  }
  CHECK(fs::exists(dir.File("events") + "/3/202512"));
}

TEST_CASE("a key range reads only the granules that can hold it, and every row in it", "[store]") {
  TempDir dir;
  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(table.ok());
  std::vector<KvRow> rows;
  for (int i = 0; i < 100000; ++i) {
    rows.push_back({1 + i % 2, fmt::format("key-{}", 100000 + i), 1764547200LL * 1000000, 0, fmt::format("p{}", i)});
  }
  REQUIRE((*table)->Insert(KvBlock(rows), {}).ok());
  ScanRequest request;
  request.key_min = {int64_t{2}, std::string("key-150000")};
  request.key_max = {int64_t{2}, std::string("key-150999")};
  Block got = ScanAll(**table, false, request);
  size_t in_range = 0;
  for (size_t r = 0; r < got.rows(); ++r) {
    std::string key(got.columns[1].StringAt(r));
    if (got.columns[0].Get<int64_t>(r) == 2 && key >= "key-150000" && key <= "key-150999") ++in_range;
  }
  CHECK(in_range == 500);  // every even-indexed key in the range has team_id 2
  CHECK(got.rows() <= 2 * kGranuleRows);
  CHECK(ScanAll(**table, false).rows() == 100000);
  // Partition pruning: a time range before the data reads nothing.
  ScanRequest before;
  before.time_max = 1764547200LL * 1000000 - 1;
  CHECK(ScanAll(**table, false, before).rows() == 0);
}

TEST_CASE("at open: temporary parts go, covered parts go, damaged parts are set aside, an insert is completed",
          "[store]") {
  TempDir dir;
  std::mt19937_64 rng(5);
  std::vector<KvRow> inserted;
  {
    auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(table.ok());
    for (int batch = 0; batch < 3; ++batch) {
      std::vector<KvRow> rows;
      for (int i = 0; i < 300; ++i) {
        KvRow r = testing::RandomKvRow(rng, 50, inserted.size() + i);
        r.ts = 1764547200LL * 1000000;
        rows.push_back(r);
      }
      REQUIRE((*table)->Insert(KvBlock(rows), {}).ok());
      inserted.insert(inserted.end(), rows.begin(), rows.end());
    }
  }
  std::string partition = dir.File("kv") + "/0/202512";
  // Keep a copy of a source part, merge, and put the copy back: as if the crash came
  // between the merged part's rename and the removal of its sources.
  fs::copy(partition + "/1_1_0", dir.File("saved"), fs::copy_options::recursive);
  {
    auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(table.ok());
    auto c = (*table)->SelectMerge(true);
    REQUIRE(c);
    REQUIRE((*table)->Merge(*c).ok());
  }
  fs::copy(dir.File("saved"), partition + "/1_1_0", fs::copy_options::recursive);
  fs::create_directories(partition + "/tmp_merge_1_9_1");
  fs::copy(dir.File("saved"), partition + "/7_7_0", fs::copy_options::recursive);
  std::ofstream(partition + "/7_7_0/meta.json") << "{not json";

  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(table.ok());
  CHECK((*table)->AllParts().size() == 1);
  CHECK_FALSE(fs::exists(partition + "/1_1_0"));
  CHECK_FALSE(fs::exists(partition + "/tmp_merge_1_9_1"));
  CHECK(fs::exists(partition + "/broken_7_7_0"));
  CHECK(ToMap(ScanAll(**table, false)) == ReferenceDedup(inserted));

  // An insert whose parts were durable and listed in the manifest, but not yet renamed.
  std::vector<KvRow> more = {{1, "late", 1764547200LL * 1000000, 9, "late row"}};
  Block key = EvaluateKey(KvSchema(), KvBlock(more));
  PartMeta meta{.table = "kv", .partition = "202512", .name = {20, 20, 0}, .log_offsets = {{0, 1234}}};
  REQUIRE(WritePart(partition + "/tmp_insert_20_20_0", KvSchema(), KvBlock(more), key, meta).ok());
  std::ofstream(dir.File("kv") + "/insert.manifest") << "0/202512/tmp_insert_20_20_0 0/202512/20_20_0\n";
  table->reset();
  auto again = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(again.ok());
  CHECK(fs::exists(partition + "/20_20_0"));
  CHECK_FALSE(fs::exists(dir.File("kv") + "/insert.manifest"));
  CHECK((*again)->LogOffsets().at(0) == 1234);
  inserted.push_back(more[0]);
  CHECK(ToMap(ScanAll(**again, true)) == ReferenceDedup(inserted));
}

TEST_CASE("a table refuses a shard count different from the one on disk", "[store]") {
  TempDir dir;
  const TableSchema& events = *FindPostHogTable("events");
  fs::create_directories(dir.File("events") + "/3");
  auto table = Table::Open(events, {.dir = dir.File("events"), .shards = 2});
  CHECK(table.status().code() == StatusCode::kInvalidArgument);
  CHECK(table.status().message().find("shards") != std::string::npos);
}

TEST_CASE("a sharded table keeps the shard count of its first open: more shards are refused too", "[store]") {
  TempDir dir;
  const TableSchema& events = *FindPostHogTable("events");
  REQUIRE(Table::Open(events, {.dir = dir.File("events"), .shards = 2}).ok());
  auto more = Table::Open(events, {.dir = dir.File("events"), .shards = 4});
  CHECK(more.status().code() == StatusCode::kInvalidArgument);
  CHECK(more.status().message().find("created with 2 shards") != std::string::npos);
  CHECK(Table::Open(events, {.dir = dir.File("events"), .shards = 1}).status().code() == StatusCode::kInvalidArgument);
  CHECK(Table::Open(events, {.dir = dir.File("events"), .shards = 2}).ok());
  // A data dir from before the count was recorded: its shard directories tell.
  fs::remove(dir.File("events") + "/shards");
  fs::create_directories(dir.File("events") + "/1/202601");
  auto old_dir = Table::Open(events, {.dir = dir.File("events"), .shards = 4});
  CHECK(old_dir.status().code() == StatusCode::kInvalidArgument);
  CHECK(old_dir.status().message().find("has data in 2 shards") != std::string::npos);
  CHECK(Table::Open(events, {.dir = dir.File("events"), .shards = 2}).ok());
  // Inspection (shards = 0) takes the recorded count.
  auto inspect = Table::Open(events, {.dir = dir.File("events"), .shards = 0, .read_only = true});
  REQUIRE(inspect.ok());
  CHECK((*inspect)->shards() == 2);
}

TEST_CASE("a failed insert leaves nothing behind, and its retry writes every row once", "[store]") {
  TempDir dir;
  const int64_t dec = 1764547200LL * 1000000, jan = dec + 31LL * 86400 * 1000000;
  std::vector<KvRow> rows = {{1, "a", dec, 0, "in December"}, {1, "b", jan, 0, "in January"}};
  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(table.ok());
  // The second part's rename fails (its name is taken by a non-empty directory) after the
  // first part's rename succeeded: 202512 gets block 1, 202601 block 2.
  std::string blocker = dir.File("kv") + "/0/202601/2_2_0";
  fs::create_directories(blocker);
  std::ofstream(blocker + "/occupied") << "x";
  CHECK_FALSE((*table)->Insert(KvBlock(rows), {{0, 2}}).ok());
  CHECK((*table)->AllParts().empty());
  std::vector<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(dir.File("kv"))) {
    std::string name = e.path().filename().string();
    if (name.rfind("tmp_", 0) == 0 || name == "insert.manifest" || name == "1_1_0") left.push_back(e.path().string());
  }
  CHECK(left.empty());
  fs::remove_all(blocker);
  REQUIRE((*table)->Insert(KvBlock(rows), {{0, 2}}).ok());
  CHECK(ScanAll(**table, false).rows() == 2);
  table->reset();
  auto reopened = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(reopened.ok());
  CHECK(ScanAll(**reopened, false).rows() == 2);
  CHECK(ToMap(ScanAll(**reopened, false)) == ReferenceDedup(rows));
}

TEST_CASE("a cancelled merge stops, leaves its sources and no temporary part", "[store]") {
  TempDir dir;
  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(table.ok());
  std::mt19937_64 rng(3);
  std::vector<KvRow> inserted;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<KvRow> rows;
    for (int i = 0; i < 200; ++i) {
      KvRow r = testing::RandomKvRow(rng, 500, inserted.size() + i);
      r.ts = 1764547200LL * 1000000;
      rows.push_back(r);
    }
    REQUIRE((*table)->Insert(KvBlock(rows), {}).ok());
    inserted.insert(inserted.end(), rows.begin(), rows.end());
  }
  auto candidate = (*table)->SelectMerge(true);
  REQUIRE(candidate);
  std::atomic<bool> cancel{true};
  Status s = (*table)->Merge(*candidate, &cancel);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK((*table)->AllParts().size() == 3);
  for (const auto& e : fs::recursive_directory_iterator(dir.File("kv"))) {
    CHECK(e.path().filename().string().rfind("tmp_", 0) != 0);
  }
  // The parts are free to merge again.
  auto again = (*table)->SelectMerge(true);
  REQUIRE(again);
  REQUIRE((*table)->Merge(*again).ok());
  CHECK((*table)->AllParts().size() == 1);
  CHECK(ToMap(ScanAll(**table, true)) == ReferenceDedup(inserted));
}

TEST_CASE("an insert spanning more than 100 partitions is refused whole, as ClickHouse does", "[store]") {
  TempDir dir;
  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(table.ok());
  std::vector<KvRow> rows;
  for (int m = 0; m <= static_cast<int>(Table::kMaxPartitionsPerInsert); ++m) {
    rows.push_back({1, "k" + std::to_string(m), (1764547200LL + m * 31LL * 86400) * 1000000, 0, ""});
  }
  Status s = (*table)->Insert(KvBlock(rows), {});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("too many partitions") != std::string::npos);
  CHECK((*table)->AllParts().empty());
  rows.pop_back();
  CHECK((*table)->Insert(KvBlock(rows), {}).ok());
  CHECK((*table)->AllParts().size() == Table::kMaxPartitionsPerInsert);
}

}  // namespace
}  // namespace hedgerow::store
