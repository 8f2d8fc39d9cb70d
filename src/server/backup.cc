#include "hedgerow/server/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/sqlite.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/store.h"

namespace hedgerow::server {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMarker = "BACKUP.json";

Status FsError(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return Status::IOError(fmt::format("backup: cannot {} {}: {}", what, path.string(), ec.message()));
}

// Hard links `from`'s files into `to` (copies across file systems).
Status LinkFiles(const fs::path& from, const fs::path& to, uint64_t& bytes) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return FsError("create", to, ec);
  for (const fs::directory_entry& file : fs::directory_iterator(from, ec)) {
    if (!file.is_regular_file(ec)) continue;
    const fs::path target = to / file.path().filename();
    fs::create_hard_link(file.path(), target, ec);
    if (ec == std::errc::cross_device_link) fs::copy_file(file.path(), target, ec);
    if (ec) return FsError("link", target, ec);
    bytes += file.file_size(ec);
  }
  if (ec) return FsError("list", from, ec);
  return Status::Ok();
}

// Each table's active parts, and where its consumer resumes in each source partition of its
// topic: past the parts' rows, and past what it committed before the parts were listed (rows
// deleted since, by retention or a mutation, must not come back from the log in the copy).
Status SnapshotStore(log::Log& log, const store::Store& store, const fs::path& source, const fs::path& dest,
                     std::map<std::string, std::map<uint32_t, uint64_t>>& offsets, BackupReport& report) {
  for (const auto& table : store.tables()) {
    const std::string& name = table->schema().name;
    const std::string& topic = table->schema().topic;
    std::map<uint32_t, uint64_t>& ends = offsets[name];
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<log::PartitionInfo> partitions, log.Partitions(topic));
    for (const log::PartitionInfo& p : partitions) {
      HEDGEROW_ASSIGN_OR_RETURN(std::optional<log::Offset> committed,
                                log.Committed(store::ConsumerGroupName(table->schema()), topic, p.partition));
      if (committed) ends[p.partition] = *committed;
    }
    const fs::path table_dir = source / name;
    std::error_code ec;
    fs::create_directories(dest / name, ec);
    if (ec) return FsError("create", dest / name, ec);
    // Table-level files (the shard count of a sharded table).
    for (const fs::directory_entry& file : fs::directory_iterator(table_dir, ec)) {
      if (file.is_regular_file(ec)) fs::copy_file(file.path(), dest / name / file.path().filename(), ec);
      if (ec) return FsError("copy", file.path(), ec);
    }
    // The parts held: a merge cannot delete their directories while we link them.
    store::PartList parts = table->AllParts();
    for (const auto& part : parts) {
      const fs::path relative = fs::relative(part->dir(), source, ec);
      if (ec) return FsError("locate", part->dir(), ec);
      HEDGEROW_RETURN_IF_ERROR(LinkFiles(part->dir(), dest / relative, report.store_bytes));
      for (const auto& [partition, next] : part->meta().log_offsets) ends[partition] = std::max(ends[partition], next);
      ++report.parts;
    }
  }
  return Status::Ok();
}

Status CopySqlite(const fs::path& source, const fs::path& dest) {
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(source.string()));
  HEDGEROW_ASSIGN_OR_RETURN(SqliteStatement vacuum, db->Prepare("VACUUM INTO ?"));
  return vacuum.Bind(1, dest.string()).Run();
}

// In the copy of the log: each store consumer resumes where the copied parts end.
Status RewindStoreConsumers(const fs::path& log_dir, const store::Store& store,
                            const std::map<std::string, std::map<uint32_t, uint64_t>>& offsets) {
  MetricsRegistry metrics;
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<log::Log> log, log::Log::Open({.dir = log_dir.string()}, &metrics));
  std::vector<log::OffsetCommit> commits;
  for (const auto& table : store.tables()) {
    const std::string& topic = table->schema().topic;
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<log::PartitionInfo> partitions, log->Partitions(topic));
    const std::map<uint32_t, uint64_t>& ends = offsets.at(table->schema().name);
    for (const log::PartitionInfo& p : partitions) {
      auto it = ends.find(p.partition);
      const uint64_t next = it == ends.end() ? 0 : it->second;
      if (next < p.start) {
        // Retention deleted records the copied parts do not hold: the copy would miss them.
        return Status::Unavailable(fmt::format(
            "backup: {}/{} starts at offset {}, past the copied parts' {} (retention ran meanwhile); try again",
            topic, p.partition, p.start, next));
      }
      commits.push_back({store::ConsumerGroupName(table->schema()), topic, p.partition, std::max(next, p.start)});
    }
  }
  HEDGEROW_RETURN_IF_ERROR(log->Commit(std::move(commits)));
  log->Close();
  return Status::Ok();
}

