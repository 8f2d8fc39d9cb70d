#include "hedgerow/store/part_check.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "hedgerow/store/part.h"
#include "store/store_test_rows.h"
#include "support/temp_dir.h"

namespace hedgerow::store {
namespace {

namespace fs = std::filesystem;
using hedgerow::testing::TempDir;
using testing::KvBlock;
using testing::KvRow;
using testing::KvSchema;

constexpr const char* kNoChecksum = "meta.json has no checksum (written by an older version)";

// `n` rows of one partition, sorted, written as the part `dir`.
void WriteKvPart(const std::string& dir, size_t n, PartName name = {1, 1, 0}) {
  std::mt19937_64 rng(11);
  std::vector<KvRow> rows;
  for (size_t i = 0; i < n; ++i) {
    KvRow r = testing::RandomKvRow(rng, 1000000, i);
    r.ts = 1764547200LL * 1000000 + static_cast<int64_t>(i);
    rows.push_back(r);
  }
  Block block = KvBlock(rows);
  Block key = EvaluateKey(KvSchema(), block);
  std::vector<uint32_t> perm(block.rows());
  std::iota(perm.begin(), perm.end(), 0u);
  SortRowsByKey(key, perm);
  Block sorted = block.EmptyLike();
  sorted.AppendRows(block, perm);
  Block sorted_key = key.EmptyLike();
  sorted_key.AppendRows(key, perm);
  PartMeta meta{.table = "kv", .partition = "202512", .name = name, .log_offsets = {{0, 9}}};
  REQUIRE(WritePart(dir, KvSchema(), sorted, sorted_key, meta).ok());
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

void WriteMark(const std::string& path, size_t index, uint64_t value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(index * sizeof(uint64_t)));
  f.write(reinterpret_cast<const char*>(&value), sizeof(value));
}

uint64_t ReadMark(const std::string& path, size_t index) {
  std::ifstream f(path, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(index * sizeof(uint64_t)));
  uint64_t value = 0;
  f.read(reinterpret_cast<char*>(&value), sizeof(value));
  return value;
}

bool Mentions(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

TEST_CASE("a whole part passes the check, which reads every byte of its files once", "[store][check]") {
  TempDir dir;
  WriteKvPart(dir.File("1_1_0"), 20000);
  PartCheck check = CheckPart(dir.File("1_1_0"), KvSchema());
  INFO(check.damage.message());
  REQUIRE(check.outcome == PartCheck::Outcome::kClean);
  CHECK(check.warnings.empty());
  uint64_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.File("1_1_0"))) {
    if (e.path().filename() != kPartMetaFile) files += e.file_size();
  }
  CHECK(check.bytes_read == files);
  // 3 granules of 3 fixed-width and 2 string columns, and the index's two key columns.
  CHECK(check.blocks == 3 * (3 + 2 * 2) + 1 + 2);
  CHECK((*Part::Open(dir.File("1_1_0"), KvSchema()))->Verify().ok());

  WriteKvPart(dir.File("2_2_0"), 0, {2, 2, 0});  // an empty part is whole too
  CHECK(CheckPart(dir.File("2_2_0"), KvSchema()).outcome == PartCheck::Outcome::kClean);
}

TEST_CASE("damage to any byte of meta.json is refused by open and reported by check", "[store][check]") {
  TempDir dir;
  WriteKvPart(dir.File("1_1_0"), 100);
  const std::string path = dir.File("1_1_0") + "/meta.json";
  const std::string good = ReadText(path);
  REQUIRE(good.find("\"checksum\":\"") != std::string::npos);
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    WriteText(path, bad);
    auto part = Part::Open(dir.File("1_1_0"), KvSchema());
    INFO("byte " << at << ": " << bad);
    CHECK(part.status().code() == StatusCode::kCorruption);
    PartCheck check = CheckPart(dir.File("1_1_0"), KvSchema());
    CHECK(check.outcome == PartCheck::Outcome::kDamaged);
    CHECK(Mentions(check.damage, "meta.json"));
  }
  // A changed digit in the rows count is exactly what only the checksum catches.
  std::string rows_changed = good;
  size_t rows_at = rows_changed.find("\"rows\":100");
  REQUIRE(rows_at != std::string::npos);
  rows_changed[rows_at + 7] = '2';
  WriteText(path, rows_changed);
  CHECK(Mentions(Part::Open(dir.File("1_1_0"), KvSchema()).status(), "meta.json: checksum mismatch"));

  WriteText(path, good);
  CHECK(Part::Open(dir.File("1_1_0"), KvSchema()).ok());
  CHECK(CheckPart(dir.File("1_1_0"), KvSchema()).outcome == PartCheck::Outcome::kClean);
}

