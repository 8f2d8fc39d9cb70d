#include "hedgerow/store/store.h"

#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"
#include "table_consumer.h"

namespace hedgerow::store {
namespace {

constexpr std::chrono::seconds kMergeIdleWait{1};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(StoreOptions options, MetricsRegistry* metrics) {
  std::unique_ptr<Store> store(new Store(std::move(options), metrics));
  for (const TableSchema& schema : PostHogTables()) {
    TableOptions t{.dir = store->options_.dir + "/" + schema.name,
                   .shards = store->options_.shards,
                   .max_merge_bytes = store->options_.max_merge_bytes,
                   .read_only = store->options_.read_only};
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<Table> table, Table::Open(schema, std::move(t)));
    store->tables_.push_back(std::move(table));
  }
  for (const auto& table : store->tables_) store->UpdateGauges(*table);
  return store;
}

Store::Store(StoreOptions options, MetricsRegistry* metrics) : options_(std::move(options)), metrics_(metrics) {}

Store::~Store() { Stop(); }

Table* Store::table(std::string_view name) const {
  for (const auto& t : tables_) {
    if (t->schema().name == name) return t.get();
  }
  return nullptr;
}

Status Store::Start(log::Log* log) {
  for (const auto& table : tables_) {
    auto consumer = std::make_unique<TableConsumer>(*table, *log, *this, options_, metrics_);
    HEDGEROW_RETURN_IF_ERROR(consumer->Start());
    consumers_.push_back(std::move(consumer));
  }
  for (size_t i = 0; i < options_.merge_threads; ++i) merge_threads_.emplace_back([this] { MergeLoop(); });
  return Status::Ok();
}

void Store::Stop() {
  cancel_merges_ = true;  // merges stop within a block of rows: shutdown never waits for one
  for (auto& c : consumers_) c->Stop();
  consumers_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : merge_threads_) t.join();
  merge_threads_.clear();
}

Status Store::CheckHealth() const {
  std::error_code ec;
  std::filesystem::space_info space = std::filesystem::space(options_.dir, ec);
  if (ec) return Status::Unavailable("store: cannot read " + options_.dir + ": " + ec.message());
  if (space.available < kMinFreeBytes) {
    return Status::Unavailable(fmt::format("store: {} bytes free under {}", space.available, options_.dir));
  }
  if (consumers_.empty()) return Status::Unavailable("store: consumers are not running");
  for (const auto& c : consumers_) HEDGEROW_RETURN_IF_ERROR(c->Health());
  return Status::Ok();
}

void Store::WakeMerges() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++merge_generation_;
  }
  wake_.notify_one();
}

void Store::MergeLoop() {
  NameCurrentThread("store-merge");
  SetCurrentThreadNice(options_.thread_nice, "store");
  Gauge* running = metrics_ ? &metrics_->GetGauge("hedgerow_store_merges_running", "Merges in progress") : nullptr;
  Counter* done = metrics_ ? &metrics_->GetCounter("hedgerow_store_merges_total", "Merges completed") : nullptr;
  Counter* failed = metrics_ ? &metrics_->GetCounter("hedgerow_store_merge_errors_total", "Merges that failed") : nullptr;
  std::optional<std::chrono::steady_clock::time_point> retention_ran;
  while (true) {
    uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      generation = merge_generation_;
    }
    // Retention in the merge thread: it drops whole partitions, which merges must not hold.
    if (!retention_ran || std::chrono::steady_clock::now() - *retention_ran >= options_.retention_interval) {
      retention_ran = std::chrono::steady_clock::now();
      ApplyRetention(NowMicros());
    }
    bool merged = false;
    for (const auto& table : tables_) {
      std::optional<MergeCandidate> candidate = table->SelectMerge();
      if (!candidate) continue;
      if (running) running->Add(1);
      Status s = table->Merge(*candidate, &cancel_merges_);
      if (running) running->Add(-1);
      if (cancel_merges_) return;
      if (s.ok()) {
        if (done) done->Inc();
        merged = true;
        UpdateGauges(*table);
      } else {
        if (failed) failed->Inc();
        LogError("store", "merge failed", {{"table", table->schema().name}, {"error", s.message()}});
      }
    }
    if (merged) continue;
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, kMergeIdleWait, [&] { return stopping_ || merge_generation_ != generation; });
  }
}

uint64_t Store::ApplyRetention(int64_t now_micros) {
  if (options_.events_retention_days == 0) return 0;
  Table* events = table("events");
  const int64_t cutoff = now_micros - int64_t{options_.events_retention_days} * 86'400'000'000;
  uint64_t rows = events->DropPartitionsBefore(cutoff);
  if (rows > 0) {
    UpdateGauges(*events);
    if (metrics_ != nullptr) {
      metrics_->GetCounter("hedgerow_store_retention_rows_dropped_total", "Rows dropped with expired partitions",
                           {{"table", "events"}}).Inc(rows);
    }
  }
  return rows;
}

Status Store::MergeAll() {
  for (const auto& table : tables_) {
    HEDGEROW_RETURN_IF_ERROR(table->MergeAll());
    UpdateGauges(*table);
  }
  return Status::Ok();
}

void Store::UpdateGauges(const Table& table) {
  if (metrics_ == nullptr) return;
  MetricLabels labels{{"table", table.schema().name}};
  uint64_t rows = 0, bytes = 0;
  PartList parts = table.AllParts();
  for (const auto& p : parts) {
    rows += p->meta().rows;
    bytes += p->meta().bytes_on_disk;
  }
  metrics_->GetGauge("hedgerow_store_parts", "Active parts", labels).Set(static_cast<double>(parts.size()));
  metrics_->GetGauge("hedgerow_store_rows", "Rows in active parts (duplicates until merged)", labels)
      .Set(static_cast<double>(rows));
  metrics_->GetGauge("hedgerow_store_bytes_on_disk", "Bytes of active parts", labels).Set(static_cast<double>(bytes));
  metrics_->GetGauge("hedgerow_store_damaged_parts", "Parts set aside as damaged (broken_*; see hedgerow store check)", labels)
      .Set(static_cast<double>(table.damaged().size()));
}

}  // namespace hedgerow::store
