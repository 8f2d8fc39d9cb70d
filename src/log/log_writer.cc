// The group-commit writer: the only thread that assigns offsets and writes records.

#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include "hedgerow/common/hash.h"
#include "hedgerow/common/log.h"
#include "keys.h"
#include "log_impl.h"

namespace hedgerow::log {
namespace {

struct Placement {
  TopicState* topic;
  uint32_t partition;
};

// Records of one partition in this group, in arrival order: (append index, record index).
using PartitionItems = std::vector<std::pair<size_t, size_t>>;

}  // namespace

void Log::Impl::WriterLoop() {
  while (true) {
    std::vector<PendingAppend> group;
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_changed_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping and drained
      // Everything that arrived while the previous fsync ran becomes one group.
      size_t bytes = 0;
      while (!queue_.empty() && (group.empty() || bytes + queue_.front().bytes <= options_.max_group_bytes)) {
        if (queue_.front().task) {
          // A task runs alone, after the appends queued before it.
          if (group.empty()) {
            task = std::move(queue_.front().task);
            queue_.pop_front();
          }
          break;
        }
        bytes += queue_.front().bytes;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (task) {
      task();
    } else {
      ProcessGroup(group);
    }
  }
}

void Log::Impl::ProcessGroup(std::vector<PendingAppend>& group) {
  std::vector<Status> failed(group.size());
  std::vector<std::vector<Placement>> placements(group.size());
  std::map<std::pair<uint32_t, uint32_t>, std::pair<Placement, PartitionItems>> by_partition;

  // Resolve topics and partitions; an append with any bad record fails as a whole.
  {
    std::lock_guard<std::mutex> lock(topics_mu_);
    for (size_t i = 0; i < group.size(); ++i) {
      for (const OutgoingRecord& r : group[i].records) {
        TopicState* t = FindTopic(r.topic);
        if (t == nullptr) {
          failed[i] = Status::NotFound(fmt::format("log: no topic \"{}\"", r.topic));
          break;
        }
        uint32_t n = t->config.partitions;
        uint32_t p;
        if (r.partition >= 0) {
          if (static_cast<uint32_t>(r.partition) >= n) {
            failed[i] = Status::InvalidArgument(
                fmt::format("log: topic \"{}\" has no partition {}", r.topic, r.partition));
            break;
          }
          p = static_cast<uint32_t>(r.partition);
        } else if (!r.record.key.empty()) {
          p = KafkaPartition(r.record.key, n);
        } else {
          p = static_cast<uint32_t>(t->round_robin.fetch_add(1) % n);
        }
        placements[i].push_back({t, p});
      }
      for (const OffsetCommit& c : group[i].commits) {
        TopicState* t = FindTopic(c.topic);
        if (failed[i].ok() && (t == nullptr || c.partition >= t->config.partitions)) {
          failed[i] = Status::NotFound(
              fmt::format("log: cannot commit {}/{}: no such topic partition", c.topic, c.partition));
        }
      }
    }
  }
  size_t record_count = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    if (!failed[i].ok()) continue;
    for (size_t j = 0; j < placements[i].size(); ++j) {
      const Placement& pl = placements[i][j];
      auto& slot = by_partition[{pl.topic->id, pl.partition}];
      slot.first = pl;
      slot.second.emplace_back(i, j);
      ++record_count;
    }
  }

  // One batch value per partition, offsets continuing from the writer's next offsets.
  rocksdb::WriteBatch wb;
  std::vector<std::vector<RecordPosition>> positions(group.size());
  for (size_t i = 0; i < group.size(); ++i) positions[i].resize(group[i].records.size());
  struct PartitionAdvance {
    Placement placement;
    Offset next;
    uint64_t bytes;
  };
  std::vector<PartitionAdvance> new_next;
  std::vector<const Record*> batch;
  for (auto& [tp, entry] : by_partition) {
    auto& [pl, items] = entry;
    Offset base = pl.topic->next[pl.partition];
    batch.clear();
    for (size_t k = 0; k < items.size(); ++k) {
      auto [i, j] = items[k];
      batch.push_back(&group[i].records[j].record);
      positions[i][j] = RecordPosition{pl.partition, base + k};
    }
    std::string key = keys::Record(pl.topic->id, pl.partition, base);
    std::string value = EncodeBatch(batch, options_.codec);
    uint64_t bytes = pl.topic->bytes[pl.partition] + key.size() + value.size();
    wb.Put(records_cf_, key, value);
    wb.Put(meta_cf_, keys::PartitionBytes(pl.topic->id, pl.partition), keys::EncodeU64(bytes));
    new_next.push_back({pl, base + items.size(), bytes});
  }
  bool any_commit = false;
  for (size_t i = 0; i < group.size(); ++i) {
    if (!failed[i].ok()) continue;
    for (const OffsetCommit& c : group[i].commits) {
      wb.Put(meta_cf_, keys::Commit(c.topic, c.group, c.partition), keys::EncodeU64(c.next_offset));
      any_commit = true;
    }
  }

  Status write_status;
  if (wb.Count() > 0) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db_->Write(wo, &wb);
    if (fsyncs_ != nullptr) fsyncs_->Inc();
    if (!s.ok()) {
      // Nothing was assigned: the next offsets stay where they were, so no gap can appear.
      write_status = Status::Unavailable(fmt::format("log: write failed: {}", s.ToString()));
      if (write_errors_ != nullptr) write_errors_->Inc();
      LogError("log", "group commit failed", {{"records", static_cast<uint64_t>(record_count)},
                                              {"error", s.ToString()}});
    }
  }