TEST_CASE("granules.idx that does not add up to the part's rows is damage", "[store][check]") {
  TempDir dir;
  WriteKvPart(dir.File("1_1_0"), 20000);
  const std::string path = dir.File("1_1_0/granules.idx");
  const std::string good = ReadText(path);
  REQUIRE(good.size() == 4 * sizeof(uint64_t));  // 3 granules of these small rows, then the end
  auto with_start = [&](size_t index, uint64_t value) {
    std::string bad = good;
    std::memcpy(bad.data() + index * sizeof(uint64_t), &value, sizeof(value));
    return bad;
  };
  const std::pair<std::string, std::string> cases[] = {
      {with_start(1, 9000), "granule 0 has 9000 rows"},   // more than kGranuleRows
      {with_start(2, 8192), "granule 1 has 0 rows"},
      {with_start(3, 19999), "do not cover the part's 20000 rows"},
      {good.substr(0, 3 * sizeof(uint64_t)), "24 bytes, but 3 granules need 32"},
      // A granule moved by one row: the columns' blocks then hold the wrong counts.
      {with_start(2, 16383), "granule 1: holds"},
  };
  for (const auto& [bad, message] : cases) {
    WriteText(path, bad);
    INFO(message);
    PartCheck check = CheckPart(dir.File("1_1_0"), KvSchema());
    CHECK(check.outcome == PartCheck::Outcome::kDamaged);
    INFO(check.damage.message());
    CHECK(Mentions(check.damage, message));
    if (bad.size() == good.size() && message != "granule 1: holds") {
      CHECK(Part::Open(dir.File("1_1_0"), KvSchema()).status().code() == StatusCode::kCorruption);
    }
  }
  fs::remove(path);
  CHECK(CheckPart(dir.File("1_1_0"), KvSchema()).outcome == PartCheck::Outcome::kDamaged);
  CHECK_FALSE(Part::Open(dir.File("1_1_0"), KvSchema()).ok());
  WriteText(path, good);
  CHECK(CheckPart(dir.File("1_1_0"), KvSchema()).outcome == PartCheck::Outcome::kClean);
}

TEST_CASE("a meta.json without a checksum, as older versions wrote, is read and check warns", "[store][check]") {
  TempDir dir;
  WriteKvPart(dir.File("1_1_0"), 20000);
  const std::string path = dir.File("1_1_0") + "/meta.json";
  const std::string with = ReadText(path);
  size_t member = with.rfind(",\"checksum\":\"");
  REQUIRE(member != std::string::npos);
  // Byte for byte what the older writer wrote: no checksum, no granules.idx (its granules
  // have 8192 rows, as these small rows do) and bytes_on_disk without it.
  std::string legacy = with.substr(0, member) + "}";
  const std::string granule_bytes = fmt::format(",\"granule_bytes\":{}", kGranuleBytes);
  REQUIRE(legacy.find(granule_bytes) != std::string::npos);
  legacy.erase(legacy.find(granule_bytes), granule_bytes.size());
  const size_t bytes_at = legacy.find("\"bytes_on_disk\":") + 16;
  const size_t bytes_end = legacy.find(',', bytes_at);
  const uint64_t on_disk = std::stoull(legacy.substr(bytes_at, bytes_end - bytes_at));
  legacy.replace(bytes_at, bytes_end - bytes_at, std::to_string(on_disk - fs::file_size(dir.File("1_1_0/granules.idx"))));
  fs::remove(dir.File("1_1_0/granules.idx"));
  WriteText(path, legacy);

  auto part = Part::Open(dir.File("1_1_0"), KvSchema());
  REQUIRE(part.ok());
  CHECK((*part)->meta().rows == 20000);
  CHECK((*part)->meta().log_offsets == std::map<uint32_t, uint64_t>{{0, 9}});
  PartCheck check = CheckPart(dir.File("1_1_0"), KvSchema());
  CHECK(check.outcome == PartCheck::Outcome::kClean);
  CHECK(check.warnings == std::vector<std::string>{kNoChecksum});

  // Without a checksum, a damaged member name is still refused rather than read as a 0.
  std::string renamed = legacy;
  renamed.replace(renamed.find("\"rows\""), 6, "\"rowz\"");
  WriteText(path, renamed);
  CHECK(Mentions(Part::Open(dir.File("1_1_0"), KvSchema()).status(), "unknown member \"rowz\""));
  // A rows count that still fills 3 granules: the granules' row counts give it away.
  std::string fewer = legacy;
  fewer.replace(fewer.find("\"rows\":20000"), 12, "\"rows\":19999");
  WriteText(path, fewer);
  check = CheckPart(dir.File("1_1_0"), KvSchema());
  CHECK(check.outcome == PartCheck::Outcome::kDamaged);
  CHECK(Mentions(check.damage, "team_id.bin: granule 2: holds 28928 bytes where 3615 rows take 28920"));
  // bytes_on_disk is the sum of the files but meta.json.
  std::string bytes = legacy;
  size_t at = bytes.find("\"bytes_on_disk\":") + 16;
  bytes.insert(at, "1");
  WriteText(path, bytes);
  check = CheckPart(dir.File("1_1_0"), KvSchema());
  CHECK(check.outcome == PartCheck::Outcome::kDamaged);
  CHECK(Mentions(check.damage, "meta.json: bytes_on_disk is 1"));
}

