// The group commit, in two stages so that encoding the next group overlaps the fsync of
// the previous one:
//   writer thread: take every queued append -> resolve partitions -> assign offsets ->
//                  one WriteBatch (sync=false) -> hand to the syncer
//   sync thread:   SyncWAL() covering every group written so far -> publish end offsets
//                  (Fetch sees records only now) -> acknowledge each append
// Offsets are assigned by the writer alone and written in order; the WAL is replayed up to
// its first torn record after a crash, so what survives is always a prefix of the groups
// written, and every acknowledged group is in it: no gap, no lost acknowledged record.

#include <rocksdb/write_batch.h>

#include <algorithm>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/hash.h"
#include "hedgerow/common/log.h"
#include "keys.h"
#include "log_impl.h"

namespace hedgerow::log {
namespace {

// How often the writer asks RocksDB to resume after an I/O error while appends keep coming.
constexpr std::chrono::milliseconds kResumeInterval{50};

struct Placement {
  TopicState* topic;
  uint32_t partition;
};

// What this group writes to one partition, in arrival order: runs of plain records (append
// index, record index), each run one stored batch, and payloads producers encoded, each
// another.
struct Segment {
  std::vector<std::pair<size_t, size_t>> records;
  const EncodedRecords* encoded = nullptr;
};
struct PartitionWrites {
  Placement placement;
  std::vector<Segment> segments;
};

}  // namespace

void Log::Impl::WriterLoop() {
  while (true) {
    std::vector<PendingAppend> group;
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      // While writes are refused after an I/O error, try to resume every kResumeInterval even
      // with no append waiting: /_readiness must turn ready again without traffic. Otherwise
      // sleep until an append, Close() or the syncer's report of an error wakes us.
      auto has_work = [&] { return !queue_.empty() || stopping_; };
      while (!has_work()) {
        if (!needs_resume_) {
          queue_changed_.wait(lock, [&] { return has_work() || needs_resume_; });
          continue;
        }
        if (queue_changed_.wait_for(lock, kResumeInterval, has_work)) break;
        lock.unlock();
        (void)ResumeAfterIoError();  // a failure is logged, and the next round tries again
        lock.lock();
      }
      if (queue_.empty()) return;  // stopping and drained
      // Everything that arrived while the previous group was written becomes one group.
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
      // Tasks (retention) change starts and sizes: let the syncer publish everything first.
      WaitForSyncIdle();
      task();
    } else {
      ProcessGroup(std::move(group));
    }
  }
}

Status Log::Impl::ResumeAfterIoError() {
  if (!needs_resume_) return Status::Ok();
  const auto now = std::chrono::steady_clock::now();
  if (now - last_resume_ < kResumeInterval) return Status::Unavailable("log: recovering from an I/O error; retry");
  last_resume_ = now;
  rocksdb::Status s = db_->Resume();
  if (!s.ok()) {
    LogWarn("log", "writes still refused after an I/O error", {{"error", s.ToString()}});
    return Status::Unavailable(fmt::format("log: recovering from an I/O error: {}", s.ToString()));
  }
  needs_resume_ = false;
  LogInfo("log", "writes resumed after an I/O error", {});
  return Status::Ok();
}

