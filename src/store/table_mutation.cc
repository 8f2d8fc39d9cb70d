// Table::DeleteRows: ALTER TABLE ... DELETE WHERE, part by part.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "hedgerow/common/log.h"
#include "hedgerow/store/table.h"
#include "table_internal.h"

namespace hedgerow::store {
namespace {

constexpr size_t kGranulesPerBlock = 8;
constexpr std::chrono::milliseconds kMergeWait{20};

}  // namespace

Result<uint64_t> Table::DeleteRows(const std::vector<std::string>& columns, const RowPredicate& matches) {
  std::vector<std::string> all;
  for (const ColumnDef& def : schema_.columns) all.push_back(def.name);
  uint64_t deleted = 0;
  for (uint32_t shard = 0; shard < options_.shards; ++shard) {
    // Parts still to look at; a part merged away meanwhile is replaced by the merged one.
    PartList todo = Parts(shard);
    while (!todo.empty()) {
      std::shared_ptr<Part> part = todo.back();
      todo.pop_back();
      Result<Block> read = part->Read(columns, 0, part->meta().granules);
      if (!read.ok()) {
        if (read.status().code() == StatusCode::kCorruption) Quarantine(part, read.status());
        return read.status();
      }
      Block& decide = *read;
      std::vector<bool> drop(decide.rows(), false);
      size_t dropping = 0;
      for (size_t r = 0; r < decide.rows(); ++r) {
        if (matches(decide, r)) {
          drop[r] = true;
          ++dropping;
        }
      }
      if (dropping == 0) continue;
      // Take the part from the merges; if one merged it away, look at what replaced it.
      bool gone = false;
      while (true) {
        std::unique_lock<std::mutex> lock(mu_);
        const PartList& list = shards_[shard];
        if (std::find(list.begin(), list.end(), part) == list.end()) {
          gone = true;
          break;
        }
        if (merging_.count(part.get()) == 0) {
          merging_.insert(part.get());
          break;
        }
        lock.unlock();
        std::this_thread::sleep_for(kMergeWait);
      }
      if (gone) {
        PartList now = Parts(shard);
        for (const auto& p : now) {
          if (p->meta().partition == part->meta().partition && p->meta().name.Covers(part->meta().name)) todo.push_back(p);
        }
        continue;
      }
      auto release = [&] {
        std::lock_guard<std::mutex> lock(mu_);
        merging_.erase(part.get());
      };
      PartMeta meta;
      meta.table = schema_.name;
      meta.shard = shard;
      meta.partition = part->meta().partition;
      meta.name = {part->meta().name.min_block, part->meta().name.max_block, part->meta().name.level + 1};
      meta.log_offsets = part->meta().log_offsets;
      const std::string dir = PartitionDir(shard, meta.partition);
      const std::string tmp = dir + "/tmp_mutate_" + meta.name.ToString();
      const std::string final_dir = dir + "/" + meta.name.ToString();
      std::error_code ec;
      std::filesystem::remove_all(tmp, ec);
      // The kept rows, in their order (still sorted), a few granules at a time. A part left with
      // no rows is still written: it covers the original on disk, so a crash before the original's
      // directory is removed cannot bring the deleted rows back; merges fold it away.
      Status corrupt = Status::Ok();  // a read of the part that failed its checksum
      Status written = [&]() -> Status {
        HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PartWriter> writer, PartWriter::Create(tmp, schema_));
        size_t row = 0;
        for (size_t g = 0; g < part->meta().granules && dropping < decide.rows(); g += kGranulesPerBlock) {
          Result<Block> read_all = part->Read(all, g, std::min(part->meta().granules, g + kGranulesPerBlock));
          if (!read_all.ok()) {
            if (read_all.status().code() == StatusCode::kCorruption) corrupt = read_all.status();
            return read_all.status();
          }
          Block& rows = *read_all;
          std::vector<uint32_t> keep;
          for (size_t r = 0; r < rows.rows(); ++r, ++row) {
            if (!drop[row]) keep.push_back(static_cast<uint32_t>(r));
          }
          if (keep.empty()) continue;
          Block kept = rows.EmptyLike();
          kept.AppendRows(rows, keep);
          HEDGEROW_RETURN_IF_ERROR(writer->Append(kept, EvaluateKey(schema_, kept)));
        }
        return writer->Finish(meta);
      }();
      Result<std::shared_ptr<Part>> replacement =
          written.ok() ? InstallRewrittenPart(tmp, final_dir, schema_) : Result<std::shared_ptr<Part>>(written);
      if (!replacement.ok()) {
        std::filesystem::remove_all(tmp, ec);
        release();
        if (!corrupt.ok()) Quarantine(part, corrupt);
        return replacement.status();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        PartList& list = shards_[shard];
        list.erase(std::remove(list.begin(), list.end(), part), list.end());
        part->MarkObsolete();  // deleted when the last scan holding it finishes
        merging_.erase(part.get());
        list.insert(std::upper_bound(list.begin(), list.end(), *replacement, PartOrder), *replacement);
      }
      deleted += dropping;
      LogInfo("store", "deleted rows from a part",
              {{"table", schema_.name}, {"shard", static_cast<uint64_t>(shard)}, {"part", part->meta().name.ToString()},
               {"rows_deleted", static_cast<uint64_t>(dropping)}, {"rows_left", meta.rows}});
    }
  }
  return deleted;
}

}  // namespace hedgerow::store