TEST_CASE("every mark must sit where its granule starts in the data file", "[store][check]") {
  TempDir dir;
  WriteKvPart(dir.File("1_1_0"), 20000);
  const std::string marks = dir.File("1_1_0") + "/payload.mrk";
  const uint64_t data_size = fs::file_size(dir.File("1_1_0") + "/payload.bin");
  const uint64_t mark1 = ReadMark(marks, 1);
  REQUIRE(ReadMark(marks, 3) == data_size);
  auto damaged_by = [&](size_t index, uint64_t value) {
    const uint64_t original = ReadMark(marks, index);
    WriteMark(marks, index, value);
    PartCheck check = CheckPart(dir.File("1_1_0"), KvSchema());
    WriteMark(marks, index, original);
    CHECK(check.outcome == PartCheck::Outcome::kDamaged);
    return check.damage;
  };
  CHECK(Mentions(damaged_by(1, data_size + 4096), "payload.mrk: mark 1 (" + std::to_string(data_size + 4096) +
                                                     ") points past the end of payload.bin"));
  CHECK(Mentions(damaged_by(1, mark1 - 1), "payload.mrk: mark 1 (" + std::to_string(mark1 - 1) +
                                               ") is not where granule 1 starts in payload.bin (byte " +
                                               std::to_string(mark1) + ")"));
  CHECK(Mentions(damaged_by(0, 5), "payload.mrk: mark 0 (5) is not where granule 0 starts"));
  CHECK(Mentions(damaged_by(2, 0), "payload.mrk: mark 2 (0) is below the mark before it"));
  CHECK(Mentions(damaged_by(3, data_size - 1), "payload.mrk: mark 3 (" + std::to_string(data_size - 1) +
                                                    ") is not where the last granule ends in payload.bin"));
  REQUIRE(CheckPart(dir.File("1_1_0"), KvSchema()).outcome == PartCheck::Outcome::kClean);  // all put back

  fs::resize_file(marks, 3 * sizeof(uint64_t));
  PartCheck check = CheckPart(dir.File("1_1_0"), KvSchema());
  CHECK(check.outcome == PartCheck::Outcome::kDamaged);
  CHECK(Mentions(check.damage, "payload.mrk: 24 bytes, but 3 granules need 32"));
}

TEST_CASE("a part merged away while it is checked is skipped, not reported as damaged", "[store][check]") {
  TempDir dir;
  const std::string partition = dir.File("202512");
  const std::string part = partition + "/1_1_0";
  WriteKvPart(part, 20000);
  // What a server's merge does to a part it replaced: rename it away, then delete it.
  PartCheckHooks merge_mid_check{.before_file = [&](const std::string& file) {
    if (file != "payload.mrk") return;
    fs::rename(part, partition + "/tmp_delete_1_1_0");
    fs::remove_all(partition + "/tmp_delete_1_1_0");
  }};
  PartCheck gone = CheckPart(part, KvSchema(), merge_mid_check);
  CHECK(gone.outcome == PartCheck::Outcome::kMergedAway);
  CHECK_FALSE(fs::exists(part));

  // Same failure with the directory still there and nothing covering it: damaged.
  WriteKvPart(part, 20000);
  PartCheckHooks lose_a_file{.before_file = [&](const std::string& file) {
    if (file == "payload.mrk") fs::remove(part + "/payload.mrk");
  }};
  PartCheck lost = CheckPart(part, KvSchema(), lose_a_file);
  CHECK(lost.outcome == PartCheck::Outcome::kDamaged);
  CHECK(Mentions(lost.damage, "payload.mrk"));
  // A merged part covering it appeared beside it: merged away, whatever is left of it.
  WriteKvPart(partition + "/1_2_1", 100, {1, 2, 1});
  CHECK(CheckPart(part, KvSchema()).outcome == PartCheck::Outcome::kMergedAway);
  CHECK(CheckPart(partition + "/1_2_1", KvSchema()).outcome == PartCheck::Outcome::kClean);
}

TEST_CASE("check streams: what it holds is the largest block, not the part", "[store][check]") {
  TempDir dir;
  WriteKvPart(dir.File("1_1_0"), 50000);
  WriteKvPart(dir.File("2_2_0"), 400000, {2, 2, 0});
  PartCheck small = CheckPart(dir.File("1_1_0"), KvSchema());
  PartCheck big = CheckPart(dir.File("2_2_0"), KvSchema());
  REQUIRE(small.outcome == PartCheck::Outcome::kClean);
  REQUIRE(big.outcome == PartCheck::Outcome::kClean);
  INFO("small " << small.max_buffer_bytes << " of " << small.bytes_read << ", big " << big.max_buffer_bytes << " of "
                << big.bytes_read);
  CHECK(big.bytes_read > 7 * small.bytes_read);
  // Eight times the rows, about the same buffer: a granule's worth (the largest payload
  // granule's chars, compressed and raw), far below a column file of the big part.
  CHECK(big.max_buffer_bytes < small.max_buffer_bytes * 5 / 4);
  CHECK(big.max_buffer_bytes < big.bytes_read / 8);
  CHECK(big.max_buffer_bytes < 2 * kGranuleRows * 64);
}

}  // namespace
}  // namespace hedgerow::store
