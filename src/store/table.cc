#include "hedgerow/store/table.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "block_io.h"
#include "merged_rows.h"
#include "table_internal.h"
#include "hedgerow/common/hash.h"
#include "hedgerow/common/log.h"

namespace hedgerow::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* kManifest = "insert.manifest";
constexpr const char* kShardsFile = "shards";  // the shard count of a sharded table, fixed at its first open
// A scan's block: up to this many rows, and granules whose columns hold up to this many
// compressed bytes (~10x in memory for JSON), as ClickHouse's preferred_block_size_bytes
// keeps a block of wide rows small: 65,536 rows of properties took ~200 MB per shard.
constexpr size_t kScanBlockRows = 65536;
constexpr uint64_t kScanBlockCompressedBytes = 2u << 20;
// A merge writes its output in blocks of this many rows (a granule of wide rows is fewer).
constexpr size_t kMergeBlockRows = 1024;
// Sources of one `store merge` pass: each holds a granule of rows in memory.
constexpr size_t kMaxPartsPerFullMerge = 100;

std::string PartitionId(std::optional<uint32_t> value) { return value ? std::to_string(*value) : "all"; }

// Runs fn(i) for i in [0, n) on up to two threads: the machine we target has two cores.
Status ParallelFor(size_t n, const std::function<Status(size_t)>& fn) {
  if (n <= 1) return n == 1 ? fn(0) : Status::Ok();
  std::vector<Status> results(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) results[i] = fn(i);
  };
  std::thread helper(worker);
  worker();
  helper.join();
  for (Status& s : results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}


// Completes an insert that crashed between its manifest and its renames: every part the
// manifest names was fsync'd before the manifest was written.
Status RedoManifest(const std::string& table_dir) {
  std::string path = table_dir + "/" + kManifest;
  if (!fs::exists(path)) return Status::Ok();
  HEDGEROW_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  std::istringstream lines(text);
  std::string from, to;
  while (lines >> from >> to) {
    if (fs::exists(table_dir + "/" + from)) HEDGEROW_RETURN_IF_ERROR(RenameDurably(table_dir + "/" + from, table_dir + "/" + to));
  }
  fs::remove(path);
  LogInfo("store", "completed an interrupted insert", {{"table_dir", table_dir}});
  return SyncDirectory(table_dir);
}

}  // namespace

bool PartOrder(const std::shared_ptr<Part>& a, const std::shared_ptr<Part>& b) {
  if (a->meta().partition != b->meta().partition) return a->meta().partition < b->meta().partition;
  return a->meta().name.min_block < b->meta().name.min_block;
}

Status RenameDurably(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return Status::IOError("cannot rename " + from + " to " + to + ": " + ec.message());
  return SyncDirectory(fs::path(to).parent_path().string());
}

Result<std::shared_ptr<Part>> InstallRewrittenPart(const std::string& tmp, const std::string& final_dir,
                                                   const TableSchema& schema) {
  std::error_code ec;
  fs::rename(tmp, final_dir, ec);
  if (ec) return Status::IOError("cannot rename " + tmp + " to " + final_dir + ": " + ec.message());
  Status synced = SyncDirectory(fs::path(final_dir).parent_path().string());
  Result<std::shared_ptr<Part>> part = synced.ok() ? Part::Open(final_dir, schema) : Result<std::shared_ptr<Part>>(synced);
  if (!part.ok()) fs::remove_all(final_dir, ec);
  return part;
}

Result<std::unique_ptr<Table>> Table::Open(const TableSchema& schema, TableOptions options) {
  if (!schema.sharded) options.shards = 1;
  std::unique_ptr<Table> table(new Table(schema, std::move(options)));
  try {
    HEDGEROW_RETURN_IF_ERROR(table->Load());
  } catch (const std::exception& e) {
    // std::filesystem throws when a directory vanishes mid-listing (a running server's
    // merge, under `store check`), or for a shard directory named past 2^32.
    return Status::IOError("store: cannot load " + table->options_.dir + ": " + e.what());
  }
  return table;
}

std::string Table::PartitionDir(uint32_t shard, const std::string& partition) const {
  return options_.dir + "/" + std::to_string(shard) + "/" + partition;
}