void Log::Impl::ProcessGroup(std::vector<PendingAppend> appends) {
  WrittenGroup g;
  g.appends = std::move(appends);
  const size_t n = g.appends.size();
  g.failed.resize(n);
  g.positions.resize(n);
  if (Status resumed = ResumeAfterIoError(); !resumed.ok()) return Complete(g, resumed);
  std::vector<std::vector<Placement>> placements(n), encoded_placements(n);
  std::map<std::pair<uint32_t, uint32_t>, PartitionWrites> by_partition;

  // Resolve topics and partitions; an append with any bad record or commit fails whole.
  {
    std::lock_guard<std::mutex> lock(topics_mu_);
    // The few topics of this group, looked up once each: a group has thousands of records.
    std::vector<std::pair<std::string_view, TopicState*>> resolved;
    auto find_topic = [&](std::string_view name) {
      for (const auto& [known, t] : resolved) {
        if (known == name) return t;
      }
      TopicState* t = FindTopic(name);
      if (t != nullptr) resolved.emplace_back(name, t);
      return t;
    };
    for (size_t i = 0; i < n; ++i) {
      for (const OutgoingRecord& r : g.appends[i].records) {
        TopicState* t = find_topic(r.topic);
        if (t == nullptr) {
          g.failed[i] = Status::NotFound(fmt::format("log: no topic \"{}\"", r.topic));
          break;
        }
        uint32_t count = t->config.partitions;
        uint32_t p;
        if (r.partition >= 0) {
          if (static_cast<uint32_t>(r.partition) >= count) {
            g.failed[i] = Status::InvalidArgument(
                fmt::format("log: topic \"{}\" has no partition {}", r.topic, r.partition));
            break;
          }
          p = static_cast<uint32_t>(r.partition);
        } else if (!r.record.key.empty()) {
          p = KafkaPartition(r.record.key, count);
        } else {
          p = static_cast<uint32_t>(t->round_robin.fetch_add(1) % count);
        }
        placements[i].push_back({t, p});
      }
      for (const EncodedRecords& e : g.appends[i].encoded) {
        if (!g.failed[i].ok()) break;
        TopicState* t = find_topic(e.topic);
        if (t == nullptr) {
          g.failed[i] = Status::NotFound(fmt::format("log: no topic \"{}\"", e.topic));
        } else if (e.partition >= t->config.partitions) {
          g.failed[i] = Status::InvalidArgument(fmt::format("log: topic \"{}\" has no partition {}", e.topic, e.partition));
        } else {
          encoded_placements[i].push_back({t, e.partition});
        }
      }
      for (const OffsetCommit& c : g.appends[i].commits) {
        TopicState* t = FindTopic(c.topic);
        if (g.failed[i].ok() && (t == nullptr || c.partition >= t->config.partitions)) {
          g.failed[i] = Status::NotFound(
              fmt::format("log: cannot commit {}/{}: no such topic partition", c.topic, c.partition));
        }
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!g.failed[i].ok()) continue;
    g.positions[i].resize(g.appends[i].records.size());
    for (size_t j = 0; j < placements[i].size(); ++j) {
      const Placement& pl = placements[i][j];
      PartitionWrites& w = by_partition[{pl.topic->id, pl.partition}];
      w.placement = pl;
      if (w.segments.empty() || w.segments.back().encoded != nullptr) w.segments.emplace_back();
      w.segments.back().records.emplace_back(i, j);
      ++g.record_count;
    }
    for (size_t k = 0; k < encoded_placements[i].size(); ++k) {
      const Placement& pl = encoded_placements[i][k];
      const EncodedRecords& e = g.appends[i].encoded[k];
      if (e.count == 0) continue;
      PartitionWrites& w = by_partition[{pl.topic->id, pl.partition}];
      w.placement = pl;
      w.segments.push_back({{}, &e});
      g.record_count += e.count;
    }
  }

  // One stored batch per segment, offsets continuing from the writer's next offsets. Records
  // without a timestamp take this group's append time, from its batches' headers.
  const int64_t append_time_ms = NowMicros() / 1000;
  rocksdb::WriteBatch wb;
  std::vector<const Record*> batch;
  for (auto& [tp, w] : by_partition) {
    const Placement& pl = w.placement;
    Offset next = pl.topic->next[pl.partition];
    uint64_t bytes = pl.topic->next_bytes[pl.partition];
    auto totals = std::find_if(g.per_topic.begin(), g.per_topic.end(), [&](const auto& t) { return t.topic == pl.topic; });
    if (totals == g.per_topic.end()) totals = g.per_topic.insert(g.per_topic.end(), {pl.topic});
    for (const Segment& segment : w.segments) {
      std::string_view value;
      uint32_t count = 0;
      if (segment.encoded != nullptr) {
        const EncodedRecords& e = *segment.encoded;
        value = encoder_.Compress(e.payload, e.count, e.max_timestamp_ms, append_time_ms, options_.codec);
        count = e.count;
        totals->bytes += e.record_bytes;
      } else {
        batch.clear();
        for (auto [i, j] : segment.records) {
          const Record& r = g.appends[i].records[j].record;
          g.positions[i][j] = RecordPosition{pl.partition, next + batch.size()};
          batch.push_back(&r);
          totals->bytes += r.key.size() + r.value.size();
        }
        value = encoder_.Encode(batch, options_.codec, append_time_ms);
        count = static_cast<uint32_t>(batch.size());
      }
      totals->records += count;
      std::string key = keys::Record(pl.topic->id, pl.partition, next);
      bytes += key.size() + value.size();
      wb.Put(records_cf_, key, rocksdb::Slice(value.data(), value.size()));  // copied: the encoder reuses its buffer
      next += count;
    }
    wb.Put(meta_cf_, keys::PartitionBytes(pl.topic->id, pl.partition), keys::EncodeU64(bytes));
    g.advances.push_back({pl.topic, pl.partition, next, bytes});
  }
  for (size_t i = 0; i < n; ++i) {
    if (!g.failed[i].ok()) continue;
    for (const OffsetCommit& c : g.appends[i].commits) {
      wb.Put(meta_cf_, keys::Commit(c.topic, c.group, c.partition), keys::EncodeU64(c.next_offset));
    }
  }
  if (wb.Count() == 0) return Complete(g, Status::Ok());  // every append failed to resolve

  rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &wb);
  if (!s.ok()) {
    // Nothing was assigned: the next offsets stay where they were, so no gap can appear.
    if (write_errors_ != nullptr) write_errors_->Inc();
    needs_resume_ = true;
    LogError("log", "group write failed", {{"records", static_cast<uint64_t>(g.record_count)},
                                           {"error", s.ToString()}});
    return Complete(g, Status::Unavailable(fmt::format("log: write failed: {}", s.ToString())));
  }
  for (const auto& a : g.advances) {
    a.topic->next[a.partition] = a.end;
    a.topic->next_bytes[a.partition] = a.bytes;
  }
  std::lock_guard<std::mutex> lock(sync_mu_);
  sync_queue_.push_back(std::move(g));
  sync_changed_.notify_all();
}

