#include "table_sink.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"
#include "row_binary.h"

namespace hedgerow::cluster {
namespace {

constexpr std::chrono::milliseconds kIdlePoll{100};
constexpr std::chrono::milliseconds kTrickleWait{50};
// As the store's consumer, a block never spans more monthly partitions than one insert may
// (ClickHouse's max_partitions_per_insert_block is 100 too).
constexpr size_t kMaxPartitionsPerInsert = 100;
// Refusals of the same rows (not a node being away) before the batch is halved.
constexpr int kRefusalsBeforeSplit = 3;

}  // namespace

TableSink::TableSink(const store::TableSchema& schema, log::Log& log, SinkOptions options, MetricsRegistry* metrics)
    : schema_(schema), log_(log), options_(std::move(options)), group_(SinkGroupName(schema)) {
  if (metrics != nullptr) {
    MetricLabels labels{{"table", schema.name}};
    rows_inserted_ = &metrics->GetCounter("hedgerow_cluster_rows_inserted_total", "Rows inserted into the ClickHouse cluster", labels);
    insert_errors_ = &metrics->GetCounter("hedgerow_cluster_insert_errors_total", "Failed inserts into the cluster (retried)", labels);
    bad_rows_ = &metrics->GetCounter("hedgerow_cluster_bad_rows_total",
                                     "Topic records that did not decode (sent to dead_letter_queue)", labels);
    failing_gauge_ = &metrics->GetGauge("hedgerow_cluster_insert_failing",
                                        "1 while inserts into the cluster fail and are retried", labels);
  }
}

TableSink::~TableSink() { Stop(); }

Status TableSink::Start() {
  HEDGEROW_ASSIGN_OR_RETURN(log::TopicConfig config, log_.Topic(schema_.topic));
  partitions_ = config.partitions;
  HEDGEROW_RETURN_IF_ERROR(log_.RegisterGroup(group_, schema_.topic));
  for (uint32_t p = 0; p < partitions_; ++p) {
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<log::Offset> committed, log_.Committed(group_, schema_.topic, p));
    committed_[p] = next_[p] = committed.value_or(0);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void TableSink::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status TableSink::Health() const {
  if (!thread_.joinable()) return Status::Unavailable("cluster: the sink of " + schema_.name + " is not running");
  std::lock_guard<std::mutex> lock(health_mu_);
  return failing_;
}

void TableSink::SetFailing(Status status) {
  if (failing_gauge_ != nullptr) failing_gauge_->Set(status.ok() ? 0 : 1);
  std::lock_guard<std::mutex> lock(health_mu_);
  failing_ = std::move(status);
}

std::chrono::milliseconds TableSink::Backoff(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  stop_cv_.wait_for(lock, delay, [this] { return stop_.load(); });
  return std::min(delay * 2, options_.retry_max);
}

void TableSink::Take(log::FetchResult& result, uint32_t partition, store::JsonRowDecoder& decoder) {
  std::vector<std::pair<uint64_t, std::string>> bad;  // offset, error
  for (log::StoredRecord& r : result.records) {
    if (decoder.partitions() >= kMaxPartitionsPerInsert) break;
    bytes_ += r.record.value.size();
    if (Status s = decoder.Add(r.record.value, r.record.timestamp_ms, r.offset); !s.ok()) {
      if (bad_rows_ != nullptr) bad_rows_->Inc();
      LogWarn("cluster", "undecodable row sent to dead_letter_queue",
              {{"table", schema_.name}, {"partition", static_cast<uint64_t>(partition)}, {"offset", r.offset},
               {"error", s.message()}});
      // The dead letter queue's own bad rows have nowhere further to go: counted and logged.
      if (schema_.topic != "dead_letter_queue") bad.emplace_back(r.offset, s.message());
    }
    next_[partition] = r.offset + 1;
  }
  for (log::OutgoingRecord& letter : store::DeadLettersFromLog(log_, schema_.topic, partition, bad, "cluster:" + schema_.name)) {
    dead_letters_.push_back(std::move(letter));
  }
}

void TableSink::Run() {
  NameCurrentThread("cluster-" + schema_.name);
  SetCurrentThreadNice(options_.thread_nice, "cluster");
  store::JsonRowDecoder decoder(schema_);
  int64_t first_record_ms = 0, last_arrival_ms = 0;
  std::vector<log::Offset> positions(partitions_);
  std::chrono::milliseconds fetch_retry = options_.retry_min;
  while (true) {
    const bool stopping = stop_.load();
    bool got = false, fetch_failed = false;
    auto full = [&] {
      return decoder.rows() >= options_.batch_rows || bytes_ >= options_.batch_bytes ||
             decoder.partitions() >= kMaxPartitionsPerInsert;
    };
    // Each round starts at the next partition: a backlog in one never starves the others.
    first_partition_ = partitions_ == 0 ? 0 : (first_partition_ + 1) % partitions_;
    for (uint32_t i = 0; i < partitions_ && !stopping && !full(); ++i) {
      const uint32_t p = (first_partition_ + i) % partitions_;
      auto result = log_.Fetch(schema_.topic, p, next_[p], options_.batch_rows - decoder.rows(),
                               options_.batch_bytes - bytes_);
      if (!result.ok()) {
        // Records deleted before they were inserted (a log restored by hand): resume at the
        // log's start, as Kafka's auto.offset.reset=earliest, rather than fail forever.
        if (auto info = log_.Partitions(schema_.topic); info.ok() && p < info->size() && next_[p] < (*info)[p].start) {
          LogError("cluster", "records were deleted from the log before they were inserted; resuming at the log start",
                   {{"table", schema_.name}, {"partition", static_cast<uint64_t>(p)}, {"from", next_[p]},
                    {"log_start", (*info)[p].start}});
          next_[p] = (*info)[p].start;
          continue;
        }
        LogWarn("cluster", "fetch failed", {{"table", schema_.name}, {"error", result.status().message()}});
        fetch_failed = true;
        continue;
      }
      if (!result->records.empty()) {
        got = true;
        if (first_record_ms == 0) first_record_ms = MonotonicMillis();
      }
      Take(*result, p, decoder);
    }
    const int64_t now = MonotonicMillis();
    if (got) last_arrival_ms = now;
    const bool pending = next_ != committed_;
    const int64_t deadline_ms = first_record_ms + options_.batch_wait.count();
    const int64_t idle_ms = last_arrival_ms + options_.idle_flush.count();
    // As the store's consumer: inserted when full, when the oldest row waited batch_wait, or
    // as soon as the input is drained, so one event is visible at once.
    if (pending && (full() || stopping || now >= deadline_ms || now >= idle_ms)) {
      if (!Flush(decoder)) return;
      bytes_ = 0;
      first_record_ms = 0;
    }
    if (stopping) return;
    if (full()) continue;
    if (fetch_failed) {
      fetch_retry = Backoff(fetch_retry);
      continue;
    }
    fetch_retry = options_.retry_min;
    if (got) {
      int64_t left = std::min(deadline_ms, idle_ms) - MonotonicMillis();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(left, 0, kTrickleWait.count())));
      continue;
    }
    int64_t wait_ms = kIdlePoll.count();
    if (first_record_ms != 0) wait_ms = std::clamp<int64_t>(std::min(deadline_ms, idle_ms) - MonotonicMillis(), 0, wait_ms);
    for (uint32_t p = 0; p < partitions_; ++p) positions[p] = next_[p];
    if (auto waited = log_.WaitForRecords(schema_.topic, positions, std::chrono::milliseconds(wait_ms)); !waited.ok()) {
      LogWarn("cluster", "waiting for records failed", {{"table", schema_.name}, {"error", waited.status().message()}});
      Backoff(kIdlePoll);
    }
  }
}