Status Table::Load() {
  std::error_code ec;
  const bool detect_shards = options_.shards == 0;
  if (!options_.read_only) {
    fs::create_directories(options_.dir, ec);
    if (ec) return Status::IOError("cannot create " + options_.dir + ": " + ec.message());
    HEDGEROW_RETURN_IF_ERROR(RedoManifest(options_.dir));
  }
  if (fs::exists(options_.dir)) {
    for (const auto& entry : fs::directory_iterator(options_.dir)) {
      if (!entry.is_directory()) continue;
      const std::string name = entry.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      uint32_t shard = static_cast<uint32_t>(std::stoul(name));
      if (!fs::is_empty(entry.path())) on_disk_shards_ = std::max(on_disk_shards_, shard + 1);
      if (detect_shards) {
        options_.shards = std::max(options_.shards, shard + 1);
      } else if (shard >= options_.shards) {
        return Status::InvalidArgument("store table " + schema_.name + " has shard " + name + " on disk but shards is " +
                                       std::to_string(options_.shards) + ": shards cannot change for a data dir");
      }
    }
  }
  options_.shards = std::max<uint32_t>(options_.shards, 1);
  if (schema_.sharded) HEDGEROW_RETURN_IF_ERROR(CheckShardCount(detect_shards));
  shards_.assign(options_.shards, {});
  uint64_t max_block = 0;
  for (uint32_t shard = 0; shard < options_.shards; ++shard) {
    fs::path shard_dir = fs::path(options_.dir) / std::to_string(shard);
    if (!fs::exists(shard_dir)) continue;
    PartList loaded;
    struct FailedPart {
      std::string partition;
      PartName name;
      fs::path path;
      Status status;
    };
    std::vector<FailedPart> failed;
    for (const auto& partition : fs::directory_iterator(shard_dir)) {
      if (!partition.is_directory()) continue;
      for (const auto& entry : fs::directory_iterator(partition.path())) {
        std::string name = entry.path().filename().string();
        if (name.rfind("tmp_", 0) == 0) {
          if (!options_.read_only) fs::remove_all(entry.path(), ec);
          continue;
        }
        if (name.rfind("broken_", 0) == 0) {
          damaged_.emplace_back(entry.path().string(), Status::Corruption("set aside as damaged at an earlier start"));
          continue;
        }
        if (!PartName::Parse(name)) continue;  // not ours
        auto part = Part::Open(entry.path().string(), schema_);
        // A running server may merge a part away while we read the directory: gone is not damaged.
        if (!part.ok() && !fs::exists(entry.path())) continue;
        if (!part.ok()) {
          failed.push_back({partition.path().filename().string(), *PartName::Parse(name), entry.path(), part.status()});
          continue;
        }
        max_block = std::max(max_block, (*part)->meta().name.max_block);
        loaded.push_back(std::move(*part));
      }
    }
    for (const FailedPart& f : failed) {
      bool covered = std::any_of(loaded.begin(), loaded.end(), [&](const std::shared_ptr<Part>& q) {
        return q->meta().partition == f.partition && q->meta().name.Covers(f.name);
      });
      if (covered) {  // merged away already: what is left of it does not matter
        if (!options_.read_only) fs::remove_all(f.path, ec);
        continue;
      }
      damaged_.emplace_back(f.path.string(), f.status);
      LogError("store", "damaged part set aside", {{"part", f.path.string()}, {"error", f.status.message()}});
      if (options_.read_only) continue;
      if (RebuildsFromLog()) {
        // Not renamed unless the rebuild is recorded: the next start finds the part again.
        if (Status marked = RequestRebuildFromLog(shard, f.partition); !marked.ok()) {
          LogError("store", "cannot record a rebuild from the log", {{"part", f.path.string()}, {"error", marked.message()}});
          continue;
        }
      }
      fs::rename(f.path, f.path.parent_path() / ("broken_" + f.path.filename().string()), ec);
    }
    // A part covered by another in its partition was merged away before a crash removed it.
    PartList active;
    for (const auto& p : loaded) {
      bool covered = std::any_of(loaded.begin(), loaded.end(), [&](const std::shared_ptr<Part>& q) {
        return q->meta().partition == p->meta().partition && q->meta().name.Covers(p->meta().name);
      });
      if (!covered) {
        active.push_back(p);
      } else if (!options_.read_only) {
        p->MarkObsolete();
      }
    }
    std::sort(active.begin(), active.end(), PartOrder);
    shards_[shard] = std::move(active);
  }
  next_block_ = max_block + 1;
  return Status::Ok();
}

