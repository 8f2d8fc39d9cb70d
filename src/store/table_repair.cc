// Damaged parts: set aside (quarantined) and their rows inserted again from the log.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hedgerow/common/log.h"
#include "hedgerow/store/table.h"
#include "block_io.h"
#include "table_internal.h"

namespace hedgerow::store {
namespace fs = std::filesystem;

namespace {
// One line per damaged part's place: "<shard> <partition>".
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

RebuildScope Table::RebuildFromLogScope() const {
  RebuildScope scope;
  std::ifstream in(fs::path(options_.dir) / kRebuildMarker);
  uint32_t shard = 0;
  std::string partition;
  while (in >> shard >> partition) scope.emplace(shard, partition);
  return scope;
}

Status Table::RequestRebuildFromLog(uint32_t shard, const std::string& partition) const {
  RebuildScope scope = RebuildFromLogScope();
  scope.emplace(shard, partition);
  std::string text;
  for (const auto& [s, p] : scope) text += std::to_string(s) + " " + p + "\n";
  // Replaced whole (written aside, then renamed): a crash never leaves half a scope.
  const std::string marker = (fs::path(options_.dir) / kRebuildMarker).string();
  HEDGEROW_RETURN_IF_ERROR(WriteFileDurably(marker + ".tmp", text));
  return RenameDurably(marker + ".tmp", marker);
}

void Table::FinishRebuildFromLog() const {
  // Under mu_: a part quarantined meanwhile extended the marker and raised the request, and
  // its rows are not back yet.
  std::lock_guard<std::mutex> lock(mu_);
  if (rebuild_requested_) return;
  std::error_code ec;
  fs::remove(fs::path(options_.dir) / kRebuildMarker, ec);
  if (ec) return;
  // Not durable, a crash may bring the marker back: one more rebuild, which is harmless.
  if (Status s = SyncDirectory(options_.dir); !s.ok()) {
    LogWarn("store", "cannot sync the table directory after a rebuild", {{"error", s.message()}});
  }
}

bool Table::RebuildsFromLog() const { return schema_.engine == Engine::kReplacingMergeTree; }

void Table::Quarantine(const std::shared_ptr<Part>& part, const Status& why) const {
  // Another process's read-only view (hedgerow export) reports the damage, and leaves the
  // part to the server that owns the directory.
  if (options_.read_only) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    PartList& list = shards_[part->meta().shard];
    auto it = std::find(list.begin(), list.end(), part);
    if (it == list.end()) return;  // merged away, or set aside by another reader already
    if (RebuildsFromLog()) {
      // The marker first: a crash after the part is gone but before the marker would lose its rows.
      if (Status marked = RequestRebuildFromLog(part->meta().shard, part->meta().partition); !marked.ok()) {
        LogError("store", "cannot record a rebuild from the log; the damaged part stays",
                 {{"table", schema_.name}, {"part", part->dir()}, {"error", marked.message()}});
        return;
      }
      rebuild_requested_ = true;
    }
    list.erase(it);
    damaged_.emplace_back(part->dir(), why);
  }
  const fs::path dir(part->dir());
  std::error_code ec;
  fs::rename(dir, dir.parent_path() / ("broken_" + dir.filename().string()), ec);
  LogError("store",
           RebuildsFromLog() ? "damaged part set aside; its rows will be inserted again from the log"
                             : "damaged part set aside; its rows are lost (a MergeTree table would keep a rebuild's duplicates)",
           {{"table", schema_.name}, {"part", part->dir()}, {"error", why.message()}});
}

void Table::QuarantineDamaged(const PartList& parts, const Status& s) const {
  if (s.code() != StatusCode::kCorruption) return;
  for (const auto& part : parts) {
    if (Status verified = part->Verify(); verified.code() == StatusCode::kCorruption) Quarantine(part, verified);
  }
}

}  // namespace hedgerow::store
