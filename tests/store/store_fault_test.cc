// Fault injection through the store's file seam (hedgerow/store/file_faults.h): every create,
// write and fsync of an insert, a merge and a mutation fails in turn with ENOSPC and with EIO,
// and every read of a scan with EIO. Each time the operation must fail cleanly (no part, no
// temporary directory, no row lost or doubled) and succeed when retried on a healthy disk; a
// read error must not be taken for damage.
#include "hedgerow/store/file_faults.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "hedgerow/store/table.h"
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

// Fails the `target`-th (from 0) create, write or fsync with `error`; counts them all.
struct FailNthWrite {
  int target;
  int error;
  std::atomic<int> seen{0};
  std::atomic<int> failed{0};
  std::string failed_path;  // for the test's messages
  int operator()(FileOp op, const std::string& path) {
    if (op == FileOp::kRead) return 0;
    if (seen++ != target) return 0;
    ++failed;
    failed_path = path;
    return error;
  }
};

Result<Block> TryScanAll(const Table& table, bool final) {
  ScanRequest request{.columns = {"team_id", "key", "payload", "version"}, .final = final};
  Block all;
  std::mutex mu;
  Status s = table.Scan(request, [&](uint32_t, Block&& b) {
    std::lock_guard<std::mutex> lock(mu);
    if (all.columns.empty()) all = b.EmptyLike();
    all.AppendRange(b, 0, b.rows());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return all;
}

// Directories and files an aborted operation must not leave: temporary parts and manifests.
std::vector<std::string> Leftovers(const std::string& dir) {
  std::vector<std::string> left;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("tmp_", 0) == 0 || name.rfind("insert.manifest", 0) == 0) left.push_back(e.path().string());
  }
  return left;
}

// Rows in December and January: an insert writes two parts.
std::vector<KvRow> Rows(int first, int n) {
  const int64_t dec = 1764547200LL * 1000000, jan = dec + 31LL * 86400 * 1000000;
  std::vector<KvRow> rows;
  for (int i = first; i < first + n; ++i) {
    rows.push_back({1, "key-" + std::to_string(i), i % 2 ? jan : dec, static_cast<uint64_t>(i % 3),
                    "payload " + std::to_string(i)});
  }
  return rows;
}

// How many creates, writes and fsyncs `op` makes on a healthy disk.
template <class Op>
int CountWrites(Op op) {
  FailNthWrite count{.target = -1, .error = 0};
  ScopedFileFaults faults([&](FileOp o, const std::string& p) { return count(o, p); });
  op();
  return count.seen.load();
}

TEST_CASE("an insert whose create, write or fsync fails leaves nothing, and its retry writes every row once",
          "[store][faults]") {
  const std::vector<KvRow> first = Rows(0, 40), second = Rows(40, 40);
  const int writes = CountWrites([&] {
    TempDir dir;
    auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(table.ok());
    REQUIRE((*table)->Insert(KvBlock(second), {{0, 80}}).ok());
  });
  REQUIRE(writes >= 20);  // 2 parts × (5 columns × data and marks, primary index, meta) and syncs
  for (int error : {ENOSPC, EIO}) {
    for (int target = 0; target < writes; ++target) {
      CAPTURE(error, target);
      TempDir dir;
      auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
      REQUIRE(table.ok());
      REQUIRE((*table)->Insert(KvBlock(first), {{0, 40}}).ok());
      {
        FailNthWrite fail{.target = target, .error = error};
        ScopedFileFaults faults([&](FileOp o, const std::string& p) { return fail(o, p); });
        Status s = (*table)->Insert(KvBlock(second), {{0, 80}});
        REQUIRE(fail.failed == 1);
        CAPTURE(fail.failed_path, s.ToString());
        CHECK(s.code() == StatusCode::kIOError);
        CHECK(s.message().find(std::strerror(error)) != std::string::npos);
      }
      CHECK((*table)->AllParts().size() == 2);  // the first insert's
      CHECK(Leftovers(dir.File("kv")) == std::vector<std::string>{});
      CHECK((*table)->LogOffsets() == std::map<uint32_t, uint64_t>{{0, 40}});
      REQUIRE((*table)->Insert(KvBlock(second), {{0, 80}}).ok());
      std::vector<KvRow> all = first;
      all.insert(all.end(), second.begin(), second.end());
      auto rows = TryScanAll(**table, false);
      REQUIRE(rows.ok());
      CHECK(rows->rows() == all.size());  // no row twice, even without FINAL
      // And the same after a restart.
      table->reset();
      auto reopened = Table::Open(KvSchema(), {.dir = dir.File("kv")});
      REQUIRE(reopened.ok());
      auto again = TryScanAll(**reopened, false);
      REQUIRE(again.ok());
      CHECK(again->rows() == all.size());
      CHECK(ToMap(*again) == ReferenceDedup(all));
      CHECK((*reopened)->damaged().empty());
    }
  }
}

// Three parts of one partition.
std::vector<KvRow> FillThreeParts(Table& table) {
  std::vector<KvRow> all;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<KvRow> rows = Rows(batch * 30, 30);
    for (KvRow& r : rows) r.ts = 1764547200LL * 1000000;
    REQUIRE(table.Insert(KvBlock(rows), {}).ok());
    all.insert(all.end(), rows.begin(), rows.end());
  }
  return all;
}

bool IsCopyOf(const Result<Block>& rows, const std::vector<KvRow>& inserted) {
  return rows.ok() && ToMap(*rows) == ReferenceDedup(inserted);
}

