#include "table_consumer.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"

namespace hedgerow::store {
namespace {

constexpr std::chrono::milliseconds kIdlePoll{100};
constexpr std::chrono::milliseconds kRetryDelay{500};
constexpr std::chrono::milliseconds kTrickleWait{50};

}  // namespace

TableConsumer::TableConsumer(Table& table, log::Log& log, Store& store, const StoreOptions& options,
                             MetricsRegistry* metrics)
    : table_(table),
      log_(log),
      store_(store),
      options_(options),
      group_(GroupName(table.schema())),
      dead_letter_table_(table.schema().topic == "dead_letter_queue") {
  if (metrics != nullptr) {
    MetricLabels labels{{"table", table.schema().name}};
    rows_inserted_ = &metrics->GetCounter("hedgerow_store_rows_inserted_total", "Rows inserted into the store", labels);
    bad_rows_ = &metrics->GetCounter("hedgerow_store_bad_rows_total",
                                     "Topic records that did not decode (sent to dead_letter_queue)", labels);
    insert_errors_ = &metrics->GetCounter("hedgerow_store_insert_errors_total", "Failed inserts (retried)", labels);
  }
}

TableConsumer::~TableConsumer() { Stop(); }

Status TableConsumer::Start() {
  const std::string& topic = table_.schema().topic;
  HEDGEROW_ASSIGN_OR_RETURN(log::TopicConfig config, log_.Topic(topic));
  partitions_ = config.partitions;
  HEDGEROW_RETURN_IF_ERROR(log_.RegisterGroup(group_, topic));
  std::map<uint32_t, uint64_t> in_parts = table_.LogOffsets();
  std::vector<log::OffsetCommit> catch_up;
  for (uint32_t p = 0; p < partitions_; ++p) {
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<log::Offset> committed, log_.Committed(group_, topic, p));
    uint64_t from = std::max<uint64_t>(committed.value_or(0), in_parts[p]);
    position_[p] = from;
    // The parts got further than the commit before a crash: record it now.
    if (from > committed.value_or(0)) catch_up.push_back({group_, topic, p, from});
  }
  if (!catch_up.empty()) HEDGEROW_RETURN_IF_ERROR(log_.Commit(std::move(catch_up)));
  if (table_.RebuildFromLogPending()) HEDGEROW_RETURN_IF_ERROR(RewindForRebuild(position_));
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status TableConsumer::Health() const {
  if (!thread_.joinable()) return Status::Unavailable("store: the consumer of " + table_.schema().name + " is not running");
  std::lock_guard<std::mutex> lock(health_mu_);
  return failing_;
}

void TableConsumer::SetFailing(Status status) {
  std::lock_guard<std::mutex> lock(health_mu_);
  failing_ = std::move(status);
}

void TableConsumer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TableConsumer::Run() {
  NameCurrentThread("store-" + table_.schema().name);
  SetCurrentThreadNice(options_.thread_nice, "store");
  const std::string& topic = table_.schema().topic;
  JsonRowDecoder decoder(table_.schema());
  std::map<uint32_t, uint64_t> next = position_;
  size_t bytes = 0;
  int64_t first_record_ms = 0;
  // Decodes fetched records until the block is as large as an insert may be: records left
  // over are fetched again for the next block.
  std::vector<std::pair<uint64_t, std::string>> bad;  // offset, error: of one fetch
  auto take = [&](log::FetchResult& result, uint32_t partition) {
    bad.clear();
    for (log::StoredRecord& r : result.records) {
      if (decoder.partitions() >= Table::kMaxPartitionsPerInsert) break;
      if (first_record_ms == 0) first_record_ms = MonotonicMillis();
      bytes += r.record.value.size();
      Status s = decoder.Add(r.record.value, r.record.timestamp_ms, r.offset);
      if (!s.ok()) {
        if (bad_rows_ != nullptr) bad_rows_->Inc();
        LogWarn("store", "undecodable row sent to dead_letter_queue",
                {{"table", table_.schema().name}, {"partition", static_cast<uint64_t>(partition)},
                 {"offset", r.offset}, {"error", s.message()}});
        // The dead letter queue's own bad rows have nowhere further to go: counted and logged.
        if (!dead_letter_table_) bad.emplace_back(r.offset, s.message());
      }
      next[partition] = r.offset + 1;
    }
    if (!bad.empty() && rebuild_until_.empty()) AddDeadLetters(partition, bad);  // a replay sent them already
  };
  int64_t last_arrival_ms = 0;
  std::vector<log::Offset> positions(partitions_);
  while (true) {
    if (table_.TakeRebuildRequest()) {
      // A read found a damaged part: insert what is decoded, then read the topic again.
      if (next != position_ && !Flush(decoder, next)) return;
      bytes = 0;
      first_record_ms = 0;
      if (Status s = RewindForRebuild(next); !s.ok()) {
        LogError("store", "cannot rebuild from the log", {{"table", table_.schema().name}, {"error", s.message()}});
      }
      position_ = next;  // what is read from here on is pending, though its offsets were committed
    }
    bool stopping = stop_.load();
    bool got = false, fetch_failed = false;
    for (uint32_t p = 0; p < partitions_ && !stopping; ++p) {
      if (decoder.rows() >= options_.batch_rows || bytes >= options_.batch_bytes ||
          decoder.partitions() >= Table::kMaxPartitionsPerInsert) {
        break;
      }
      size_t max_records = options_.batch_rows - decoder.rows();
      if (Replayed(p, next[p])) continue;  // its new records wait for the other partitions
      if (!rebuild_until_.empty()) max_records = std::min<uint64_t>(max_records, rebuild_until_.at(p) - next[p]);
      auto result = log_.Fetch(topic, p, next[p], max_records, options_.batch_bytes - bytes);
      if (!result.ok()) {
        // Records deleted before they were inserted (only a log restored or damaged by hand
        // gets there; retention waits for this group): resume at the log's start, as Kafka's
        // auto.offset.reset=earliest does, rather than fail on that offset forever.
        if (SkipToLogStart(p, next[p])) continue;
        LogWarn("store", "fetch failed", {{"table", table_.schema().name}, {"error", result.status().message()}});
        fetch_failed = true;
        continue;
      }
      got = got || !result->records.empty();
      take(*result, p);
    }
    const int64_t now = MonotonicMillis();
    if (got) last_arrival_ms = now;
    const bool pending = next != position_;
    const bool full = decoder.rows() >= options_.batch_rows || bytes >= options_.batch_bytes ||
                      decoder.partitions() >= Table::kMaxPartitionsPerInsert;
    // Inserted when full, when the oldest row has waited batch_wait, or as soon as the input
    // is drained (nothing new for idle_flush): one event is visible at once, while a steady
    // stream still fills large blocks (ClickHouse's async inserts: size, busy and stale timeouts).
    const int64_t deadline_ms = first_record_ms + options_.batch_wait.count();
    const int64_t idle_ms = last_arrival_ms + options_.idle_flush.count();
    if (pending && (full || stopping || now >= deadline_ms || now >= idle_ms)) {
      // Not committed only when stopping: the rows stay in the log past the committed
      // offset, and the next start inserts them (going on would commit `next` without them).
      if (!Flush(decoder, next)) return;
      bytes = 0;
      first_record_ms = 0;
    }
    if (stopping) return;
    if (full) continue;
    if (fetch_failed) {
      std::this_thread::sleep_for(kRetryDelay);
      continue;
    }
    if (got && first_record_ms != 0) {
      // A trickle: let rows gather for a while instead of re-reading every partition for a
      // few records each time (Kafka's fetch.min.bytes / fetch.max.wait.ms, consumer side).
      int64_t left = std::min(deadline_ms, idle_ms) - MonotonicMillis();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(left, 0, kTrickleWait.count())));
      continue;
    }
    // Nothing new: wait for records in any partition, no longer than until the rows held are due.
    int64_t wait_ms = kIdlePoll.count();
    if (first_record_ms != 0) wait_ms = std::clamp<int64_t>(std::min(deadline_ms, idle_ms) - MonotonicMillis(), 0, wait_ms);
    for (uint32_t p = 0; p < partitions_; ++p) {
      positions[p] = Replayed(p, next[p]) ? std::numeric_limits<log::Offset>::max() : next[p];  // no wake-up for what waits
    }
    if (auto waited = log_.WaitForRecords(topic, positions, std::chrono::milliseconds(wait_ms)); !waited.ok()) {
      LogWarn("store", "waiting for records failed", {{"table", table_.schema().name}, {"error", waited.status().message()}});
      std::this_thread::sleep_for(kIdlePoll);
    }
  }
}