Status Table::CheckShardCount(bool detect) {
  // Rows are routed by sipHash64(distinct_id) % shards: with another count, one id's rows
  // would live in two shards and FINAL could not deduplicate them. The first open records
  // the count; later opens must agree (resharding is not supported yet).
  const std::string path = options_.dir + "/" + kShardsFile;
  const std::string wanted = std::to_string(options_.shards);
  if (fs::exists(path)) {
    HEDGEROW_ASSIGN_OR_RETURN(std::string recorded, ReadWholeFile(path));
    while (!recorded.empty() && recorded.back() == '\n') recorded.pop_back();
    if (detect && !recorded.empty() && recorded.size() < 4 && recorded.find_first_not_of("0123456789") == std::string::npos) {
      options_.shards = std::max<uint32_t>(options_.shards, static_cast<uint32_t>(std::stoul(recorded)));
      return Status::Ok();
    }
    if (recorded != wanted) {
      return Status::InvalidArgument(fmt::format("store table {} was created with {} shards; it cannot be opened "
                                                 "with {} (set shards = {}; resharding is not supported)",
                                                 schema_.name, recorded, wanted, recorded));
    }
    return Status::Ok();
  }
  if (options_.read_only || detect) return Status::Ok();
  // Written by a version that did not record the count: the shard directories tell as much
  // as can be known (Load refused more of them already).
  if (on_disk_shards_ != 0 && on_disk_shards_ != options_.shards) {
    return Status::InvalidArgument(fmt::format("store table {} has data in {} shards; it cannot be opened with {} "
                                               "(set shards = {}; resharding is not supported)",
                                               schema_.name, on_disk_shards_, wanted, on_disk_shards_));
  }
  return WriteFileDurably(path, wanted + "\n");
}

