#include "hedgerow/ingest/pipeline.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"
#include "row_batches.h"

namespace hedgerow::ingest {

std::string Pipeline::SourcePrefix(uint32_t partition) const {
  return fmt::format("{}:{}:", options_.input_topic, partition);
}

Status Pipeline::OverflowedOffsets(uint32_t partition, log::Offset from, log::Offset to,
                                   std::unordered_set<log::Offset>& offsets) {
  // The overflow topic holds only hot keys' events: read it whole (once per re-applied
  // batch, after a crash) rather than keep an index.
  const std::string prefix = SourcePrefix(partition);
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<log::PartitionInfo> partitions, log_->Partitions(options_.overflow_topic));
  for (const log::PartitionInfo& p : partitions) {
    for (log::Offset at = p.start; at < p.end;) {
      HEDGEROW_ASSIGN_OR_RETURN(log::FetchResult f, log_->Fetch(options_.overflow_topic, p.partition, at, 10000, 16 << 20));
      if (f.records.empty()) break;
      for (const log::StoredRecord& r : f.records) {
        for (const auto& [key, value] : r.record.headers) {
          if (key != kSourceHeader || value.rfind(prefix, 0) != 0) continue;
          log::Offset offset = 0;
          auto [end, error] = std::from_chars(value.data() + prefix.size(), value.data() + value.size(), offset);
          if (error == std::errc() && offset >= from && offset < to) offsets.insert(offset);
        }
      }
      at = f.records.back().offset + 1;
    }
  }
  return Status::Ok();
}

Pipeline::Pipeline(PipelineOptions options, log::Log* log, persons::PersonStore* persons, EventProcessor processor,
                   MetricsRegistry* metrics)
    : options_(std::move(options)),
      log_(log),
      persons_(persons),
      processor_(std::move(processor)),
      events_processed_(metrics->GetCounter("hedgerow_ingest_events_total", "Input messages the pipeline processed")),
      batches_(metrics->GetCounter("hedgerow_ingest_batches_total", "Persons transactions committed by the pipeline")),
      overflowed_(metrics->GetCounter("hedgerow_ingest_overflow_total", "Events of hot keys sent to the overflow topic",
                                      {{"topic", options_.input_topic}})),
      failed_batches_(metrics->GetCounter("hedgerow_ingest_failed_batches_total",
                                          "Pipeline steps that failed on an outage and were retried",
                                          {{"topic", options_.input_topic}})),
      dead_letters_(metrics->GetCounter("hedgerow_ingest_dead_letters_total",
                                        "Input messages sent to dead_letter_queue", {{"topic", options_.input_topic}})) {}

