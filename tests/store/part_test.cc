#include "hedgerow/store/part.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "store/store_test_rows.h"
#include "support/temp_dir.h"

namespace hedgerow::store {
namespace {

using hedgerow::testing::TempDir;
using testing::KvBlock;
using testing::KvRow;
using testing::KvSchema;

Block Sorted(const Block& rows, Block* key_out) {
  Block key = EvaluateKey(KvSchema(), rows);
  std::vector<uint32_t> perm(rows.rows());
  std::iota(perm.begin(), perm.end(), 0u);
  SortRowsByKey(key, perm);
  Block sorted = rows.EmptyLike();
  sorted.AppendRows(rows, perm);
  *key_out = key.EmptyLike();
  key_out->AppendRows(key, perm);
  return sorted;
}

std::vector<KvRow> ManyRows(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<KvRow> rows;
  for (size_t i = 0; i < n; ++i) {
    KvRow r = testing::RandomKvRow(rng, 1000000, i);
    r.ts = 1764547200LL * 1000000 + static_cast<int64_t>(i);  // one partition
    rows.push_back(r);
  }
  return rows;
}

TEST_CASE("a part written and opened again reads back every value, granule by granule", "[store]") {
  TempDir dir;
  Block key;
  Block rows = Sorted(KvBlock(ManyRows(20000)), &key);
  PartMeta meta{.table = "kv", .partition = "202512", .name = {1, 1, 0}, .log_offsets = {{0, 17}, {3, 5}}};
  REQUIRE(WritePart(dir.File("1_1_0"), KvSchema(), rows, key, meta).ok());
  CHECK(meta.granules == 3);

  auto part = Part::Open(dir.File("1_1_0"), KvSchema());
  REQUIRE(part.ok());
  CHECK((*part)->meta().rows == 20000);
  CHECK((*part)->meta().log_offsets == std::map<uint32_t, uint64_t>{{0, 17}, {3, 5}});
  CHECK((*part)->primary_index().rows() == 4);  // 3 granule starts + the last row
  CHECK((*part)->Verify().ok());

  auto all = (*part)->Read({"key", "version", "payload", "ts"}, 0, 3);
  REQUIRE(all.ok());
  REQUIRE(all->rows() == 20000);
  for (size_t r = 0; r < 20000; r += 997) {
    CHECK(all->columns[0].StringAt(r) == rows.columns[1].StringAt(r));
    CHECK(all->columns[1].Get<uint64_t>(r) == rows.columns[3].Get<uint64_t>(r));
    CHECK(all->columns[2].StringAt(r) == rows.columns[4].StringAt(r));
    CHECK(all->columns[3].Get<int64_t>(r) == rows.columns[2].Get<int64_t>(r));
  }
  auto middle = (*part)->Read({"payload"}, 1, 2);
  REQUIRE(middle.ok());
  REQUIRE(middle->rows() == kGranuleRows);
  CHECK(middle->columns[0].StringAt(0) == rows.columns[4].StringAt(kGranuleRows));
  CHECK_FALSE((*part)->Read({"nope"}, 0, 1).ok());
}

TEST_CASE("granules of wide rows close at kGranuleBytes, however the rows arrive", "[store]") {
  // 3,000 rows of ~5 KB: a granule takes ~400 of them, not 8192 (which would be 40 MB).
  std::vector<KvRow> wide = ManyRows(3000);
  for (size_t i = 0; i < wide.size(); ++i) wide[i].payload = fmt::format("{:05} {}", i, std::string(4000 + i % 2000, 'w'));
  Block key;
  Block rows = Sorted(KvBlock(wide), &key);
  TempDir dir;
  auto write = [&](const std::string& name, size_t block_rows) {
    auto writer = PartWriter::Create(dir.File(name), KvSchema());
    REQUIRE(writer.ok());
    for (size_t at = 0; at < rows.rows(); at += block_rows) {
      size_t end = std::min(rows.rows(), at + block_rows);
      Block b = rows.EmptyLike(), k = key.EmptyLike();
      b.AppendRange(rows, at, end);
      k.AppendRange(key, at, end);
      REQUIRE((*writer)->Append(b, k).ok());
    }
    PartMeta meta{.table = "kv", .partition = "202512", .name = {1, 1, 0}};
    REQUIRE((*writer)->Finish(meta).ok());
    auto part = Part::Open(dir.File(name), KvSchema());
    REQUIRE(part.ok());
    CHECK((*part)->Verify().ok());
    return *part;
  };
  auto whole = write("whole", rows.rows());
  auto dribbled = write("dribbled", 37);  // granules filled across many appends
  const PartMeta& m = whole->meta();
  CHECK(m.granule_bytes == kGranuleBytes);
  CHECK(m.granules >= 6);
  CHECK(m.granules <= 9);
  CHECK(dribbled->meta().granules == m.granules);
  size_t row = 0;
  for (size_t g = 0; g < m.granules; ++g) {
    CHECK(dribbled->GranuleRows(g, g + 1) == whole->GranuleRows(g, g + 1));
    auto granule = whole->Read({"payload"}, g, g + 1);
    REQUIRE(granule.ok());
    REQUIRE(granule->rows() == whole->GranuleRows(g, g + 1));
    uint64_t bytes = 0;
    for (size_t r = 0; r < granule->rows(); ++r) {
      CHECK(granule->columns[0].StringAt(r) == rows.columns[4].StringAt(row + r));
      bytes += granule->columns[0].StringAt(r).size();
    }
    // The granule closed at the row that brought it to kGranuleBytes, not before or after.
    if (g + 1 < m.granules) {
      // Besides the payload a row takes 42-48 bytes (its key's length varies).
      CHECK(bytes + granule->rows() * 48 >= kGranuleBytes);
      CHECK(bytes - granule->columns[0].StringAt(granule->rows() - 1).size() + (granule->rows() - 1) * 42 < kGranuleBytes);
    }
    row += granule->rows();
  }
  CHECK(row == 3000);
  CHECK(whole->primary_index().rows() == m.granules + 1);
}

TEST_CASE("damage to any byte of a column file is found by check and by the read that hits it", "[store]") {
  TempDir dir;
  Block key;
  Block rows = Sorted(KvBlock(ManyRows(10000)), &key);
  PartMeta meta{.table = "kv", .partition = "202512", .name = {1, 1, 0}};
  REQUIRE(WritePart(dir.File("p"), KvSchema(), rows, key, meta).ok());
  std::string file = dir.File("p") + "/payload.bin";
  auto size = std::filesystem::file_size(file);
  for (uint64_t at : {uint64_t{3}, size / 2, size - 1}) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(c ^ 0x5a));
    f.close();
    auto part = Part::Open(dir.File("p"), KvSchema());
    REQUIRE(part.ok());  // metadata is intact; the damage is in the data
    Status s = (*part)->Verify();
    CHECK(s.code() == StatusCode::kCorruption);
    CHECK(s.message().find("payload.bin") != std::string::npos);
    // Undo, and the part is whole again.
    std::fstream g(file, std::ios::in | std::ios::out | std::ios::binary);
    g.seekp(static_cast<std::streamoff>(at));
    g.put(c);
    g.close();
    CHECK((*Part::Open(dir.File("p"), KvSchema()))->Verify().ok());
  }
}