Status Table::Insert(const Block& rows, const std::map<uint32_t, uint64_t>& log_offsets, const RebuildScope* scope) {
  if (options_.read_only) return Status::InvalidArgument("table opened read-only");
  std::lock_guard<std::mutex> insert_lock(insert_mu_);
  if (insert_undo_failed_) {
    return Status::Unavailable("store: a failed insert into " + schema_.name +
                               " could not be undone; restart to complete it");
  }
  size_t n = rows.rows();
  if (n == 0) return Status::Ok();
  // Group row numbers by (shard, partition), as writable_events routes them.
  std::vector<uint32_t> shard_of(n, 0);
  if (schema_.sharded && options_.shards > 1) {
    const Column& by = rows.columns[rows.Find(schema_.shard_column)];
    for (size_t r = 0; r < n; ++r) shard_of[r] = static_cast<uint32_t>(SipHash64(by.StringAt(r)) % options_.shards);
  }
  std::optional<std::vector<uint32_t>> partition_of = EvaluatePartition(schema_, rows);
  if (partition_of) {
    std::set<uint32_t> distinct(partition_of->begin(), partition_of->end());
    if (distinct.size() > kMaxPartitionsPerInsert) {
      return Status::InvalidArgument(fmt::format("store: too many partitions for one insert into {} ({}, at most {})",
                                                 schema_.name, distinct.size(), kMaxPartitionsPerInsert));
    }
  }
  std::map<std::pair<uint32_t, std::string>, std::vector<uint32_t>> groups;
  for (size_t r = 0; r < n; ++r) {
    groups[{shard_of[r], PartitionId(partition_of ? std::optional<uint32_t>((*partition_of)[r]) : std::nullopt)}]
        .push_back(static_cast<uint32_t>(r));
  }
  Block key = EvaluateKey(schema_, rows);

  struct Pending {
    PartMeta meta;
    std::vector<uint32_t> rows;
    std::string tmp_dir;
    std::string final_dir;
  };
  std::vector<Pending> pending;
  for (auto& [where, row_numbers] : groups) {
    if (scope != nullptr && scope->count(where) == 0) continue;
    Pending p;
    p.meta.table = schema_.name;
    p.meta.shard = where.first;
    p.meta.partition = where.second;
    uint64_t block = next_block_++;
    p.meta.name = PartName{block, block, 0};
    p.meta.log_offsets = log_offsets;
    p.rows = std::move(row_numbers);
    std::string dir = PartitionDir(where.first, where.second);
    p.tmp_dir = dir + "/tmp_insert_" + p.meta.name.ToString();
    p.final_dir = dir + "/" + p.meta.name.ToString();
    pending.push_back(std::move(p));
  }
  // On any failure: the parts renamed so far go back to their temporary names (while the
  // manifest still says to redo them all, so a crash meanwhile completes the insert instead),
  // then the manifest goes, then every temporary directory.
  size_t renamed = 0;
  bool manifest_written = false;
  std::string manifest_path = options_.dir + "/" + kManifest;
  auto undo = [&](Status failure) {
    std::error_code ec;
    for (size_t i = renamed; i-- > 0;) {
      if (!RenameDurably(pending[i].final_dir, pending[i].tmp_dir).ok()) {
        // Inserting again now could write these rows twice: not until Open redoes this one.
        insert_undo_failed_ = true;
        LogError("store", "cannot undo a failed insert; the next start completes it",
                 {{"table", schema_.name}, {"error", failure.message()}});
        return failure;
      }
    }
    if (manifest_written) {
      fs::remove(manifest_path, ec);
      if (ec || !SyncDirectory(options_.dir).ok()) return failure;  // the next start completes it
    }
    fs::remove(manifest_path + ".tmp", ec);
    for (const Pending& p : pending) fs::remove_all(p.tmp_dir, ec);
    return failure;
  };
  Status written = ParallelFor(pending.size(), [&](size_t i) {
    Pending& p = pending[i];
    SortRowsByKey(key, p.rows);
    Block sorted = rows.EmptyLike();
    sorted.AppendRows(rows, p.rows);
    Block sorted_key = key.EmptyLike();
    sorted_key.AppendRows(key, p.rows);
    std::error_code ec;
    fs::remove_all(p.tmp_dir, ec);
    fs::create_directories(fs::path(p.tmp_dir).parent_path(), ec);
    return WritePart(p.tmp_dir, schema_, sorted, sorted_key, p.meta);
  });
  if (!written.ok()) return undo(written);
  // All parts are durable under temporary names; the manifest makes their renames one step.
  auto relative = [this](const std::string& path) { return path.substr(options_.dir.size() + 1); };
  std::string manifest;
  for (const Pending& p : pending) manifest += relative(p.tmp_dir) + " " + relative(p.final_dir) + "\n";
  if (Status s = WriteFileDurably(manifest_path + ".tmp", manifest); !s.ok()) return undo(s);
  manifest_written = true;  // undo removes it from here on: the rename may be done when its sync fails
  if (Status s = RenameDurably(manifest_path + ".tmp", manifest_path); !s.ok()) return undo(s);
  PartList added;
  for (const Pending& p : pending) {
    std::error_code rename_error;
    fs::rename(p.tmp_dir, p.final_dir, rename_error);
    if (rename_error) {
      return undo(Status::IOError("cannot rename " + p.tmp_dir + " to " + p.final_dir + ": " + rename_error.message()));
    }
    ++renamed;  // from here undo moves it back, even when only the sync below fails
    if (Status s = SyncDirectory(fs::path(p.final_dir).parent_path().string()); !s.ok()) return undo(s);
    Result<std::shared_ptr<Part>> part = Part::Open(p.final_dir, schema_);
    if (!part.ok()) return undo(part.status());
    added.push_back(std::move(*part));
  }
  std::error_code ec;
  fs::remove(manifest_path, ec);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& part : added) {
    PartList& list = shards_[part->meta().shard];
    list.insert(std::upper_bound(list.begin(), list.end(), part, PartOrder), part);
  }
  return Status::Ok();
}

