// The log under injected I/O errors: RocksDB writes through a file system that fails chosen
// WAL appends and syncs with EIO or ENOSPC. An append that hit one fails with kUnavailable
// (nothing acknowledged that is not durable); after ENOSPC the log resumes by itself, after
// EIO (fatal to RocksDB) once opened again; every acknowledged record reads back, in order.

#include <rocksdb/file_system.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>

#include "hedgerow/log/log.h"
#include "support/temp_dir.h"

namespace hedgerow::log {
namespace {

using hedgerow::testing::TempDir;

// Fails the next `fail_appends` appends and `fail_syncs` syncs of WAL files (*.log).
class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  std::atomic<int> fail_appends{0};
  std::atomic<int> fail_syncs{0};
  std::atomic<bool> no_space{false};  // ENOSPC instead of EIO
  std::atomic<int> injected{0};

  rocksdb::IOStatus Fault() {
    ++injected;
    return no_space ? rocksdb::IOStatus::NoSpace("injected ENOSPC") : rocksdb::IOStatus::IOError("injected EIO");
  }
  static bool Take(std::atomic<int>& budget) {
    int left = budget.load();
    while (left > 0) {
      if (budget.compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && name.size() > 4 && name.substr(name.size() - 4) == ".log") {
      *result = std::make_unique<FaultyFile>(std::move(*result), this);
    }
    return s;
  }

 private:
  class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    FaultyFile(std::unique_ptr<rocksdb::FSWritableFile>&& file, FaultyFileSystem* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (Take(fs_->fail_appends)) return fs_->Fault();
      return FSWritableFileOwnerWrapper::Append(data, o, d);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o, const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* d) override {
      if (Take(fs_->fail_appends)) return fs_->Fault();
      return FSWritableFileOwnerWrapper::Append(data, o, v, d);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (Take(fs_->fail_syncs)) return fs_->Fault();
      return FSWritableFileOwnerWrapper::Sync(o, d);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (Take(fs_->fail_syncs)) return fs_->Fault();
      return FSWritableFileOwnerWrapper::Fsync(o, d);
    }

   private:
    FaultyFileSystem* fs_;
  };
};

std::vector<std::string> ReadAll(Log& log) {
  std::vector<std::string> out;
  auto f = log.Fetch("t", 0, log.Partitions("t")->at(0).start, 1000000, 1 << 30);
  REQUIRE(f.ok());
  for (auto& r : f->records) out.push_back(r.record.value);
  return out;
}

// How far `read` holds the acknowledged records, in order (a failed append may also have
// landed: its client would send it again; nothing acknowledged may be missing).
size_t AckedFound(const std::vector<std::string>& read, const std::vector<std::string>& acked) {
  size_t next = 0;
  for (const std::string& v : read) {
    if (next < acked.size() && v == acked[next]) ++next;
  }
  return next;
}

// Appends `value` as a client does: sent again until acknowledged, for `patience` at most.
bool AppendPatiently(Log& log, const std::string& value, std::chrono::milliseconds patience, int& failed) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    auto appended = log.AppendAndWait({{"t", 0, {"k", value, 0, {}}}});
    if (appended.ok()) return true;
    CHECK(appended.status().code() == StatusCode::kUnavailable);
    ++failed;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// A log in `dir` writing through `fs`, with the one-partition topic "t".
std::unique_ptr<Log> OpenWithTopic(const TempDir& dir, const std::shared_ptr<FaultyFileSystem>& fs) {
  auto opened = Log::Open({.dir = dir.File("log"), .file_system = fs}, nullptr);
  REQUIRE(opened.ok());
  REQUIRE((*opened)->CreateTopic({.name = "t", .partitions = 1}).ok());
  return std::move(*opened);
}

TEST_CASE("a full disk (ENOSPC) fails the appends it hits and the log resumes by itself", "[log][fault]") {
  TempDir dir;
  auto fs = std::make_shared<FaultyFileSystem>();
  fs->no_space = true;
  std::vector<std::string> acked;
  int failed = 0;
  {
    std::unique_ptr<Log> opened = OpenWithTopic(dir, fs);
    Log& log = *opened;
    for (int i = 0; i < 60; ++i) {
      if (i % 10 == 3) fs->fail_appends = 1;
      if (i % 10 == 7) fs->fail_syncs = 1;
      const std::string value = "v" + std::to_string(i);
      REQUIRE(AppendPatiently(log, value, std::chrono::seconds(5), failed));
      acked.push_back(value);
    }
    CHECK(fs->injected == 12);
    CHECK(failed >= 12);
    CHECK(log.Health().ok());
    CHECK(AckedFound(ReadAll(log), acked) == acked.size());
  }
  auto reopened = Log::Open({.dir = dir.File("log")}, nullptr);
  REQUIRE(reopened.ok());
  CHECK(AckedFound(ReadAll(**reopened), acked) == acked.size());
}

TEST_CASE("an EIO on the WAL refuses appends until the log is opened again, and loses nothing acknowledged",
          "[log][fault]") {
  TempDir dir;
  auto fs = std::make_shared<FaultyFileSystem>();
  std::vector<std::string> acked;
  int failed = 0;
  {
    std::unique_ptr<Log> opened = OpenWithTopic(dir, fs);
    Log& log = *opened;
    for (int i = 0; i < 5; ++i) {
      REQUIRE(AppendPatiently(log, "v" + std::to_string(i), std::chrono::seconds(5), failed));
      acked.push_back("v" + std::to_string(i));
    }
    fs->fail_appends = 1;
    // RocksDB takes an I/O error on its WAL as fatal: no append goes through any more.
    CHECK_FALSE(AppendPatiently(log, "lost", std::chrono::milliseconds(300), failed));
    CHECK(fs->injected == 1);
    CHECK(log.Health().code() == StatusCode::kUnavailable);
    CHECK(AckedFound(ReadAll(log), acked) == acked.size());  // reads still work
  }
  auto reopened = Log::Open({.dir = dir.File("log")}, nullptr);
  REQUIRE(reopened.ok());
  CHECK(AckedFound(ReadAll(**reopened), acked) == acked.size());
  CHECK((*reopened)->Health().ok());
  REQUIRE(AppendPatiently(**reopened, "after", std::chrono::seconds(5), failed));
  CHECK(ReadAll(**reopened).back() == "after");
}

}  // namespace
}  // namespace hedgerow::log