namespace {

// A row ClickHouse refused, as the dead letter's payload: its columns as a JSON object.
std::string RowAsJson(const store::Block& rows, size_t row) {
  std::string out = "{";
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    if (c > 0) out += ',';
    AppendJsonString(out, rows.names[c]);
    out += ':';
    const store::Column& column = rows.columns[c];
    switch (column.type()) {
      case store::Type::kString: AppendJsonString(out, column.StringAt(row)); break;
      case store::Type::kUuid: {
        Uuid uuid;
        std::memcpy(uuid.bytes.data(), column.FixedAt(row), uuid.bytes.size());
        AppendJsonString(out, uuid.ToString());
        break;
      }
      case store::Type::kDateTime64: AppendJsonString(out, FormatClickHouseDateTime64(column.Get<int64_t>(row))); break;
      case store::Type::kDateTime: out += fmt::format("{}", column.Get<uint32_t>(row)); break;
      case store::Type::kUInt8: out += fmt::format("{}", column.Get<uint8_t>(row)); break;
      case store::Type::kUInt16:
      case store::Type::kDate: out += fmt::format("{}", column.Get<uint16_t>(row)); break;
      case store::Type::kUInt32: out += fmt::format("{}", column.Get<uint32_t>(row)); break;
      case store::Type::kUInt64: out += fmt::format("{}", column.Get<uint64_t>(row)); break;
      case store::Type::kInt64: out += fmt::format("{}", column.Get<int64_t>(row)); break;
      case store::Type::kFloat64: out += fmt::format("{}", column.Get<double>(row)); break;
    }
  }
  return out + "}";
}

}  // namespace

