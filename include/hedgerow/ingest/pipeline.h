#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "hedgerow/common/metrics.h"
#include "hedgerow/common/status.h"
#include "hedgerow/ingest/event_processor.h"
#include "hedgerow/log/log.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::ingest {

struct PipelineOptions {
  std::string input_topic = "events_plugin_ingestion";
  std::string group = "ingestion";
  size_t max_batch_records = 2000;
  size_t workers = 2;  // partition p is worked by worker p % workers
};

// The plugin server's consume loop: reads events_plugin_ingestion, processes batches in one
// persons transaction each, and emits the rows to the clickhouse_* topics.
//
// Exactly once between log and persons (ARCHITECTURE.md guarantee 2), per batch:
//   1. persons txn: apply the batch's person updates, record "applied up to offset N" and
//      the batch's rows (the outbox); commit.
//   2. one log append: the rows, with the consumer offset N committed atomically.
// A crash after 1 and before 2 leaves applied > committed; the next run re-sends the outbox
// instead of re-processing, so no update is applied twice and no row is lost. Rows re-sent
// are identical, so the store's dedup on their keys absorbs any duplicate.
// Thread-safe; Start/Stop from one thread. The log and store must outlive the pipeline.
class Pipeline {
 public:
  Pipeline(PipelineOptions options, log::Log* log, persons::PersonStore* persons, EventProcessor processor,
           MetricsRegistry* metrics);
  ~Pipeline();

  // Registers the consumer group (so retention keeps unread input) and starts the workers.
  Status Start();
  void Stop();

  // One step on one partition: re-sends a pending outbox, or processes up to
  // max_batch_records new records (waiting up to `wait` for some). Returns the number of
  // input records it consumed. Used by the workers, and by tests to drive it by hand.
  Result<size_t> RunOnce(uint32_t partition, std::chrono::milliseconds wait);

 private:
  void WorkerLoop(size_t worker, uint32_t partitions);
  Status Deliver(uint32_t partition, const std::vector<OutputRow>& rows, log::Offset next);

  const PipelineOptions options_;
  log::Log* const log_;
  persons::PersonStore* const persons_;
  const EventProcessor processor_;
  Counter& events_processed_;
  Counter& batches_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

// The outbox's encoding of rows: length-prefixed topic, key and value.
std::string EncodeRows(const std::vector<OutputRow>& rows);
Result<std::vector<OutputRow>> DecodeRows(std::string_view data);

}  // namespace hedgerow::ingest