bool Pipeline::TakeToken(std::string_view key, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(buckets_mu_);
  if (buckets_.size() > 1000000) buckets_.clear();  // bounded: forgetting a bucket only refills it
  auto it = buckets_.find(key);
  bool fresh = it == buckets_.end();
  if (fresh) it = buckets_.emplace(std::string(key), Bucket{options_.overflow_burst, now}).first;
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(options_.overflow_burst, b.tokens + elapsed * options_.overflow_rate_per_second);
    b.updated = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

Pipeline::~Pipeline() { Stop(); }

Status Pipeline::Start() {
  HEDGEROW_RETURN_IF_ERROR(log_->RegisterGroup(options_.group, options_.input_topic));
  HEDGEROW_ASSIGN_OR_RETURN(log::TopicConfig topic, log_->Topic(options_.input_topic));
  for (uint32_t p = 0; p < topic.partitions; ++p) HEDGEROW_RETURN_IF_ERROR(KeepUnpersistedInput(p));
  stop_ = false;
  for (size_t w = 0; w < std::max<size_t>(1, options_.workers); ++w) {
    workers_.emplace_back([this, w, n = topic.partitions] { WorkerLoop(w, n); });
  }
  return Status::Ok();
}

void Pipeline::Stop() {
  stop_ = true;
  if (workers_.empty()) return;
  for (auto& t : workers_) t.join();
  workers_.clear();
  {
    std::unique_lock<std::mutex> lock(appends_mu_);
    append_done_.wait(lock, [&] { return appends_under_way_ == 0; });
  }
  // What the workers applied becomes durable; were this to fail, the log still has it.
  if (Status s = persons_->Persist(); !s.ok()) LogWarn("ingest", "persisting persons at stop failed", {{"error", s.ToString()}});
}

std::optional<uint32_t> Pipeline::ClaimPartition(uint32_t first, uint32_t partitions) {
  std::lock_guard<std::mutex> lock(appends_mu_);
  std::optional<uint32_t> busy;  // free but for its append
  for (uint32_t i = 0; i < partitions; ++i) {
    uint32_t p = (first + i) % partitions;
    PartitionState& state = appends_[p];
    if (state.claimed) continue;
    if (state.under_way) {
      if (!busy) busy = p;
      continue;
    }
    state.claimed = true;
    return p;
  }
  if (busy) appends_[*busy].claimed = true;
  return busy;
}

void Pipeline::ReleasePartition(uint32_t partition) {
  std::lock_guard<std::mutex> lock(appends_mu_);
  appends_[partition].claimed = false;
  append_done_.notify_all();
}

void Pipeline::WorkerLoop(size_t worker, uint32_t partitions) {
  NameCurrentThread(options_.overflow_topic.empty() ? "ingest-overflow" : "ingest");
  SetCurrentThreadNice(options_.worker_nice, "ingest");
  // Each pass steps every partition once, unless another worker has it at the moment.
  uint32_t first = static_cast<uint32_t>(worker) % partitions;
  while (!stop_) {
    size_t consumed = 0;
    bool claimed_any = false;
    for (uint32_t i = 0; i < partitions && !stop_; ++i) {
      std::optional<uint32_t> p = ClaimPartition((first + i) % partitions, partitions);
      if (!p) break;
      claimed_any = true;
      Result<size_t> n = Step(*p, std::chrono::milliseconds(0));
      ReleasePartition(*p);
      if (!n.ok()) {
        // An outage (disk, SQLite busy): nothing was lost; the same batch is retried.
        LogWarn("ingest", "batch failed; will retry", {{"partition", *p}, {"error", n.status().ToString()}});
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      consumed += *n;
    }
    if (consumed > 0 && consumed < options_.trickle_records && !stop_) {
      // A trickle: let input gather for a moment, so that each persons commit and log
      // append carries many events rather than a handful (Kafka's fetch.max.wait.ms).
      std::this_thread::sleep_for(options_.trickle_wait);
      continue;
    }
    if (consumed == 0 && !stop_) {
      // Idle: what was applied becomes durable on time even without a next batch.
      if (Status s = persons_->PersistIfDue(); !s.ok()) LogWarn("ingest", "persisting persons failed", {{"error", s.ToString()}});
      if (claimed_any) {
        WaitForInput(partitions);
      } else {
        // More workers than partitions: wait for one to be released.
        std::unique_lock<std::mutex> lock(appends_mu_);
        append_done_.wait_for(lock, std::chrono::milliseconds(100));
      }
    }
  }
}

void Pipeline::WaitForInput(uint32_t partitions) {
  // Past every partition's committed offset, in any partition: one wait, so that a lone
  // event is taken at once whichever partition it landed in.
  constexpr std::chrono::milliseconds kIdlePoll{100};
  std::vector<log::Offset> positions(partitions);
  std::vector<bool> busy(partitions);
  {
    // Another worker's partition (a batch or its append under way) is past its committed
    // offset until that append lands: not new input, and waiting on it would spin.
    std::lock_guard<std::mutex> lock(appends_mu_);
    for (uint32_t p = 0; p < partitions; ++p) busy[p] = appends_[p].claimed || appends_[p].under_way;
  }
  for (uint32_t p = 0; p < partitions; ++p) {
    if (busy[p]) {
      positions[p] = std::numeric_limits<log::Offset>::max();
      continue;
    }
    Result<std::optional<log::Offset>> committed = log_->Committed(options_.group, options_.input_topic, p);
    if (!committed.ok()) {
      std::this_thread::sleep_for(kIdlePoll);
      return;
    }
    positions[p] = committed->value_or(0);
  }
  if (!log_->WaitForRecords(options_.input_topic, positions, kIdlePoll).ok()) std::this_thread::sleep_for(kIdlePoll);
}

Result<size_t> Pipeline::RunOnce(uint32_t partition, std::chrono::milliseconds wait) {
  HEDGEROW_ASSIGN_OR_RETURN(size_t n, Step(partition, wait));
  HEDGEROW_RETURN_IF_ERROR(AwaitAppend(partition));
  return n;
}

Status Pipeline::AwaitAppend(uint32_t partition) {
  std::unique_lock<std::mutex> lock(appends_mu_);
  PartitionState& a = appends_[partition];
  append_done_.wait(lock, [&] { return !a.under_way; });
  return std::exchange(a.last, Status::Ok());
}

Result<size_t> Pipeline::Step(uint32_t partition, std::chrono::milliseconds wait) {
  Result<size_t> n = Status::Internal("not run");
  try {
    n = StepBatch(partition, wait);
  } catch (const std::exception& e) {
    // Every message's own failures are dead letters already: this is the machine's (memory).
    n = Status::Internal(fmt::format("ingest: step failed: {}", e.what()));
  }
  if (!n.ok()) failed_batches_.Inc();
  return n;
}

Status Pipeline::KeepUnpersistedInput(uint32_t partition) {
  const std::string& topic = options_.input_topic;
  return log_->SetRetentionFloor(RetentionHolder(), topic, partition, persons_->PersistedOffset(topic, partition));
}

Result<size_t> Pipeline::StepBatch(uint32_t partition, std::chrono::milliseconds wait) {
  // The committed and applied offsets below are only final once the last append is done.
  HEDGEROW_RETURN_IF_ERROR(AwaitAppend(partition));
  HEDGEROW_RETURN_IF_ERROR(KeepUnpersistedInput(partition));
  const std::string& topic = options_.input_topic;
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<log::Offset> committed_opt, log_->Committed(options_.group, topic, partition));
  const log::Offset committed = committed_opt.value_or(0);
  const uint64_t applied = persons_->AppliedOffset(topic, partition);
  log::Offset from = committed;
  if (applied < committed) {
    // The log has rows of batches whose person updates were not persisted (a crash, a
    // failed append, a restored backup): apply them again, from the state they first saw,
    // and emit nothing the log already has.
    LogInfo("ingest", "re-applying persons of delivered batches", {{"partition", partition}, {"applied", applied}, {"committed", committed}});
    from = applied;
  } else if (applied > committed) {
    // Only a log that lost its commits gets here: its updates are held, never apply them twice.
    LogWarn("ingest", "persons ahead of the log's committed offset; skipping to it",
            {{"partition", partition}, {"applied", applied}, {"committed", committed}});
    from = applied;
  }
  // The records in place: Prepare reads each message where it was decoded.
  HEDGEROW_ASSIGN_OR_RETURN(log::FetchedViews batch,
                            log_->FetchViews(topic, partition, from, options_.max_batch_records, 16 << 20, wait));
  if (batch.records.empty()) return size_t{0};

  // Re-applied events that the first run sent to the overflow topic are the overflow
  // pipeline's to apply, not this one's.
  std::unordered_set<log::Offset> overflowed;
  if (from < committed && !options_.overflow_topic.empty()) {
    HEDGEROW_RETURN_IF_ERROR(OverflowedOffsets(partition, from, committed, overflowed));
  }
  // Outside the persons lock: the overflow decision and the first phase of every event,
  // so that one worker prepares its batch while another holds the transaction.
  auto now = std::chrono::steady_clock::now();
  const int64_t received = NowMicros();
  std::vector<std::optional<PreparedEvent>> prepared(batch.records.size());
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const log::RecordView& r = batch.records[i].record;
    const log::Offset offset = batch.records[i].offset;
    bool apply = offset < committed ? overflowed.count(offset) == 0
                                    : options_.overflow_topic.empty() || TakeToken(r.key, now);
    if (apply) prepared[i] = processor_.Prepare(r.value, received);
  }
  const log::Offset next = batch.records.back().offset + 1;
  {
    HEDGEROW_ASSIGN_OR_RETURN(auto txn, persons_->Begin());
    // Begin() started over from the persisted state meanwhile (a failed delivery): the
    // batch was fetched from the wrong place.
    if (persons_->AppliedOffset(topic, partition) != applied) return size_t{0};
    for (std::optional<PreparedEvent>& event : prepared) {
      if (event) HEDGEROW_RETURN_IF_ERROR(processor_.Finish(*event, *txn));
    }
    txn->AwaitDelivery();
    HEDGEROW_RETURN_IF_ERROR(txn->Commit());
  }
  // Outside the lock: the rows' JSON, but none for records the log already has rows for.
  // From here the batch is committed in persons and awaits its delivery: should anything
  // throw before the append takes the rows, it is a failed delivery (persons start over
  // from what is persisted and the batch is read again), never a batch left in flight.
  auto undeliverable = [&] { persons_->Delivered(topic, partition, next, false); };
  RowBatches out(log_);
  try {
    for (size_t i = 0; i < batch.records.size(); ++i) {
      if (batch.records[i].offset < committed) continue;
      if (prepared[i]) {
        processor_.Emit(*prepared[i], out);
        continue;
      }
      log::OutgoingRecord o{.topic = options_.overflow_topic, .record = batch.records[i].record.ToRecord()};
      o.record.headers.emplace_back(kSourceHeader, SourcePrefix(partition) + std::to_string(batch.records[i].offset));
      out.Add(std::move(o));
      overflowed_.Inc();
    }
  } catch (...) {
    undeliverable();
    throw;
  }
  const size_t consumed = batch.records.size();
  if (next <= committed) {
    persons_->Delivered(topic, partition, next, true);  // all re-applied: the log has every row
  } else {
    {
      // At most one append under way per worker: each holds a batch's rows (megabytes), and
      // more in the queue would not be written sooner.
      std::unique_lock<std::mutex> lock(appends_mu_);
      append_done_.wait(lock, [&] { return appends_under_way_ < std::max<size_t>(1, options_.workers); });
      ++appends_under_way_;
      appends_[partition].under_way = true;
    }
    try {
      AppendRows(out, partition, next, consumed);
    } catch (...) {
      undeliverable();
      std::lock_guard<std::mutex> lock(appends_mu_);
      appends_[partition].under_way = false;
      --appends_under_way_;
      append_done_.notify_all();
      throw;
    }
    return consumed;
  }
  events_processed_.Inc(consumed);
  batches_.Inc();
  return consumed;
}

void Pipeline::AppendRows(RowBatches& out, uint32_t partition, log::Offset next, size_t consumed) {
  const std::string& topic = options_.input_topic;
  log_->Append(out.TakePlain(), out.TakeEncoded(), {{options_.group, topic, partition, next}},
               [this, partition, next, consumed, dead = out.dead_letters()](Result<std::vector<log::RecordPosition>> appended) {
                 persons_->Delivered(options_.input_topic, partition, next, appended.ok());
                 if (appended.ok()) {
                   events_processed_.Inc(consumed);
                   dead_letters_.Inc(dead);
                   batches_.Inc();
                 }
                 std::lock_guard<std::mutex> lock(appends_mu_);
                 PartitionState& a = appends_[partition];
                 a.under_way = false;
                 --appends_under_way_;
                 a.last = appended.status();
                 append_done_.notify_all();
               });
}

}  // namespace hedgerow::ingest