bool TableSink::InsertRange(const store::Block& rows, size_t begin, size_t end, bool& inserted_some) {
  store::Block slice = rows.EmptyLike();
  slice.AppendRange(rows, begin, end);
  std::string body;
  AppendRowBinary(slice, options_.version, body);
  std::string columns;
  for (const std::string& name : rows.names) columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(name);
  const std::string sql = fmt::format("INSERT INTO {}.{} ({}) FORMAT RowBinary", QuoteIdentifier(options_.database),
                                      QuoteIdentifier(options_.insert_table), columns);
  // A Distributed table acknowledges only once every shard has its rows.
  NodeRequest request{.sql = sql, .body = body, .settings = {{"insert_distributed_sync", "1"}}};
  std::chrono::milliseconds delay = options_.retry_min;
  int refusals = 0;
  while (true) {
    Result<std::string> inserted = RunOnNode(options_.node, request);
    if (inserted.ok()) {
      inserted_some = true;
      return true;
    }
    if (insert_errors_ != nullptr) insert_errors_->Inc();
    SetFailing(Status::Unavailable("cluster: inserts into " + schema_.name + " are failing: " + inserted.status().message()));
    LogError("cluster", "insert failed, retrying",
             {{"table", schema_.name}, {"rows", end - begin}, {"retry_ms", static_cast<int64_t>(delay.count())},
              {"error", inserted.status().message()}});
    // ClickHouse refusing the rows themselves, again and again: find the row it refuses by
    // halving, and send that one to dead_letter_queue rather than stall the topic on it. A
    // refusal that is not about values (a table changed by hand, a full server) is retried
    // as it is: a row goes to the dead letters only when ClickHouse named its values, or
    // when the rest of its batch went in.
    if (inserted.status().code() == StatusCode::kInvalidArgument && ++refusals >= kRefusalsBeforeSplit) {
      if (end - begin > 1) {
        const size_t middle = begin + (end - begin) / 2;
        return InsertRange(rows, begin, middle, inserted_some) && InsertRange(rows, middle, end, inserted_some);
      }
      if (inserted_some || IsRowValueError(ClickHouseErrorCode(inserted.status()))) {
        if (bad_rows_ != nullptr) bad_rows_->Inc();
        // The dead letter queue's own refused rows have nowhere further to go: counted and logged.
        if (schema_.topic != "dead_letter_queue") {
          dead_letters_.push_back(
              store::DeadLetterRecord(RowAsJson(rows, begin), "cluster:" + schema_.name, inserted.status().message()));
        }
        return true;
      }
    }
    if (stop_) return false;  // not committed: the next start inserts the rows again
    delay = Backoff(delay);
  }
}

bool TableSink::Flush(store::JsonRowDecoder& decoder) {
  store::Block rows = decoder.Take();
  bool inserted_some = false;
  if (rows.rows() > 0 && !InsertRange(rows, 0, rows.rows(), inserted_some)) return false;
  std::chrono::milliseconds delay = options_.retry_min;
  std::vector<log::OffsetCommit> commits;
  for (const auto& [p, offset] : next_) {
    if (offset != committed_[p]) commits.push_back({group_, schema_.topic, p, offset});
  }
  // Dead letters go in the same write as the commit past them: both or neither.
  while (true) {
    Status s = dead_letters_.empty() ? log_.Commit(commits) : log_.AppendAndWait(dead_letters_, commits).status();
    if (s.ok()) break;
    SetFailing(Status::Unavailable("cluster: the offsets of " + schema_.name + " cannot be committed: " + s.message()));
    LogError("cluster", "commit failed, retrying", {{"table", schema_.name}, {"error", s.message()}});
    // Inserted again at the next start: the rows collapse under FINAL (in the MergeTree
    // tables, ingestion_warnings and dead_letter_queue, they stay twice).
    if (stop_) return false;
    delay = Backoff(delay);
  }
  dead_letters_.clear();
  SetFailing(Status::Ok());
  if (rows_inserted_ != nullptr) rows_inserted_->Inc(rows.rows());
  committed_ = next_;
  return true;
}

}  // namespace hedgerow::cluster