Status TableConsumer::RewindForRebuild(std::map<uint32_t, uint64_t>& next) {
  const std::string& topic = table_.schema().topic;
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<log::PartitionInfo> partitions, log_.Partitions(topic));
  uint64_t records = 0;
  std::vector<log::OffsetCommit> rewound;
  for (const log::PartitionInfo& p : partitions) {
    next[p.partition] = p.start;
    rebuild_until_[p.partition] = p.end;
    records += p.end - p.start;
    rewound.push_back({group_, topic, p.partition, p.start});
  }
  rebuild_scope_ = table_.RebuildFromLogScope();
  // Committed back: retention keeps what is to be read again, and whoever waits for this
  // consumer to be past an offset (a person's deletion) waits for the rebuild.
  HEDGEROW_RETURN_IF_ERROR(log_.Commit(std::move(rewound)));
  LogWarn("store", "inserting the table's topic again from the log's start into the partitions of damaged parts; "
          "rows older than the log's start cannot come back",
          {{"table", table_.schema().name}, {"records", records}, {"partitions", static_cast<uint64_t>(rebuild_scope_.size())}});
  FinishRebuildIfCaughtUp(next);
  return Status::Ok();
}

bool TableConsumer::Replayed(uint32_t partition, uint64_t next) const {
  if (rebuild_until_.empty()) return false;
  auto it = rebuild_until_.find(partition);
  return it == rebuild_until_.end() || next >= it->second;
}