  if (write_status.ok()) {
    for (auto& [pl, next, bytes] : new_next) pl.topic->next[pl.partition] = next;
    std::lock_guard<std::mutex> lock(topics_mu_);
    for (auto& [pl, next, bytes] : new_next) {
      pl.topic->end[pl.partition] = next;
      pl.topic->bytes[pl.partition] = bytes;
    }
    records_arrived_.notify_all();
  }

  if (metrics_ != nullptr && write_status.ok()) {
    group_records_->Observe(static_cast<double>(record_count));
    for (auto& [key, entry] : by_partition) {
      const std::string& topic = entry.first.topic->config.name;
      uint64_t bytes = 0;
      for (auto [i, j] : entry.second) {
        bytes += group[i].records[j].record.key.size() + group[i].records[j].record.value.size();
      }
      metrics_->GetCounter("hedgerow_log_appended_records_total", "Records appended", {{"topic", topic}})
          .Inc(entry.second.size());
      metrics_->GetCounter("hedgerow_log_appended_bytes_total", "Key and value bytes appended", {{"topic", topic}})
          .Inc(bytes);
    }
    if (any_commit) {
      std::lock_guard<std::mutex> lock(topics_mu_);
      for (const PendingAppend& a : group) {
        for (const OffsetCommit& c : a.commits) {
          TopicState* t = FindTopic(c.topic);
          if (t == nullptr || c.partition >= t->config.partitions) continue;
          Offset end = t->end[c.partition];
          metrics_
              ->GetGauge("hedgerow_log_consumer_lag", "Records a consumer group has not committed past",
                         {{"group", c.group}, {"topic", c.topic}, {"partition", std::to_string(c.partition)}})
              .Set(static_cast<double>(end > c.next_offset ? end - c.next_offset : 0));
        }
      }
    }
  }

  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < group.size(); ++i) {
    if (append_latency_ != nullptr) {
      append_latency_->Observe(std::chrono::duration<double>(now - group[i].enqueued).count());
    }
    if (!failed[i].ok()) {
      group[i].done(failed[i]);
    } else if (!write_status.ok()) {
      group[i].done(write_status);
    } else {
      group[i].done(std::move(positions[i]));
    }
  }
}

}  // namespace hedgerow::log
