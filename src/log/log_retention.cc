// Retention, deleting whole batches from the front of partitions, and the memory RocksDB holds.

#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include "hedgerow/common/log.h"
#include "keys.h"
#include "log_impl.h"

namespace hedgerow::log {

Result<RetentionReport> Log::Impl::RunRetention(int64_t now_ms) {
  RetentionReport report;
  struct Target {
    TopicState* topic;
    TopicConfig config;
    std::vector<Offset> start;
    std::vector<uint64_t> bytes;
  };
  std::vector<Target> targets;
  std::lock_guard<std::mutex> floors(floors_mu_);  // the floors read below hold until the deletes are done
  {
    std::lock_guard<std::mutex> lock(topics_mu_);
    for (auto& [name, t] : topics_) targets.push_back({t.get(), t->config, t->start, t->bytes});
  }
  for (Target& target : targets) {
    const TopicConfig& cfg = target.config;
    if (cfg.retention_ms <= 0 && cfg.retention_bytes <= 0 && cfg.hard_cap_bytes <= 0) continue;

    // The lowest offset any consumer group or other stage (a floor) of this topic still
    // needs, per partition.
    std::vector<Offset> protect(cfg.partitions, UINT64_MAX);
    for (const std::string& prefix : {keys::CommitTopicPrefix(cfg.name), keys::FloorTopicPrefix(cfg.name)}) {
      std::unique_ptr<rocksdb::Iterator> cit(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
      for (cit->Seek(prefix); cit->Valid() && cit->key().starts_with(prefix); cit->Next()) {
        std::string_view key = cit->key().ToStringView();
        auto parsed = key.starts_with(keys::kFloorPrefix) ? keys::ParseFloor(key) : keys::ParseCommit(key);
        if (!parsed || parsed->partition >= cfg.partitions) continue;
        Offset needed = keys::DecodeU64(cit->value().ToStringView()).value_or(0);
        protect[parsed->partition] = std::min(protect[parsed->partition], needed);
      }
      if (!cit->status().ok()) return Status::IOError("log: retention: reading offsets: " + cit->status().ToString());
    }

    const uint32_t id = target.topic->id;
    for (uint32_t p = 0; p < cfg.partitions; ++p) {
      int64_t remaining = static_cast<int64_t>(target.bytes[p]);
      Offset new_start = target.start[p];
      uint64_t batches = 0, records = 0, forced = 0;
      std::string upper = keys::RecordPartitionEnd(id, p);
      rocksdb::Slice upper_slice(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_cf_));
      for (it->Seek(keys::Record(id, p, target.start[p])); it->Valid(); it->Next()) {
        HEDGEROW_ASSIGN_OR_RETURN(BatchHeader h, DecodeBatchHeader(it->value().ToStringView()));
        Offset base = keys::RecordBase(it->key().ToStringView());
        Offset batch_end = base + h.record_count;
        bool too_old = cfg.retention_ms > 0 && h.max_timestamp_ms < now_ms - cfg.retention_ms;
        bool too_big = cfg.retention_bytes > 0 && remaining > cfg.retention_bytes;
        bool over_cap = cfg.hard_cap_bytes > 0 && remaining > cfg.hard_cap_bytes;
        if (!too_old && !too_big && !over_cap) break;
        bool unread = batch_end > protect[p];
        if (unread && !over_cap) break;  // a consumer group still needs it
        if (unread) forced += batch_end - std::max(base, protect[p]);
        remaining -= static_cast<int64_t>(it->value().size() + it->key().size());
        new_start = batch_end;
        ++batches;
        records += h.record_count;
      }
      if (!it->status().ok()) return Status::IOError("log: retention scan: " + it->status().ToString());
      if (new_start == target.start[p]) continue;

      rocksdb::WriteBatch wb;
      wb.DeleteRange(records_cf_, keys::Record(id, p, 0), keys::Record(id, p, new_start));
      wb.Put(meta_cf_, keys::LogStart(id, p), keys::EncodeU64(new_start));
      uint64_t bytes = static_cast<uint64_t>(std::max<int64_t>(remaining, 0));
      wb.Put(meta_cf_, keys::PartitionBytes(id, p), keys::EncodeU64(bytes));
      rocksdb::WriteOptions wo;
      wo.sync = true;
      rocksdb::Status s = db_->Write(wo, &wb);
      if (!s.ok()) return Status::IOError("log: retention delete: " + s.ToString());
      {
        std::lock_guard<std::mutex> lock(topics_mu_);
        target.topic->start[p] = new_start;
        target.topic->bytes[p] = bytes;
        target.topic->next_bytes[p] = bytes;  // the writer waits for the syncer before tasks
      }
      report.batches_deleted += batches;
      report.records_deleted += records;
      report.forced_records_deleted += forced;
      if (metrics_ != nullptr) {
        metrics_
            ->GetCounter("hedgerow_log_retention_deleted_records_total", "Records deleted by retention",
                         {{"topic", cfg.name}})
            .Inc(records);
      }
      if (forced > 0) {
        LogWarn("log", "hard size cap deleted records a consumer group had not read",
                {{"topic", cfg.name}, {"partition", p}, {"records", forced}});
        if (metrics_ != nullptr) {
          metrics_
              ->GetCounter("hedgerow_log_retention_forced_deletes_total",
                           "Unread records deleted because a partition passed its hard cap", {{"topic", cfg.name}})
              .Inc(forced);
        }
      }
    }
  }
  return report;
}

LogMemoryUsage Log::MemoryUsage() const {
  LogMemoryUsage usage;
  rocksdb::DB& db = *impl_->db_;
  // Summed over the column families; a property RocksDB cannot report stays 0.
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &usage.memtables);
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &usage.table_readers);
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &usage.block_cache);
  return usage;
}

}  // namespace hedgerow::log
