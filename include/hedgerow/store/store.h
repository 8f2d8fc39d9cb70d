#pragma once

#include <atomic>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/table.h"

namespace hedgerow::store {

struct StoreOptions {
  std::string dir;  // <data>/store
  uint32_t shards = 2;  // 0: as many as on disk (inspection and `store merge`)
  size_t merge_threads = 1;
  uint64_t max_merge_bytes = 16ull << 30;
  // A consumer inserts a batch when it has this many rows or bytes, `batch_wait` after its
  // first record (the Kafka engine's kafka_max_block_size and flush interval), or when no new
  // record came for `idle_flush` (the input is drained: a lone event is visible at once).
  // 65,536 rows is the Kafka engine's default block; with 32 MB it bounds what a consumer
  // catching up holds (e2e_bench 300k events: peak RSS 961 -> 855 MB against 200,000/128 MB).
  size_t batch_rows = 65536;
  size_t batch_bytes = 32u << 20;
  std::chrono::milliseconds batch_wait{500};
  std::chrono::milliseconds idle_flush{50};
  // Consumers and merges run at this nice value, behind capture (like the pipeline).
  int thread_nice = 10;
  bool read_only = false;  // inspection: nothing recovered, merged or deleted
  // Retention: monthly partitions of `events` that ended more than this many days ago are
  // dropped whole (checked at start and every retention_interval by the merge thread); 0
  // keeps everything.
  uint32_t events_retention_days = 0;
  std::chrono::milliseconds retention_interval{600000};
};

class TableConsumer;

// The log consumer group that feeds `schema`'s table from its topic.
inline std::string ConsumerGroupName(const TableSchema& schema) { return "store_" + schema.name; }

// Every table of ingestion.md §8 under <data>/store, their consumers (the Kafka engine
// tables and materialized views: one per table, reading its clickhouse_* topic) and the
// background merges.
class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(StoreOptions options, MetricsRegistry* metrics);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // nullptr for an unknown table.
  Table* table(std::string_view name) const;
  const std::vector<std::unique_ptr<Table>>& tables() const { return tables_; }

  // Starts the consumers (each registers its group and resumes from the later of its
  // committed offset and the offsets its parts record) and the merge threads.
  Status Start(log::Log* log);
  // Consumers insert what they hold and stop; running merges are cancelled (their sources
  // stay). Idempotent.
  void Stop();

  // For readiness: kUnavailable, naming the problem, when the store's disk cannot be read or
  // has less than kMinFreeBytes free, when the consumers are not running, or while one is
  // retrying a failed insert; Ok otherwise.
  Status CheckHealth() const;
  static constexpr uint64_t kMinFreeBytes = 64u << 20;  // below this, inserts and merges fail soon

  // Merges every partition down as far as the memory bound allows (`store merge`).
  Status MergeAll();
  // Drops the expired partitions of `events` (StoreOptions::events_retention_days) as of
  // `now_micros`; returns the rows dropped.
  uint64_t ApplyRetention(int64_t now_micros);
  // Refreshes the parts/rows/bytes gauges of one table.
  void UpdateGauges(const Table& table);
  void WakeMerges();

 private:
  Store(StoreOptions options, MetricsRegistry* metrics);
  void MergeLoop();

  StoreOptions options_;
  MetricsRegistry* metrics_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::unique_ptr<TableConsumer>> consumers_;
  std::vector<std::thread> merge_threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> cancel_merges_{false};
  uint64_t merge_generation_ = 0;  // bumped by inserts: new parts may make a merge worth it
};

}  // namespace hedgerow::store
