#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "hedgerow/log/log.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/store.h"
#include "hedgerow/store/table.h"

namespace hedgerow::store {

// The Kafka engine table plus its materialized view for one table: reads the table's
// topic in batches, decodes the JSON rows and inserts them, then commits the consumer
// offset. The parts carry the offsets too, so after a crash between insert and commit the
// consumer resumes after what the parts hold: no row lost, none inserted twice.
class TableConsumer {
 public:
  TableConsumer(Table& table, log::Log& log, Store& store, const StoreOptions& options, MetricsRegistry* metrics);
  ~TableConsumer();

  Status Start();
  void Stop();

  static std::string GroupName(const TableSchema& schema) { return ConsumerGroupName(schema); }

  // Ok while the consumer runs and its last insert (and dead letter append) succeeded;
  // kUnavailable with the error while it is retrying one.
  Status Health() const;

 private:
  void Run();
  // Inserts the decoded rows and commits `next`, retrying until it succeeds or we stop.
  // Appends the dead letters of the block first. False when it gave up because the
  // consumer is stopping (nothing committed).
  bool Flush(JsonRowDecoder& decoder, const std::map<uint32_t, uint64_t>& next);
  // Moves `next` to the log start when records before it were deleted; whether it did.
  bool SkipToLogStart(uint32_t partition, uint64_t& next);
  // The table lost a damaged part: `next` goes back to the log's start in every partition,
  // and the table's rebuild marker goes once the consumer is past today's ends again.
  Status RewindForRebuild(std::map<uint32_t, uint64_t>& next);
  // Removes the rebuild marker once `next` reached the ends RewindForRebuild recorded.
  void FinishRebuildIfCaughtUp(const std::map<uint32_t, uint64_t>& next);
  // Queues a dead_letter_queue record for each undecodable record of `partition` (offset,
  // error; in offset order) for the next Flush.
  void AddDeadLetters(uint32_t partition, const std::vector<std::pair<uint64_t, std::string>>& bad);
  void SetFailing(Status status);

  Table& table_;
  log::Log& log_;
  Store& store_;
  const StoreOptions& options_;
  std::string group_;
  const bool dead_letter_table_;  // this consumer reads dead_letter_queue itself
  std::vector<log::OutgoingRecord> dead_letters_;  // undecodable rows of the block being built
  uint32_t partitions_ = 0;
  std::map<uint32_t, uint64_t> position_;  // next offset to insert, per partition
  // While rebuilding from the log: the ends to reach, and where the rows go. Until every
  // partition reached its end, records past it wait, so a block never mixes replayed rows
  // (inserted only into `rebuild_scope_`) with new ones.
  std::map<uint32_t, uint64_t> rebuild_until_;
  RebuildScope rebuild_scope_;
  // While rebuilding: `partition`, read up to `next`, reached its end and waits.
  bool Replayed(uint32_t partition, uint64_t next) const;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex health_mu_;
  Status failing_;  // guarded by health_mu_: the error being retried, Ok when none
  Counter* rows_inserted_ = nullptr;
  Counter* bad_rows_ = nullptr;
  Counter* insert_errors_ = nullptr;
};

}  // namespace hedgerow::store