TEST_CASE("a merge whose create, write or fsync fails keeps its sources, and merges when retried", "[store][faults]") {
  int writes = 0;
  {
    TempDir dir;
    auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(table.ok());
    FillThreeParts(**table);
    writes = CountWrites([&] { REQUIRE((*table)->MergeAll().ok()); });
  }
  REQUIRE(writes >= 10);
  for (int error : {ENOSPC, EIO}) {
    for (int target = 0; target < writes; ++target) {
      CAPTURE(error, target);
      TempDir dir;
      auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
      REQUIRE(table.ok());
      const std::vector<KvRow> all = FillThreeParts(**table);
      {
        FailNthWrite fail{.target = target, .error = error};
        ScopedFileFaults faults([&](FileOp o, const std::string& p) { return fail(o, p); });
        Status s = (*table)->MergeAll();
        REQUIRE(fail.failed == 1);
        CAPTURE(fail.failed_path, s.ToString());
        CHECK(s.code() == StatusCode::kIOError);
      }
      CHECK((*table)->AllParts().size() == 3);
      CHECK(Leftovers(dir.File("kv")).empty());
      CHECK(IsCopyOf(TryScanAll(**table, true), all));
      Status retried = (*table)->MergeAll();
      CAPTURE(retried.ToString());
      REQUIRE(retried.ok());
      CHECK((*table)->AllParts().size() == 1);
      CHECK(IsCopyOf(TryScanAll(**table, true), all));
      table->reset();
      auto reopened = Table::Open(KvSchema(), {.dir = dir.File("kv")});
      REQUIRE(reopened.ok());
      CHECK((*reopened)->AllParts().size() == 1);
      CHECK(IsCopyOf(TryScanAll(**reopened, true), all));
    }
  }
}

TEST_CASE("a mutation whose create, write or fsync fails deletes nothing, and deletes when retried", "[store][faults]") {
  // ALTER TABLE kv DELETE WHERE key ends in 0
  const auto ends_in_zero = [](const Block& rows, size_t row) { return rows.columns[0].StringAt(row).back() == '0'; };
  int writes = 0;
  {
    TempDir dir;
    auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
    REQUIRE(table.ok());
    FillThreeParts(**table);
    writes = CountWrites([&] { REQUIRE((*table)->DeleteRows({"key"}, ends_in_zero).ok()); });
  }
  REQUIRE(writes >= 10);
  for (int error : {ENOSPC, EIO}) {
    for (int target = 0; target < writes; ++target) {
      CAPTURE(error, target);
      TempDir dir;
      auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
      REQUIRE(table.ok());
      std::vector<KvRow> all = FillThreeParts(**table);
      {
        FailNthWrite fail{.target = target, .error = error};
        ScopedFileFaults faults([&](FileOp o, const std::string& p) { return fail(o, p); });
        auto deleted = (*table)->DeleteRows({"key"}, ends_in_zero);
        REQUIRE(fail.failed == 1);
        CAPTURE(fail.failed_path);
        REQUIRE_FALSE(deleted.ok());
        CHECK(deleted.status().code() == StatusCode::kIOError);
      }
      CHECK(Leftovers(dir.File("kv")).empty());
      // A part rewritten before the failure lost its rows; the others keep theirs. Either
      // way no row is doubled and none that should stay is gone.
      auto partial = TryScanAll(**table, false);
      REQUIRE(partial.ok());
      bool duplicate = false;
      auto seen = ToMap(*partial, &duplicate);
      CHECK_FALSE(duplicate);
      for (const KvRow& r : all) {
        if (r.key.back() != '0') CHECK(seen.count({r.team_id, r.key}) == 1);
      }
      auto deleted = (*table)->DeleteRows({"key"}, ends_in_zero);
      CAPTURE(deleted.status().ToString());
      REQUIRE(deleted.ok());
      std::erase_if(all, [](const KvRow& r) { return r.key.back() == '0'; });
      CHECK(IsCopyOf(TryScanAll(**table, false), all));
      CHECK(TryScanAll(**table, false)->rows() == all.size());
    }
  }
}

TEST_CASE("a read error fails the scan without marking the part damaged, and the next scan reads every row",
          "[store][faults]") {
  TempDir dir;
  auto table = Table::Open(KvSchema(), {.dir = dir.File("kv")});
  REQUIRE(table.ok());
  const std::vector<KvRow> all = FillThreeParts(**table);
  int reads = 0;
  {
    ScopedFileFaults faults([&](FileOp op, const std::string&) { return op == FileOp::kRead ? (++reads, 0) : 0; });
    REQUIRE(IsCopyOf(TryScanAll(**table, true), all));
  }
  REQUIRE(reads >= 3);
  for (int target = 0; target < reads; ++target) {
    CAPTURE(target);
    {
      std::atomic<int> seen{0};
      ScopedFileFaults faults([&](FileOp op, const std::string&) {
        return op == FileOp::kRead && seen++ == target ? EIO : 0;
      });
      auto rows = TryScanAll(**table, true);
      REQUIRE_FALSE(rows.ok());
      CHECK(rows.status().code() == StatusCode::kIOError);
    }
    CHECK((*table)->damaged().empty());
    CHECK((*table)->AllParts().size() == 3);
    CHECK_FALSE((*table)->RebuildFromLogPending());
    CHECK(IsCopyOf(TryScanAll(**table, true), all));
  }
  for (const auto& e : fs::directory_iterator(dir.File("kv") + "/0/202512")) {
    CHECK(e.path().filename().string().rfind("broken_", 0) != 0);
  }
}

}  // namespace
}  // namespace hedgerow::store