std::map<uint32_t, uint64_t> Table::LogOffsets() const {
  std::map<uint32_t, uint64_t> out;
  for (const auto& part : AllParts()) {
    for (const auto& [partition, offset] : part->meta().log_offsets) out[partition] = std::max(out[partition], offset);
  }
  return out;
}

PartList Table::Parts(uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  return shards_[shard];
}

PartList Table::AllParts() const {
  std::lock_guard<std::mutex> lock(mu_);
  PartList all;
  for (const PartList& s : shards_) all.insert(all.end(), s.begin(), s.end());
  return all;
}

std::optional<MergeCandidate> Table::SelectMerge(bool all) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<MergeCandidate> best;
  double best_score = 0;
  for (uint32_t shard = 0; shard < shards_.size(); ++shard) {
    const PartList& list = shards_[shard];
    for (size_t begin = 0; begin < list.size();) {
      size_t end = begin;
      while (end < list.size() && list[end]->meta().partition == list[begin]->meta().partition) ++end;
      // Windows of adjacent parts in [begin, end): one partition, in block order.
      size_t partition_parts = end - begin;
      for (size_t i = begin; i + 1 < end; ++i) {
        uint64_t sum = 0, largest = 0;
        // `store merge` takes a whole partition in one pass when it can (OPTIMIZE ... FINAL).
        size_t max_parts = all ? kMaxPartsPerFullMerge : options_.max_parts_per_merge;
        for (size_t j = i; j < end && j - i < max_parts; ++j) {
          if (merging_.count(list[j].get())) break;
          uint64_t bytes = list[j]->meta().uncompressed_bytes;
          if (sum + bytes > options_.max_merge_bytes) break;
          sum += bytes;
          largest = std::max(largest, bytes);
          size_t count = j - i + 1;
          if (count < 2) continue;
          // Size-tiered: merge parts of similar size (the largest at most twice the rest)
          // unless the partition has too many parts; prefer many small parts per merge.
          bool balanced = largest <= 2 * (sum - largest) || partition_parts > 2 * options_.max_parts_per_merge;
          if (!all && !balanced) continue;
          double score = all ? -static_cast<double>(count) : static_cast<double>(sum) / static_cast<double>(count - 1);
          if (!best || score < best_score) {
            best_score = score;
            best = MergeCandidate{shard, list[i]->meta().partition, PartList(list.begin() + i, list.begin() + j + 1)};
          }
        }
      }
      begin = end;
    }
  }
  if (best) {
    for (const auto& p : best->parts) merging_.insert(p.get());
  }
  return best;
}