void Log::Impl::SyncLoop() {
  while (true) {
    std::deque<WrittenGroup> groups;
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_changed_.wait(lock, [&] { return !sync_queue_.empty() || writer_done_; });
      if (sync_queue_.empty()) return;  // the writer stopped and everything is synced
      groups.swap(sync_queue_);
      syncing_ = true;
    }
    // Every group taken was written before this call, so one fsync covers them all.
    rocksdb::Status s = options_.fsync ? db_->SyncWAL() : rocksdb::Status::OK();
    if (fsyncs_ != nullptr && options_.fsync) fsyncs_->Inc();
    Status status;
    if (!s.ok()) {
      if (write_errors_ != nullptr) write_errors_->Inc();
      {
        std::lock_guard<std::mutex> queue_lock(queue_mu_);  // so the idle writer cannot miss it
        needs_resume_ = true;
      }
      queue_changed_.notify_all();
      LogError("log", "WAL fsync failed", {{"groups", static_cast<uint64_t>(groups.size())}, {"error", s.ToString()}});
      status = Status::Unavailable(fmt::format("log: fsync failed: {}", s.ToString()));
    } else {
      std::lock_guard<std::mutex> lock(topics_mu_);
      for (const WrittenGroup& g : groups) {
        for (const auto& a : g.advances) {
          a.topic->end[a.partition] = a.end;
          a.topic->bytes[a.partition] = a.bytes;
        }
      }
      records_arrived_.notify_all();
    }
    if (group_records_ != nullptr) {
      size_t records = 0;
      for (const WrittenGroup& g : groups) records += g.record_count;
      group_records_->Observe(static_cast<double>(records));
    }
    for (WrittenGroup& g : groups) Complete(g, status);
    std::lock_guard<std::mutex> lock(sync_mu_);
    syncing_ = false;
    sync_changed_.notify_all();
  }
}

void Log::Impl::WaitForSyncIdle() {
  std::unique_lock<std::mutex> lock(sync_mu_);
  sync_changed_.wait(lock, [&] { return sync_queue_.empty() && !syncing_; });
}

void Log::Impl::Complete(WrittenGroup& g, const Status& status) {
  if (metrics_ != nullptr && status.ok()) {
    for (size_t i = 0; i < g.appends.size(); ++i) {
      if (!g.failed[i].ok()) continue;
      for (const OffsetCommit& c : g.appends[i].commits) {
        Offset end = 0;
        {
          std::lock_guard<std::mutex> lock(topics_mu_);
          if (TopicState* t = FindTopic(c.topic)) end = t->end[c.partition];
        }
        metrics_
            ->GetGauge("hedgerow_log_consumer_lag", "Records a consumer group has not committed past",
                       {{"group", c.group}, {"topic", c.topic}, {"partition", std::to_string(c.partition)}})
            .Set(static_cast<double>(end > c.next_offset ? end - c.next_offset : 0));
      }
    }
    for (const WrittenGroup::TopicTotals& t : g.per_topic) {
      const std::string& topic = t.topic->config.name;
      metrics_->GetCounter("hedgerow_log_appended_records_total", "Records appended", {{"topic", topic}}).Inc(t.records);
      metrics_->GetCounter("hedgerow_log_appended_bytes_total", "Key and value bytes appended", {{"topic", topic}})
          .Inc(t.bytes);
    }
  }
  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < g.appends.size(); ++i) {
    if (append_latency_ != nullptr) {
      append_latency_->Observe(std::chrono::duration<double>(now - g.appends[i].enqueued).count());
    }
    if (!g.failed[i].ok()) {
      g.appends[i].done(g.failed[i]);
    } else if (!status.ok()) {
      g.appends[i].done(status);
    } else {
      g.appends[i].done(std::move(g.positions[i]));
    }
  }
}

}  // namespace hedgerow::log