TEST_CASE("a part missing a file or with a truncated one does not open", "[store]") {
  TempDir dir;
  Block key;
  Block rows = Sorted(KvBlock(ManyRows(100)), &key);
  PartMeta meta{.table = "kv", .partition = "202512", .name = {1, 1, 0}};
  REQUIRE(WritePart(dir.File("p"), KvSchema(), rows, key, meta).ok());
  std::filesystem::resize_file(dir.File("p") + "/key.bin", 10);
  CHECK(Part::Open(dir.File("p"), KvSchema()).status().code() == StatusCode::kCorruption);
  REQUIRE(WritePart(dir.File("q"), KvSchema(), rows, key, meta).ok());
  std::filesystem::remove(dir.File("q") + "/meta.json");
  CHECK_FALSE(Part::Open(dir.File("q"), KvSchema()).ok());
}

TEST_CASE("part names parse as ClickHouse's min_max_level and a merged part covers its sources", "[store]") {
  auto n = PartName::Parse("3_17_2");
  REQUIRE(n);
  CHECK(n->min_block == 3);
  CHECK(n->max_block == 17);
  CHECK(n->level == 2);
  CHECK(n->ToString() == "3_17_2");
  for (const char* bad : {"", "1_2", "1__2_3", "a_1_0", "5_4_0", "1_2_3_4", "tmp_insert_1_1_0"}) {
    CHECK_FALSE(PartName::Parse(bad));
  }
  CHECK(PartName{3, 17, 2}.Covers({5, 5, 0}));
  CHECK_FALSE(PartName{3, 17, 2}.Covers({3, 17, 2}));
  CHECK_FALSE(PartName{3, 17, 2}.Covers({17, 18, 1}));
}

}  // namespace
}  // namespace hedgerow::store

TEST_CASE("a part covers the parts of its blocks below it; of the same blocks, the higher level wins", "[store]") {
  using hedgerow::store::PartName;
  const PartName merged{1, 3, 1}, source{2, 2, 0}, rewritten{2, 2, 1};
  CHECK(merged.Covers(source));
  CHECK_FALSE(source.Covers(merged));
  // A mutation rewrites a part under the same blocks a level up: after a crash that left both,
  // the rewrite is active and the original obsolete, never both gone.
  CHECK(rewritten.Covers(source));
  CHECK_FALSE(source.Covers(rewritten));
  CHECK_FALSE(source.Covers(source));
  CHECK_FALSE(PartName{2, 4, 5}.Covers(PartName{1, 3, 0}));
}
