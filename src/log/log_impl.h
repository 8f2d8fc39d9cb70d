#pragma once

// Private to the log module: the state behind hedgerow::log::Log.

#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hedgerow/log/batch_codec.h"
#include "hedgerow/log/log.h"

namespace hedgerow::log {

// One topic. `config` and `id` are constant after creation (retention settings aside, which
// only CreateTopic changes, under topics_mu_); `start` and `end` are guarded by the log's
// topics_mu_; `next` belongs to the writer thread alone.
struct TopicState {
  uint32_t id = 0;
  TopicConfig config;
  std::vector<Offset> start;  // first stored offset per partition
  std::vector<Offset> end;    // next offset per partition, published after the fsync
  std::vector<uint64_t> bytes;  // stored key+value bytes per partition, published with end
  std::vector<Offset> next;         // writer only: next offset to assign
  std::vector<uint64_t> next_bytes;  // writer only: bytes once the written groups are synced
  std::atomic<uint64_t> round_robin{0};
};

// An append, or a `task` to run on the writer thread between group commits (retention:
// it changes partition starts and sizes, which only the writer may touch).
struct PendingAppend {
  std::function<void()> task;
  std::vector<OutgoingRecord> records;
  std::vector<EncodedRecords> encoded;
  std::vector<OffsetCommit> commits;
  AppendCallback done;
  size_t bytes = 0;
  std::chrono::steady_clock::time_point enqueued;
};

// A group the writer has written (sync=false) and the syncer must make durable before its
// appends are acknowledged and its records become visible to Fetch.
struct WrittenGroup {
  struct Advance {
    TopicState* topic;
    uint32_t partition;
    Offset end;
    uint64_t bytes;
  };
  std::vector<PendingAppend> appends;
  std::vector<Status> failed;  // per append, from resolving topics and partitions
  std::vector<std::vector<RecordPosition>> positions;
  std::vector<Advance> advances;
  size_t record_count = 0;
  struct TopicTotals {
    TopicState* topic;
    uint64_t records = 0;
    uint64_t bytes = 0;  // keys and values
  };
  std::vector<TopicTotals> per_topic;  // for the metrics, summed while the batches are encoded
};

class Log::Impl {
 public:
  Impl(LogOptions options, MetricsRegistry* metrics, bool secondary);
  ~Impl();

  Status OpenDb();
  Status LoadTopics();
  void StartWriter();
  void Close();

  // Writer thread: resolves, encodes and writes groups without fsync, in order.
  void WriterLoop();
  void ProcessGroup(std::vector<PendingAppend> group);
  // Sync thread: fsyncs the WAL behind written groups, then publishes and acknowledges
  // them. Writing group N+1 overlaps the fsync of group N.
  void SyncLoop();
  void Complete(WrittenGroup& group, const Status& status);
  // After a failed WAL write or fsync RocksDB refuses every write (a background error) until
  // DB::Resume(). The writer calls it before its next group, at most every kResumeInterval;
  // Ok once writes work again.
  Status ResumeAfterIoError();
  void WaitForSyncIdle();
  void RetentionLoop(Log* log);
  Result<RetentionReport> RunRetention(int64_t now_ms);  // on the writer thread

  TopicState* FindTopic(std::string_view name) const;  // caller holds topics_mu_
  Status CheckWritable() const;
  // Reads the committed offset of one group/partition from RocksDB.
  Result<std::optional<Offset>> ReadCommitted(std::string_view group, std::string_view topic,
                                              uint32_t partition) const;
  // A commit or floor, by its key.
  Result<std::optional<Offset>> ReadOffset(const std::string& key) const;

  const LogOptions options_;
  MetricsRegistry* const metrics_;  // null for inspection
  const bool secondary_;
  std::string secondary_dir_;  // scratch dir of a secondary instance

  std::atomic<bool> needs_resume_{false};  // set by the writer or syncer on an I/O error
  std::chrono::steady_clock::time_point last_resume_{};  // writer thread only
  std::unique_ptr<rocksdb::Env> env_;  // over options_.file_system, when given; outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;     // owned by db_
  rocksdb::ColumnFamilyHandle* records_cf_ = nullptr;  // owned by db_

  mutable std::mutex topics_mu_;
  std::condition_variable records_arrived_;  // with topics_mu_: an end offset moved
  std::map<std::string, std::unique_ptr<TopicState>, std::less<>> topics_;  // guarded
  uint32_t next_topic_id_ = 1;                                               // guarded
  bool closed_ = false;                                                      // guarded

  std::mutex queue_mu_;
  std::condition_variable queue_changed_;
  std::deque<PendingAppend> queue_;  // guarded by queue_mu_
  bool stopping_ = false;            // guarded by queue_mu_
  std::thread writer_;
  BatchEncoder encoder_;  // the writer thread's

  // Held by a retention run from reading the floors to its last delete, and by
  // SetRetentionFloor, so that a floor protects from when that returns.
  std::mutex floors_mu_;
  std::map<std::string, Offset, std::less<>> floors_;  // guarded: the last floor set per key, to skip rewrites

  std::mutex retention_mu_;
  std::condition_variable retention_wakeup_;
  bool retention_stop_ = false;  // guarded by retention_mu_
  std::thread retention_;

  std::mutex sync_mu_;
  std::condition_variable sync_changed_;
  std::deque<WrittenGroup> sync_queue_;  // guarded by sync_mu_
  bool syncing_ = false;                 // guarded by sync_mu_: a SyncWAL is running
  bool writer_done_ = false;             // guarded by sync_mu_
  std::thread syncer_;

  // Metrics (valid when metrics_ is set).
  Counter* fsyncs_ = nullptr;
  Counter* write_errors_ = nullptr;
  Histogram* group_records_ = nullptr;
  Histogram* append_latency_ = nullptr;
};

}  // namespace hedgerow::log