Status Table::Merge(const MergeCandidate& candidate, const std::atomic<bool>* cancel) {
  auto release = [this, &candidate] {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& p : candidate.parts) merging_.erase(p.get());
  };
  std::vector<std::string> all;
  for (const ColumnDef& def : schema_.columns) all.push_back(def.name);
  PartMeta meta;
  meta.table = schema_.name;
  meta.shard = candidate.shard;
  meta.partition = candidate.partition;
  meta.name = {candidate.parts.front()->meta().name.min_block, candidate.parts.back()->meta().name.max_block, 0};
  std::vector<MergedRows::Source> sources;
  for (const auto& part : candidate.parts) {
    sources.push_back({part, 0, part->meta().granules});
    meta.name.level = std::max(meta.name.level, part->meta().name.level + 1);
    for (const auto& [p, offset] : part->meta().log_offsets) meta.log_offsets[p] = std::max(meta.log_offsets[p], offset);
  }
  std::string dir = PartitionDir(candidate.shard, candidate.partition);
  std::string tmp = dir + "/tmp_merge_" + meta.name.ToString();
  std::string final_dir = dir + "/" + meta.name.ToString();
  std::error_code ec;
  fs::remove_all(tmp, ec);
  // Streamed: a few granules of each source and one granule of output in memory.
  Status s = [&]() -> Status {
    MergedRows merged(schema_, std::move(sources), all, schema_.engine == Engine::kReplacingMergeTree);
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PartWriter> writer, PartWriter::Create(tmp, schema_));
    Block rows, key;
    while (true) {
      // A merge may take minutes; shutting down must not wait for it (the sources stay).
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        return Status::Unavailable("store: merge cancelled: shutting down");
      }
      HEDGEROW_RETURN_IF_ERROR(merged.Next(kMergeBlockRows, rows, key));
      if (rows.rows() == 0) break;
      HEDGEROW_RETURN_IF_ERROR(writer->Append(rows, key));
    }
    return writer->Finish(meta);
  }();
  Result<std::shared_ptr<Part>> part = s.ok() ? InstallRewrittenPart(tmp, final_dir, schema_) : Result<std::shared_ptr<Part>>(s);
  if (!part.ok()) {
    fs::remove_all(tmp, ec);
    release();
    if (!s.ok()) QuarantineDamaged(candidate.parts, s);  // else the merge would fail on it forever
    return part.status();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    PartList& list = shards_[candidate.shard];
    for (const auto& old : candidate.parts) {
      list.erase(std::remove(list.begin(), list.end(), old), list.end());
      old->MarkObsolete();  // deleted when the last scan holding it finishes
      merging_.erase(old.get());
    }
    list.insert(std::upper_bound(list.begin(), list.end(), *part, PartOrder), *part);
  }
  LogInfo("store", "merged parts",
          {{"table", schema_.name}, {"shard", static_cast<uint64_t>(candidate.shard)}, {"partition", candidate.partition},
           {"parts", static_cast<uint64_t>(candidate.parts.size())}, {"part", meta.name.ToString()},
           {"rows", meta.rows}});
  return Status::Ok();
}

namespace {

// The first microsecond after partition "YYYYMM"; nullopt for "all" and anything else.
std::optional<int64_t> PartitionEndMicros(const std::string& partition) {
  if (partition.size() != 6 || !std::all_of(partition.begin(), partition.end(), ::isdigit)) return std::nullopt;
  int year = std::stoi(partition.substr(0, 4)), month = std::stoi(partition.substr(4));
  if (month < 1 || month > 12) return std::nullopt;
  if (++month == 13) {
    month = 1;
    ++year;
  }
  // Days from the epoch to the first of `month` (the civil-from-days algorithm, inverted).
  const int y = year - (month <= 2);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5;
  const int64_t days = int64_t{era} * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
  return days * 86'400'000'000;
}

}  // namespace

uint64_t Table::DropPartitionsBefore(int64_t cutoff_micros) {
  uint64_t rows = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (uint32_t shard = 0; shard < shards_.size(); ++shard) {
    PartList& list = shards_[shard];
    std::set<std::string> expired, busy;
    for (const auto& part : list) {
      std::optional<int64_t> end = PartitionEndMicros(part->meta().partition);
      if (!end || *end > cutoff_micros) continue;
      expired.insert(part->meta().partition);
      if (merging_.count(part.get())) busy.insert(part->meta().partition);
    }
    for (const std::string& partition : expired) {
      if (busy.count(partition)) continue;
      size_t dropped = 0;
      for (const auto& part : list) {
        if (part->meta().partition != partition) continue;
        rows += part->meta().rows;
        part->MarkObsolete();
        ++dropped;
      }
      list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& p) { return p->meta().partition == partition; }),
                 list.end());
      LogInfo("store", "dropped an expired partition",
              {{"table", schema_.name}, {"shard", static_cast<uint64_t>(shard)}, {"partition", partition},
               {"parts", static_cast<uint64_t>(dropped)}});
    }
  }
  return rows;
}

Status Table::MergeAll() {
  while (std::optional<MergeCandidate> candidate = SelectMerge(/*all=*/true)) HEDGEROW_RETURN_IF_ERROR(Merge(*candidate));
  return Status::Ok();
}

namespace {

// Whether granule g (between index rows g and g + 1) may hold a row whose key column
// `column` is one of `values`: when the columns before it are equal at both ends, that
// column is sorted within the granule and bounded by its values at the two ends.
bool MayHoldKeyValue(const Block& index, size_t g, size_t column, const std::vector<KeyValue>& values) {
  if (column >= index.columns.size() || g + 1 >= index.rows()) return true;
  if (CompareKeyRows(index, g, index, g + 1, column) != 0) return true;
  const Column& k = index.columns[column];
  for (const KeyValue& v : values) {
    if (CompareCellToValue(k, g, v) <= 0 && CompareCellToValue(k, g + 1, v) >= 0) return true;
  }
  return false;
}

}  // namespace