void TableConsumer::FinishRebuildIfCaughtUp(const std::map<uint32_t, uint64_t>& next) {
  if (rebuild_until_.empty()) return;
  for (const auto& [partition, end] : rebuild_until_) {
    auto it = next.find(partition);
    if (it == next.end() || it->second < end) return;
  }
  rebuild_until_.clear();
  rebuild_scope_.clear();
  table_.FinishRebuildFromLog();
  LogInfo("store", "rebuilt from the log", {{"table", table_.schema().name}});
}

bool TableConsumer::SkipToLogStart(uint32_t partition, uint64_t& next) {
  const std::string& topic = table_.schema().topic;
  Result<std::vector<log::PartitionInfo>> partitions = log_.Partitions(topic);
  if (!partitions.ok() || partition >= partitions->size()) return false;
  const uint64_t start = (*partitions)[partition].start;
  if (next >= start) return false;
  LogError("store", "records were deleted from the log before the store inserted them; resuming at the log start",
           {{"table", table_.schema().name}, {"partition", static_cast<uint64_t>(partition)}, {"from", next},
            {"log_start", start}, {"records_lost", start - next}});
  next = start;
  return true;
}

void TableConsumer::AddDeadLetters(uint32_t partition, const std::vector<std::pair<uint64_t, std::string>>& bad) {
  for (log::OutgoingRecord& letter : DeadLettersFromLog(log_, table_.schema().topic, partition, bad, "store:" + table_.schema().name)) {
    dead_letters_.push_back(std::move(letter));
  }
}

bool TableConsumer::Flush(JsonRowDecoder& decoder, const std::map<uint32_t, uint64_t>& next) {
  Block rows = decoder.Take();
  const std::string& topic = table_.schema().topic;
  // Dead letters first: once the offsets past them are committed, they must be in the log.
  // A crash between the two sends them again (at least once, as any dead letter queue).
  while (!dead_letters_.empty()) {
    auto appended = log_.AppendAndWait(dead_letters_);
    if (appended.ok()) {
      dead_letters_.clear();
      break;
    }
    LogError("store", "dead letter append failed, retrying",
             {{"table", table_.schema().name}, {"error", appended.status().message()}});
    SetFailing(Status::Unavailable("store: dead letters of " + table_.schema().name +
                                   " cannot be appended: " + appended.status().message()));
    if (stop_) return false;
    std::this_thread::sleep_for(kRetryDelay);
  }
  while (true) {
    Status s = table_.Insert(rows, next, rebuild_until_.empty() ? nullptr : &rebuild_scope_);
    if (s.ok()) {
      std::vector<log::OffsetCommit> commits;
      for (const auto& [p, offset] : next) {
        if (offset != position_[p]) commits.push_back({group_, topic, p, offset});
      }
      // A failed commit is harmless: the parts hold the offsets and win at restart.
      Status c = log_.Commit(std::move(commits));
      if (!c.ok()) LogWarn("store", "offset commit failed", {{"table", table_.schema().name}, {"error", c.message()}});
      break;
    }
    if (insert_errors_ != nullptr) insert_errors_->Inc();
    SetFailing(Status::Unavailable("store: inserts into " + table_.schema().name + " are failing: " + s.message()));
    LogError("store", "insert failed, retrying", {{"table", table_.schema().name}, {"rows", rows.rows()}, {"error", s.message()}});
    if (stop_) {
      // The rows are still in the log past the committed offset: the next start inserts them.
      return false;
    }
    std::this_thread::sleep_for(kRetryDelay);
  }
  SetFailing(Status::Ok());
  if (rows_inserted_ != nullptr) rows_inserted_->Inc(rows.rows());
  position_ = next;
  FinishRebuildIfCaughtUp(next);
  store_.UpdateGauges(table_);
  store_.WakeMerges();
  return true;
}

}  // namespace hedgerow::store