Status SyncTree(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("backup: cannot open " + dir.string());
  int rc = ::syncfs(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::IOError("backup: cannot sync " + dir.string());
}

Result<BackupReport> Write(const fs::path& data_dir, log::Log& log, const store::Store& store, const fs::path& dest) {
  const auto started = std::chrono::steady_clock::now();
  BackupReport report;
  std::error_code ec;
  fs::create_directory(dest, ec);
  if (ec) return FsError("create", dest, ec);
  std::map<std::string, std::map<uint32_t, uint64_t>> offsets;
  HEDGEROW_RETURN_IF_ERROR(SnapshotStore(log, store, data_dir / "store", dest / "store", offsets, report));
  HEDGEROW_RETURN_IF_ERROR(CopySqlite(data_dir / "meta.sqlite", dest / "meta.sqlite"));
  HEDGEROW_RETURN_IF_ERROR(CopySqlite(data_dir / "persons.sqlite", dest / "persons.sqlite"));
  HEDGEROW_RETURN_IF_ERROR(log.Checkpoint((dest / "log").string()));
  HEDGEROW_RETURN_IF_ERROR(RewindStoreConsumers(dest / "log", store, offsets));
  HEDGEROW_RETURN_IF_ERROR(SyncTree(dest));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string marker = fmt::format(R"({{"created_at":"{}","parts":{},"store_bytes":{}}})", FormatIso8601Micros(NowMicros()),
                                   report.parts, report.store_bytes);
  {
    std::ofstream out(dest / kMarker, std::ios::binary);
    out << marker << '\n';
    if (!out.flush()) return Status::IOError("backup: cannot write " + (dest / kMarker).string());
  }
  HEDGEROW_RETURN_IF_ERROR(SyncTree(dest));
  return report;
}

}  // namespace

Result<BackupReport> WriteBackup(const std::string& data_dir, log::Log& log, const store::Store& store,
                                 const std::string& dest) {
  const fs::path target(dest);
  if (!target.is_absolute()) return Status::InvalidArgument(fmt::format("backup: \"{}\" is not an absolute path", dest));
  std::error_code ec;
  if (fs::exists(target, ec)) return Status::InvalidArgument(fmt::format("backup: {} exists already; name a new directory", dest));
  if (!fs::is_directory(target.parent_path(), ec)) {
    return Status::InvalidArgument(fmt::format("backup: {} does not exist", target.parent_path().string()));
  }
  Result<BackupReport> report = Write(fs::path(data_dir), log, store, target);
  if (!report.ok()) {
    fs::remove_all(target, ec);  // no half backup left to be mistaken for one
    LogWarn("server", "backup failed", {{"dest", dest}, {"error", report.status().message()}});
    return report.status();
  }
  LogInfo("server", "backup written",
          {{"dest", dest}, {"parts", report->parts}, {"store_bytes", report->store_bytes}, {"seconds", report->seconds}});
  return report;
}

Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir) {
  const fs::path from(backup_dir), to(data_dir);
  std::error_code ec;
  if (!fs::is_regular_file(from / kMarker, ec)) {
    return Status::InvalidArgument(fmt::format("restore: {} is not a complete hedgerow backup (no {})", backup_dir, kMarker));
  }
  if (fs::exists(to, ec) && !fs::is_empty(to, ec)) {
    return Status::InvalidArgument(
        fmt::format("restore: {} is not empty; restore into a new directory (and point --data-dir at it)", data_dir));
  }
  fs::create_directories(to, ec);
  if (ec) return FsError("create", to, ec);
  for (const fs::directory_entry& entry : fs::directory_iterator(from, ec)) {
    if (entry.path().filename() == kMarker) continue;
    fs::copy(entry.path(), to / entry.path().filename(), fs::copy_options::recursive, ec);
    if (ec) return FsError("copy", entry.path(), ec);
  }
  if (ec) return FsError("list", from, ec);
  return SyncTree(to);
}

}  // namespace hedgerow::server
