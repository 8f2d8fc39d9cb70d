// Damaged parts: set aside (quarantined) and their rows inserted again from the log.

#include <algorithm>
#include <filesystem>

#include "hedgerow/common/log.h"
#include "hedgerow/store/table.h"
#include "block_io.h"
#include "table_internal.h"

namespace hedgerow::store {
namespace fs = std::filesystem;

namespace {
constexpr const char* kRebuildMarker = "rebuild_from_log";
}  // namespace

std::vector<std::pair<std::string, Status>> Table::damaged() const {
  std::lock_guard<std::mutex> lock(mu_);
  return damaged_;
}

bool Table::RebuildFromLogPending() const {
  std::error_code ec;
  return fs::exists(fs::path(options_.dir) / kRebuildMarker, ec);
}

Status Table::RequestRebuildFromLog() const {
  const fs::path marker = fs::path(options_.dir) / kRebuildMarker;
  FileSyncBatch durable;
  HEDGEROW_RETURN_IF_ERROR(durable.Write(marker.string(), "the table's consumer inserts its topic again from the log's start\n"));
  HEDGEROW_RETURN_IF_ERROR(durable.SyncAll());
  return SyncDirectory(options_.dir);
}

void Table::FinishRebuildFromLog() const {
  std::error_code ec;
  fs::remove(fs::path(options_.dir) / kRebuildMarker, ec);
  if (!ec) SyncDirectory(options_.dir);
}

void Table::Quarantine(const std::shared_ptr<Part>& part, const Status& why) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    PartList& list = shards_[part->meta().shard];
    auto it = std::find(list.begin(), list.end(), part);
    if (it == list.end()) return;  // merged away, or set aside by another reader already
    // The marker first: a crash after the part is gone but before the marker would lose its rows.
    if (Status marked = RequestRebuildFromLog(); !marked.ok()) {
      LogError("store", "cannot record a rebuild from the log; the damaged part stays",
               {{"table", schema_.name}, {"part", part->dir()}, {"error", marked.message()}});
      return;
    }
    list.erase(it);
    damaged_.emplace_back(part->dir(), why);
  }
  const fs::path dir(part->dir());
  std::error_code ec;
  fs::rename(dir, dir.parent_path() / ("broken_" + dir.filename().string()), ec);
  rebuild_requested_ = true;
  LogError("store", "damaged part set aside; its rows will be inserted again from the log",
           {{"table", schema_.name}, {"part", part->dir()}, {"error", why.message()}});
}

void Table::QuarantineDamaged(const PartList& parts, const Status& s) const {
  if (s.code() != StatusCode::kCorruption) return;
  for (const auto& part : parts) {
    if (Status verified = part->Verify(); verified.code() == StatusCode::kCorruption) Quarantine(part, verified);
  }
}

}  // namespace hedgerow::store
