#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/log/batch_codec.h"
#include "hedgerow/log/record.h"

namespace rocksdb {
class FileSystem;
}

namespace hedgerow::log {

struct TopicConfig {
  std::string name;
  uint32_t partitions = 1;
  // Records older than this may go (their append time, unless they carry one); <= 0: keep.
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // Per partition, like Kafka's retention.bytes: above it the oldest batches may go, however
  // young. <= 0: no limit.
  int64_t retention_bytes = 0;
  // Per partition: above this, records go even if a consumer group has not read them
  // (logged and counted). 0 = never; the log then grows on disk instead.
  int64_t hard_cap_bytes = 0;
};

struct LogOptions {
  std::string dir;  // RocksDB directory, created if absent
  Codec codec = Codec::kLz4;
  size_t max_group_bytes = 16u << 20;  // one group commit gathers at most this much
  // How often a background thread applies retention; zero: only EnforceRetention() calls.
  std::chrono::milliseconds retention_interval{0};
  // fsync the WAL behind each group commit before completing its appends (the default):
  // acknowledged records survive power loss. false: completed once written to the OS, which
  // survives a crash of the process (kill -9) but not of the machine; for throwaway data.
  bool fsync = true;
  // The file system RocksDB writes through; null: the machine's. Tests wrap it to inject
  // I/O errors (EIO, ENOSPC) at chosen calls.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

struct FetchResult {
  std::vector<StoredRecord> records;
  Offset log_start = 0;      // first offset still stored
  Offset high_watermark = 0;  // next offset to be written
};

// Fetched records in place, for readers that parse them where they lie (the ingestion
// pipeline): views into the decoded batches the result owns, no copy per record.
struct StoredRecordView {
  uint32_t partition = 0;
  Offset offset = 0;
  RecordView record;
};
struct FetchedViews {
  std::vector<StoredRecordView> records;
  Offset log_start = 0;
  Offset high_watermark = 0;
  std::vector<std::unique_ptr<char[]>> payloads;  // what the views point into
};

struct PartitionLag {
  std::string group;
  std::string topic;
  uint32_t partition = 0;
  Offset committed = 0;
  Offset end = 0;
  Offset lag() const { return end > committed ? end - committed : 0; }
};

struct PartitionInfo {
  uint32_t partition = 0;
  Offset start = 0;
  Offset end = 0;
  uint64_t bytes = 0;  // stored key and batch bytes
};

// What RocksDB holds in memory for the log, in bytes: memtables (written records not yet
// flushed to SST files, up to write_buffer_size x max_write_buffer_number), the index and
// filter blocks of open SST files, and the block cache.
struct LogMemoryUsage {
  uint64_t memtables = 0;
  uint64_t table_readers = 0;
  uint64_t block_cache = 0;
};

struct RetentionReport {
  uint64_t batches_deleted = 0;
  uint64_t records_deleted = 0;
  uint64_t forced_records_deleted = 0;  // past the hard cap, unread by some group
};

using AppendCallback = std::function<void(Result<std::vector<RecordPosition>>)>;

// Kafka's topics on RocksDB: the place where acknowledged data first becomes durable.
//
// Writes: Append() hands records to one writer thread, which gathers every pending append
// into one RocksDB WriteBatch and assigns dense per-partition offsets in that single thread
// (so a crash can never leave a gap); a sync thread fsyncs the WAL behind each written
// group (group commit: one fsync for many callers, overlapping the next group's encoding),
// and only then makes the records visible and completes each caller. Offset commits given with an append land
// in the same atomic write, which makes consume-transform-produce exactly-once.
//
// Reads: Fetch() reads any partition from any thread, optionally long-polling for new
// records. Consumer groups commit the next offset they will read.
//
// Storage: records CF keys are topic id | partition | base offset (big-endian), so a
// partition is one contiguous key range and retention deletes ranges from its front.
//
// Thread-safe. Close() (or the destructor) completes pending appends and stops the writer.
class Log {
 public:
  // Opens or creates the log in options.dir and starts the writer thread.
  static Result<std::unique_ptr<Log>> Open(LogOptions options, MetricsRegistry* metrics);
  // Opens another process's log as a RocksDB secondary for inspection: reads work, writes
  // fail with kInvalidArgument. CatchUp() picks up what the primary wrote since.
  static Result<std::unique_ptr<Log>> OpenForInspection(const std::string& dir);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Creates a topic, or checks that an existing one has the same partition count (a
  // different count is kInvalidArgument: like Kafka, we never repartition silently). An
  // existing topic takes the retention settings given.
  Status CreateTopic(const TopicConfig& config);
  std::vector<TopicConfig> Topics() const;
  // Ok while appends work; kUnavailable after a WAL write or fsync failed, until RocksDB
  // resumed writing (a full disk that has room again) or, for an error it cannot resume
  // from (EIO), until the log is opened again (a restart).
  Status Health() const;
  LogMemoryUsage MemoryUsage() const;
  Result<TopicConfig> Topic(std::string_view name) const;

  // Queues records for the next group commit. `done` runs exactly once, on the log's sync
  // thread (keep it short, and never wait on the log in it: post elsewhere for real work), with each record's position in
  // input order, only after the batch is fsync'd. kNotFound for an unknown topic,
  // kInvalidArgument for a bad partition, kUnavailable when closed or when the disk
  // refuses the write. Nothing of a failed append is visible or committed.
  void Append(std::vector<OutgoingRecord> records, std::vector<OffsetCommit> commits,
              AppendCallback done);
  // The same with records in payload form too: each EncodedRecords becomes one stored batch,
  // after what this append and earlier ones put in its partition. Positions are reported for
  // `records` only.
  void Append(std::vector<OutgoingRecord> records, std::vector<EncodedRecords> encoded,
              std::vector<OffsetCommit> commits, AppendCallback done);
  // Append and wait: for threads that may block (pipeline workers, tests, CLI).
  Result<std::vector<RecordPosition>> AppendAndWait(std::vector<OutgoingRecord> records,
                                                   std::vector<OffsetCommit> commits = {});

  // Up to `max_records` records (and roughly `max_bytes`, but at least one record) of one
  // partition from `offset` on. At the end of the partition it waits up to `max_wait` for
  // records to arrive, then returns what it has (possibly none). kNotFound for an unknown
  // topic or partition, or an offset before the log start (deleted by retention).
  Result<FetchResult> Fetch(std::string_view topic, uint32_t partition, Offset offset,
                            size_t max_records, size_t max_bytes,
                            std::chrono::milliseconds max_wait = std::chrono::milliseconds(0));
  // Fetch, with the records as views into batches the result owns.
  Result<FetchedViews> FetchViews(std::string_view topic, uint32_t partition, Offset offset, size_t max_records,
                                  size_t max_bytes, std::chrono::milliseconds max_wait = std::chrono::milliseconds(0));

  // Waits up to `max_wait` until some partition p of `topic` has records at or past
  // `positions[p]` (a consumer's next offsets, one per partition), or the log closes. True if
  // records are there. One wait over every partition, where a long-polling Fetch watches one.
  Result<bool> WaitForRecords(std::string_view topic, const std::vector<Offset>& positions,
                              std::chrono::milliseconds max_wait);

  // Registers `group` as a consumer of `topic`: from now on retention keeps what it has not
  // committed past. Its committed offset starts at each partition's log start.
  Status RegisterGroup(std::string_view group, std::string_view topic);
  // Forgets `group`'s committed offsets in `topic` (Kafka's consumer group deletion):
  // retention stops keeping records for it. For a group nothing consumes any more (the
  // other store backend's); the caller makes sure none does. Whether it had offsets.
  Result<bool> DeleteGroup(std::string_view group, std::string_view topic);
  // Declares that `holder`, a stage that is not a consumer group of `topic`, may still re-read
  // `partition` from `offset` on: retention keeps those records as it keeps what a group has
  // not committed past (the hard cap aside), from when this returns. The persons store is
  // such a stage: after a crash or a failed delivery the pipeline re-reads from the offset it
  // saved (PersonStore::PersistedOffset), which can trail the ingestion group's commit.
  // One floor per holder and partition; each call replaces it. Cheap: a write without fsync,
  // none when the floor is unchanged, so call it as often as the floor may move. After a
  // crash the floor is the last one set or an earlier one: set floors that only grow and
  // that the holder's durable state already backs. Floors are not consumer groups: Lag()
  // does not list them. kNotFound for an unknown topic or partition, kInvalidArgument on an
  // inspection instance, kIOError if RocksDB fails.
  Status SetRetentionFloor(std::string_view holder, std::string_view topic, uint32_t partition, Offset offset);
  // The floor `holder` set; nullopt if none.
  Result<std::optional<Offset>> RetentionFloor(std::string_view holder, std::string_view topic,
                                               uint32_t partition) const;
  // Commits offsets durably (fsync), through the writer like an append without records.
  Status Commit(std::vector<OffsetCommit> commits);
  // The group's committed next offset; nullopt if it never committed nor registered.
  Result<std::optional<Offset>> Committed(std::string_view group, std::string_view topic,
                                          uint32_t partition) const;
  Result<std::vector<PartitionLag>> Lag() const;
  Result<std::vector<PartitionInfo>> Partitions(std::string_view topic) const;

  // Deletes batches from the front of each partition that are older than retention_ms or
  // beyond retention_bytes, but never past the lowest committed offset of a registered
  // group nor the lowest retention floor (unless above hard_cap_bytes). `now_ms` is the
  // wall clock, passed for tests.
  Result<RetentionReport> EnforceRetention(int64_t now_ms);

  // A consistent copy of the whole log at this moment in `dir` (which must not exist): a
  // RocksDB checkpoint (SST files hard-linked where the file system allows, the rest copied),
  // openable as a log of its own. Everything acknowledged before the call is in it.
  Status Checkpoint(const std::string& dir);

  // Secondary only: replays what the primary wrote since open.
  Status CatchUp();

  // Stops taking appends (they fail with kUnavailable), completes what is queued and stops
  // the background threads. Reads keep working until the Log is destroyed. Idempotent.
  void Close();

  class Impl;  // src/log/log_impl.h

 private:
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hedgerow::log