Status Table::Scan(const ScanRequest& request, const BlockSink& sink) const {
  return ParallelFor(options_.shards, [&](size_t shard) { return ScanShard(static_cast<uint32_t>(shard), request, sink); });
}

Status Table::ScanShard(uint32_t shard, const ScanRequest& request, const BlockSink& sink) const {
  PartList parts = Parts(shard);  // the snapshot: these parts stay on disk until we are done
  const bool final = request.final && schema_.engine == Engine::kReplacingMergeTree;
  std::vector<std::string> columns = request.columns;
  if (final) {
    auto need = [&columns](const std::string& c) {
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) columns.push_back(c);
    };
    for (const KeyExpr& k : schema_.order_by) need(k.column);
    if (!schema_.version_column.empty()) need(schema_.version_column);
  }
  // FINAL merges each partition's parts on read (streamed, like a merge); otherwise blocks
  // stream part by part.
  std::vector<MergedRows::Source> partition_sources;
  std::string current_partition;
  auto flush_final = [&]() -> Status {
    if (partition_sources.empty()) return Status::Ok();
    PartList read;
    for (const auto& source : partition_sources) read.push_back(source.part);
    MergedRows merged(schema_, std::move(partition_sources), columns, /*replacing=*/true);
    partition_sources.clear();
    Block rows, key;
    while (true) {
      if (Status s = merged.Next(kScanBlockRows, rows, key); !s.ok()) {
        QuarantineDamaged(read, s);
        return s;
      }
      if (rows.rows() == 0) return Status::Ok();
      Block out;
      for (const std::string& c : request.columns) {
        out.names.push_back(c);
        out.columns.push_back(std::move(rows.columns[rows.Find(c)]));
      }
      HEDGEROW_RETURN_IF_ERROR(sink(shard, std::move(out)));
    }
  };
  for (const auto& part : parts) {
    const PartMeta& m = part->meta();
    if (schema_.partition_by && ((request.time_min && m.max_time < *request.time_min) ||
                                 (request.time_max && m.min_time > *request.time_max))) {
      continue;
    }
    if (final && m.partition != current_partition) {
      HEDGEROW_RETURN_IF_ERROR(flush_final());
      current_partition = m.partition;
    }
    const Block& index = part->primary_index();
    auto selected = [&](size_t g) {
      if (!request.key_min.empty() && CompareKeyToValues(index, g + 1, request.key_min) < 0) return false;
      if (!request.key_max.empty() && CompareKeyToValues(index, g, request.key_max) > 0) return false;
      if (request.key_in_column && !MayHoldKeyValue(index, g, *request.key_in_column, request.key_in_values)) return false;
      return true;
    };
    if (final) {
      // Selected granules are contiguous (the key range is one interval of a sorted part).
      size_t first = 0;
      while (first < m.granules && !selected(first)) ++first;
      size_t end = first;
      while (end < m.granules && selected(end)) ++end;
      if (first < end) partition_sources.push_back({part, first, end});
      continue;
    }
    for (size_t g = 0; g < m.granules;) {
      if (!selected(g)) {
        ++g;
        continue;
      }
      size_t end = g + 1;
      while (end < m.granules && part->GranuleRows(g, end + 1) <= kScanBlockRows &&
             part->CompressedBytes(columns, g, end + 1) <= kScanBlockCompressedBytes && selected(end)) {
        ++end;
      }
      Result<Block> block = part->Read(columns, g, end);
      if (!block.ok()) {
        if (block.status().code() == StatusCode::kCorruption) Quarantine(part, block.status());
        return block.status();
      }
      HEDGEROW_RETURN_IF_ERROR(sink(shard, std::move(*block)));
      g = end;
    }
  }
  return final ? flush_final() : Status::Ok();
}

}  // namespace hedgerow::store
