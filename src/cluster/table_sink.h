#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster_ddl.h"
#include "hedgerow/cluster/clickhouse_node.h"
#include "hedgerow/cluster/cluster_store.h"
#include "hedgerow/common/metrics.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/json_rows.h"

namespace hedgerow::cluster {

struct SinkOptions {
  ClickHouseNode node;        // where the inserts go
  std::string database;
  std::string insert_table;   // writable_events for events, else the table itself
  ServerVersion version;
  size_t batch_rows = 65536;
  size_t batch_bytes = 32u << 20;
  std::chrono::milliseconds batch_wait{500};
  std::chrono::milliseconds idle_flush{50};
  // Failed inserts are retried after retry_min, doubling up to retry_max.
  std::chrono::milliseconds retry_min{250};
  std::chrono::milliseconds retry_max{std::chrono::seconds(30)};
  int thread_nice = 10;
};

// The cluster's counterpart of the store's table consumer: reads one clickhouse_* topic in
// batches, decodes the rows with the store's decoder (the same checks) and inserts them over
// ClickHouse's HTTP interface, committing the log offsets only after ClickHouse acknowledged
// the insert. A crash between the two inserts the batch again; the rows carry the same sort
// key and version, so they collapse under FINAL as in the embedded store. While the cluster
// refuses, the batch is retried with backoff and the log keeps the rest.
class TableSink {
 public:
  TableSink(const store::TableSchema& schema, log::Log& log, SinkOptions options, MetricsRegistry* metrics);
  ~TableSink();

  Status Start();
  void Stop();
  // Ok while it runs and its last insert succeeded; kUnavailable with the error it retries.
  Status Health() const;

 private:
  void Run();
  // Decodes the records of one fetch; undecodable ones become dead letters.
  void Take(log::FetchResult& result, uint32_t partition, store::JsonRowDecoder& decoder);
  // Inserts what `decoder` holds and commits `next`, retrying until done or stopping (false).
  bool Flush(store::JsonRowDecoder& decoder);
  // Inserts rows [begin, end) of `rows`, retrying until done or stopping (false); a row
  // ClickHouse keeps refusing for its values goes to the dead letters. `inserted_some` is set
  // once any part of the batch went in.
  bool InsertRange(const store::Block& rows, size_t begin, size_t end, bool& inserted_some);
  // Waits `delay` or until Stop; the next delay.
  std::chrono::milliseconds Backoff(std::chrono::milliseconds delay);
  void SetFailing(Status status);

  const store::TableSchema& schema_;
  log::Log& log_;
  const SinkOptions options_;
  const std::string group_;
  uint32_t partitions_ = 0;
  uint32_t first_partition_ = 0;  // where the next round of fetches starts
  std::map<uint32_t, uint64_t> committed_;  // per partition: the offset committed last
  std::map<uint32_t, uint64_t> next_;       // per partition: the next offset to read
  size_t bytes_ = 0;
  std::vector<log::OutgoingRecord> dead_letters_;
  std::atomic<bool> stop_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread thread_;
  mutable std::mutex health_mu_;
  Status failing_;  // guarded by health_mu_
  Counter* rows_inserted_ = nullptr;
  Counter* insert_errors_ = nullptr;
  Counter* bad_rows_ = nullptr;
  Gauge* failing_gauge_ = nullptr;
};

}  // namespace hedgerow::cluster
