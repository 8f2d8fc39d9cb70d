#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <string_view>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/ingest/event_processor.h"
#include "hedgerow/log/log.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

class RowBatches;

struct PipelineOptions {
  std::string input_topic = "events_plugin_ingestion";
  std::string group = "ingestion";
  // Records per persons batch and log append. Since persons are persisted on their own
  // clock, size matters little (ingest_bench 1M events: 2500 -> 75.1k events/s, 240 MB RSS;
  // 5000 -> 78.3k, 308 MB; 10000 -> 77.6k, 497 MB).
  size_t max_batch_records = 5000;
  // When a pass over the worker's partitions found fewer than `trickle_records`, the worker
  // waits `trickle_wait` before the next: fewer, fuller transactions under light load.
  size_t trickle_records = 1000;
  std::chrono::milliseconds trickle_wait{20};
  // Threads that process batches. Each takes whichever partition is free next, not a fixed
  // share: a worker slowed by a persist or a heavier partition would leave the other idle.
  size_t workers = 2;
  // Nice value of the worker threads (Linux, per thread). Capture acknowledges clients and is
  // served first; ingestion is asynchronous and catches up when capture leaves CPU idle.
  int worker_nice = 10;
  // Hot keys, as PostHog's overflow: a token bucket per record key ("token:distinct_id")
  // holds `overflow_burst` events and refills `overflow_rate_per_second`; events of a key
  // with an empty bucket go to `overflow_topic` (in the same atomic append as the batch's
  // rows) for another pipeline to process, so one noisy user cannot stall a partition.
  // An empty topic turns this off.
  std::string overflow_topic;
  double overflow_burst = 1000;
  double overflow_rate_per_second = 200;
};

// The plugin server's consume loop: reads events_plugin_ingestion, processes batches in one
// persons transaction each, and emits the rows to the clickhouse_* topics.
//
// Exactly once between log and persons (ARCHITECTURE.md guarantee 2), per batch:
//   1. persons batch: apply the batch's person updates in memory; commit it (visible to the
//      next batches, not yet durable).
//   2. one log append: the rows, with the consumer offset N committed atomically; then the
//      persons store learns that everything before N is applied (Delivered).
//   3. every persist_interval, the persons store persists the delivered batches and their
//      offsets in one SQLite transaction.
// After a crash persons.sqlite holds offset A <= the log's committed offset C. The records
// from A to C are applied again, in order, on the state persisted with A, and their rows
// dropped, since the log has them; records from C on are processed as new. No update is
// applied twice and no row is lost or duplicated. (Within a partition the replay sees what
// the first run saw; a merge across partitions may interleave differently, as PostHog's
// would after a rebalance.) A failed append is the same case without the crash.
// Thread-safe; Start/Stop from one thread. The log and store must outlive the pipeline.
class Pipeline {
 public:
  Pipeline(PipelineOptions options, log::Log* log, persons::PersonStore* persons, EventProcessor processor,
           MetricsRegistry* metrics);
  ~Pipeline();

  // Registers the consumer group (so retention keeps unread input) and starts the workers.
  Status Start();
  void Stop();

  // One step on one partition: processes up to max_batch_records records (re-applying
  // those the log already has rows for) (waiting up to `wait` for some), and waits until
  // their rows are in the log. Returns the number of input records it consumed. Used by
  // tests to drive the pipeline by hand.
  Result<size_t> RunOnce(uint32_t partition, std::chrono::milliseconds wait);

 private:
  void WorkerLoop(size_t worker, uint32_t partitions);
  // RunOnce without waiting for the append: the worker goes on with its next partition
  // while the log writes this one's rows (a partition's next step waits for its last).
  // Messages never fail a step (they become rows or dead letters); outages do, and an
  // exception becomes an Internal error: the batch is retried, the worker lives on.
  Result<size_t> Step(uint32_t partition, std::chrono::milliseconds wait);
  Result<size_t> StepBatch(uint32_t partition, std::chrono::milliseconds wait);
  // Appends a batch's rows with the commit of `next`; the callback tells persons how it went.
  void AppendRows(RowBatches& out, uint32_t partition, log::Offset next, size_t consumed);
  // Input the log has rows for may still be re-read to re-apply its person updates (see
  // above): retention keeps `partition` from the persons' persisted offset on, under this
  // holder's floor (Log::SetRetentionFloor), besides the group's committed offset.
  Status KeepUnpersistedInput(uint32_t partition);
  std::string RetentionHolder() const { return options_.group + ":persons"; }
  // Waits until `partition` has no append under way; returns how the last one ended.
  Status AwaitAppend(uint32_t partition);
  // Waits up to 100 ms for input past the group's committed offsets.
  void WaitForInput(uint32_t partitions);
  // Claims the first partition, from `first` on in turn, that no other worker has: one
  // whose last append is done if any, so that the step does not wait for it. nullopt when
  // every partition is claimed.
  std::optional<uint32_t> ClaimPartition(uint32_t first, uint32_t partitions);
  void ReleasePartition(uint32_t partition);

  // Events sent to the overflow topic carry their origin in this header ("topic:partition:
  // offset"), so that re-applying a batch leaves them to the overflow pipeline.
  static constexpr const char* kSourceHeader = "hedgerow_source";
  std::string SourcePrefix(uint32_t partition) const;  // "topic:partition:"
  // Adds the offsets of `partition` in [from, to) that went to the overflow topic.
  Status OverflowedOffsets(uint32_t partition, log::Offset from, log::Offset to, std::unordered_set<log::Offset>& offsets);

  // Takes one token of `key`'s bucket; false when it is empty.
  bool TakeToken(std::string_view key, std::chrono::steady_clock::time_point now);

  const PipelineOptions options_;
  log::Log* const log_;
  persons::PersonStore* const persons_;
  const EventProcessor processor_;
  Counter& events_processed_;
  Counter& batches_;
  Counter& overflowed_;
  Counter& failed_batches_;  // outages: retried
  Counter& dead_letters_;    // messages given up on
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  std::mutex buckets_mu_;
  // Looked up by the records' keys in place (string_view).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets_;  // guarded by buckets_mu_
  struct PartitionState {
    bool claimed = false;  // a worker is stepping it
    bool under_way = false;  // its last append
    Status last;  // how the last append ended, reported once by AwaitAppend
  };
  std::mutex appends_mu_;
  std::condition_variable append_done_;  // an append ended or a partition was released
  std::unordered_map<uint32_t, PartitionState> appends_;  // per input partition, guarded by appends_mu_
  size_t appends_under_way_ = 0;                     // guarded by appends_mu_
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

}  // namespace hedgerow::ingest
