#include "hedgerow/log/log.h"

#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/options_util.h>
#include <stdlib.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <future>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"
#include "keys.h"
#include "log_impl.h"

namespace hedgerow::log {
namespace {

constexpr const char* kRecordsCf = "records";

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  std::string msg = fmt::format("log: {}: {}", what, s.ToString());
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsNoSpace() || s.IsBusy() || s.IsTryAgain()) return Status::Unavailable(std::move(msg));
  if (s.IsInvalidArgument() || s.IsNotSupported()) return Status::InvalidArgument(std::move(msg));
  return Status::IOError(std::move(msg));
}

// RocksDB's own messages, as lines of our log rather than a LOG file in the data dir: that
// file fills the same disk, and once one of its writes failed, Debian's RocksDB (built with
// assertions) aborts the process at the next message it logs (a full disk killed the server).
class RocksDbLogger : public rocksdb::Logger {
 public:
  RocksDbLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char text[1024];
    std::vsnprintf(text, sizeof text, format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      LogError("log", "rocksdb", {{"message", std::string_view(text)}});
    } else {
      LogWarn("log", "rocksdb", {{"message", std::string_view(text)}});
    }
  }
};

rocksdb::Options DbOptions() {
  rocksdb::Options o;
  o.info_log = std::make_shared<RocksDbLogger>();
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 << 20;
  o.keep_log_file_num = 3;
  o.max_manifest_file_size = 64 << 20;
  // After a crash, replay the WAL up to the last intact record: a torn tail was never
  // acknowledged (its fsync did not return), everything before it was.
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  return o;
}

rocksdb::ColumnFamilyOptions RecordsCfOptions() {
  rocksdb::ColumnFamilyOptions o;
  // Values are record batches already compressed with LZ4/zstd: compressing again costs CPU
  // for nothing.
  o.compression = rocksdb::kNoCompression;
  o.write_buffer_size = 32 << 20;
  o.max_write_buffer_number = 4;
  o.target_file_size_base = 64 << 20;
  o.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 64 << 10;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace

Log::Impl::Impl(LogOptions options, MetricsRegistry* metrics, bool secondary)
    : options_(std::move(options)), metrics_(metrics), secondary_(secondary) {
  if (metrics_ != nullptr) {
    fsyncs_ = &metrics_->GetCounter("hedgerow_log_fsyncs_total", "Group commits written with fsync");
    write_errors_ = &metrics_->GetCounter("hedgerow_log_write_errors_total", "Group commits RocksDB refused");
    group_records_ = &metrics_->GetHistogram(
        "hedgerow_log_group_commit_records", "Records per group commit", {},
        {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536});
    append_latency_ = &metrics_->GetHistogram("hedgerow_log_append_latency_seconds",
                                              "Time from Append to its fsync completing");
  }
}

Status Log::Impl::OpenDb() {
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kRecordsCf, RecordsCfOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  rocksdb::Options opts = DbOptions();
  if (options_.file_system) {
    env_ = rocksdb::NewCompositeEnv(options_.file_system);
    opts.env = env_.get();
  }
  if (secondary_) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hedgerow-log-inspect-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return Status::IOError("log: cannot create a scratch dir");
    secondary_dir_ = tmpl;
    opts.create_if_missing = false;
    opts.max_open_files = -1;  // required by secondary instances
    s = rocksdb::DB::OpenAsSecondary(opts, options_.dir, secondary_dir_, cfs, &handles, &db);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options_.dir, ec);
    s = rocksdb::DB::Open(opts, options_.dir, cfs, &handles, &db);
  }
  if (!s.ok()) return FromRocks(s, fmt::format("opening {}", options_.dir));
  db_.reset(db);
  meta_cf_ = handles[0];
  records_cf_ = handles[1];
  return Status::Ok();
}

Status Log::Impl::LoadTopics() {
  std::lock_guard<std::mutex> lock(topics_mu_);
  std::string next_id;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kNextTopicId, &next_id).ok()) {
    next_topic_id_ = static_cast<uint32_t>(keys::DecodeU64(next_id).value_or(1));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(keys::kTopicPrefix); it->Valid() && it->key().starts_with(keys::kTopicPrefix); it->Next()) {
    std::string name = it->key().ToString().substr(keys::kTopicPrefix.size());
    HEDGEROW_ASSIGN_OR_RETURN(auto decoded, keys::DecodeTopic(name, it->value().ToString()));
    auto& slot = topics_[name];
    if (!slot) slot = std::make_unique<TopicState>();
    TopicState& t = *slot;
    t.id = decoded.first;
    t.config = decoded.second;
    t.start.assign(t.config.partitions, 0);
    t.end.assign(t.config.partitions, 0);
    t.bytes.assign(t.config.partitions, 0);
    std::unique_ptr<rocksdb::Iterator> rit(db_->NewIterator(rocksdb::ReadOptions(), records_cf_));
    for (uint32_t p = 0; p < t.config.partitions; ++p) {
      std::string start;
      if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::LogStart(t.id, p), &start).ok()) {
        t.start[p] = keys::DecodeU64(start).value_or(0);
      }
      std::string bytes;
      if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::PartitionBytes(t.id, p), &bytes).ok()) {
        t.bytes[p] = keys::DecodeU64(bytes).value_or(0);
      }
      // The end is one past the last record of the last batch.
      t.end[p] = t.start[p];
      rit->SeekForPrev(keys::Record(t.id, p, UINT64_MAX));
      if (rit->Valid() && keys::IsRecordOf(rit->key().ToStringView(), t.id, p)) {
        HEDGEROW_ASSIGN_OR_RETURN(BatchHeader h, DecodeBatchHeader(rit->value().ToStringView()));
        t.end[p] = std::max(t.end[p], keys::RecordBase(rit->key().ToStringView()) + h.record_count);
      }
      if (!rit->status().ok()) return FromRocks(rit->status(), "reading partition ends");
    }
    t.next = t.end;
    t.next_bytes = t.bytes;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading topics");
  return Status::Ok();
}

void Log::Impl::StartWriter() {
  writer_ = std::thread([this] {
    NameCurrentThread("log-writer");
    WriterLoop();
  });
  syncer_ = std::thread([this] {
    NameCurrentThread("log-sync");
    SyncLoop();
  });
}

void Log::Impl::Close() {
  {
    std::lock_guard<std::mutex> lock(retention_mu_);
    retention_stop_ = true;
    retention_wakeup_.notify_all();
  }
  if (retention_.joinable()) retention_.join();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
    queue_changed_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    writer_done_ = true;
    sync_changed_.notify_all();
  }
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard<std::mutex> lock(topics_mu_);
  closed_ = true;
  records_arrived_.notify_all();
}

Log::Impl::~Impl() {
  Close();
  // The database stays open until here so that reads after Close() still work.
  if (meta_cf_ != nullptr) db_->DestroyColumnFamilyHandle(meta_cf_);
  if (records_cf_ != nullptr) db_->DestroyColumnFamilyHandle(records_cf_);
  if (db_) (void)db_->Close();
  db_.reset();
  if (!secondary_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir_, ec);
  }
}

void Log::Impl::RetentionLoop(Log* log) {
  std::unique_lock<std::mutex> lock(retention_mu_);
  while (!retention_wakeup_.wait_for(lock, options_.retention_interval, [&] { return retention_stop_; })) {
    lock.unlock();
    Result<RetentionReport> report = log->EnforceRetention(NowMicros() / 1000);
    if (!report.ok()) {
      LogWarn("log", "retention failed", {{"error", report.status().ToString()}});
    } else if (report->records_deleted > 0) {
      LogInfo("log", "retention deleted records", {{"records", report->records_deleted},
                                                   {"batches", report->batches_deleted}});
    }
    lock.lock();
  }
}

TopicState* Log::Impl::FindTopic(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

Status Log::Health() const {
  if (!impl_->needs_resume_) return Status::Ok();
  return Status::Unavailable("log: writes refused after an I/O error (see the log); a full disk resumes by itself "
                             "once it has room, other errors need a restart");
}

Status Log::Impl::CheckWritable() const {
  if (secondary_) return Status::InvalidArgument("log: opened for inspection; writes are not allowed");
  return Status::Ok();
}

Result<std::optional<Offset>> Log::Impl::ReadCommitted(std::string_view group, std::string_view topic,
                                                       uint32_t partition) const {
  return ReadOffset(keys::Commit(topic, group, partition));
}

Result<std::optional<Offset>> Log::Impl::ReadOffset(const std::string& key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, key, &value);
  if (s.IsNotFound()) return std::optional<Offset>();
  if (!s.ok()) return FromRocks(s, "reading an offset");
  return std::optional<Offset>(keys::DecodeU64(value));
}

// ---- Log ----

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() { Close(); }

Result<std::unique_ptr<Log>> Log::Open(LogOptions options, MetricsRegistry* metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), metrics, false);
  HEDGEROW_RETURN_IF_ERROR(impl->OpenDb());
  HEDGEROW_RETURN_IF_ERROR(impl->LoadTopics());
  impl->StartWriter();
  std::unique_ptr<Log> log(new Log(std::move(impl)));
  if (log->impl_->options_.retention_interval.count() > 0) {
    log->impl_->retention_ = std::thread([log = log.get()] {
      NameCurrentThread("log-retention");
      log->impl_->RetentionLoop(log);
    });
  }
  return log;
}

Result<std::unique_ptr<Log>> Log::OpenForInspection(const std::string& dir) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
    return Status::NotFound(fmt::format("log: no log at \"{}\" (is --data-dir right?)", dir));
  }
  LogOptions options;
  options.dir = dir;
  auto impl = std::make_unique<Impl>(std::move(options), nullptr, true);
  HEDGEROW_RETURN_IF_ERROR(impl->OpenDb());
  HEDGEROW_RETURN_IF_ERROR(impl->LoadTopics());
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

void Log::Close() {
  if (impl_) impl_->Close();
}

Status Log::CatchUp() {
  if (!impl_->secondary_) return Status::Ok();
  rocksdb::Status s = impl_->db_->TryCatchUpWithPrimary();
  if (!s.ok()) return FromRocks(s, "catching up with the primary");
  return impl_->LoadTopics();
}

Status Log::CreateTopic(const TopicConfig& config) {
  HEDGEROW_RETURN_IF_ERROR(impl_->CheckWritable());
  if (config.name.empty() || config.partitions == 0 || config.partitions > (1u << 20)) {
    return Status::InvalidArgument(fmt::format(
        "log: topic \"{}\" needs a name and 1 to 1048576 partitions, got {}", config.name, config.partitions));
  }
  std::lock_guard<std::mutex> lock(impl_->topics_mu_);
  TopicState* existing = impl_->FindTopic(config.name);
  if (existing != nullptr && existing->config.partitions != config.partitions) {
    return Status::InvalidArgument(
        fmt::format("log: topic \"{}\" has {} partitions, not {}; topics are never repartitioned",
                    config.name, existing->config.partitions, config.partitions));
  }
  uint32_t id = existing != nullptr ? existing->id : impl_->next_topic_id_;
  rocksdb::WriteBatch wb;
  wb.Put(impl_->meta_cf_, keys::Topic(config.name), keys::EncodeTopic(id, config));
  if (existing == nullptr) wb.Put(impl_->meta_cf_, keys::kNextTopicId, keys::EncodeU64(id + 1));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = impl_->db_->Write(wo, &wb);
  if (!s.ok()) return FromRocks(s, fmt::format("creating topic {}", config.name));
  if (existing != nullptr) {
    existing->config = config;
    return Status::Ok();
  }
  auto t = std::make_unique<TopicState>();
  t->id = id;
  t->config = config;
  t->start.assign(config.partitions, 0);
  t->end.assign(config.partitions, 0);
  t->next.assign(config.partitions, 0);
  t->bytes.assign(config.partitions, 0);
  t->next_bytes.assign(config.partitions, 0);
  impl_->topics_.emplace(config.name, std::move(t));
  impl_->next_topic_id_ = id + 1;
  return Status::Ok();
}

std::vector<TopicConfig> Log::Topics() const {
  std::lock_guard<std::mutex> lock(impl_->topics_mu_);
  std::vector<TopicConfig> out;
  for (const auto& [name, t] : impl_->topics_) out.push_back(t->config);
  return out;
}

Result<TopicConfig> Log::Topic(std::string_view name) const {
  std::lock_guard<std::mutex> lock(impl_->topics_mu_);
  TopicState* t = impl_->FindTopic(name);
  if (t == nullptr) return Status::NotFound(fmt::format("log: no topic \"{}\"", name));
  return t->config;
}

void Log::Append(std::vector<OutgoingRecord> records, std::vector<OffsetCommit> commits,
                 AppendCallback done) {
  Append(std::move(records), {}, std::move(commits), std::move(done));
}

void Log::Append(std::vector<OutgoingRecord> records, std::vector<EncodedRecords> encoded,
                 std::vector<OffsetCommit> commits, AppendCallback done) {
  Status writable = impl_->CheckWritable();
  if (!writable.ok()) return done(writable);
  PendingAppend p;
  for (const auto& r : records) p.bytes += r.record.key.size() + r.record.value.size() + 32;
  for (const auto& e : encoded) p.bytes += e.payload.size();
  p.records = std::move(records);
  p.encoded = std::move(encoded);
  p.commits = std::move(commits);
  p.done = std::move(done);
  p.enqueued = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu_);
    if (!impl_->stopping_) {
      impl_->queue_.push_back(std::move(p));
      impl_->queue_changed_.notify_one();
      return;
    }
  }
  p.done(Status::Unavailable("log: closed; not taking appends"));
}

Result<std::vector<RecordPosition>> Log::AppendAndWait(std::vector<OutgoingRecord> records,
                                                       std::vector<OffsetCommit> commits) {
  std::promise<Result<std::vector<RecordPosition>>> promise;
  auto future = promise.get_future();
  Append(std::move(records), std::move(commits),
         [&promise](Result<std::vector<RecordPosition>> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Status Log::Commit(std::vector<OffsetCommit> commits) {
  return AppendAndWait({}, std::move(commits)).status();
}

Result<FetchResult> Log::Fetch(std::string_view topic, uint32_t partition, Offset offset,
                               size_t max_records, size_t max_bytes, std::chrono::milliseconds max_wait) {
  HEDGEROW_ASSIGN_OR_RETURN(FetchedViews views, FetchViews(topic, partition, offset, max_records, max_bytes, max_wait));
  FetchResult result{.log_start = views.log_start, .high_watermark = views.high_watermark};
  result.records.reserve(views.records.size());
  for (const StoredRecordView& r : views.records) result.records.push_back({r.partition, r.offset, r.record.ToRecord()});
  return result;
}

Result<FetchedViews> Log::FetchViews(std::string_view topic, uint32_t partition, Offset offset, size_t max_records,
                                     size_t max_bytes, std::chrono::milliseconds max_wait) {
  FetchedViews result;
  uint32_t topic_id = 0;
  {
    std::unique_lock<std::mutex> lock(impl_->topics_mu_);
    TopicState* t = impl_->FindTopic(topic);
    if (t == nullptr) return Status::NotFound(fmt::format("log: no topic \"{}\"", topic));
    if (partition >= t->config.partitions) {
      return Status::NotFound(fmt::format("log: topic \"{}\" has no partition {}", topic, partition));
    }
    topic_id = t->id;
    if (offset < t->start[partition]) {
      return Status::NotFound(fmt::format("log: {}/{} offset {} is before the log start {} (deleted by retention)",
                                          topic, partition, offset, t->start[partition]));
    }
    if (offset >= t->end[partition] && max_wait.count() > 0) {
      impl_->records_arrived_.wait_for(lock, max_wait, [&] {
        return t->end[partition] > offset || impl_->closed_;
      });
    }
    result.log_start = t->start[partition];
    result.high_watermark = t->end[partition];
  }
  if (offset >= result.high_watermark || max_records == 0) return result;

  std::string upper = keys::Record(topic_id, partition, result.high_watermark);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(ro, impl_->records_cf_));
  std::string first = keys::Record(topic_id, partition, offset);
  it->SeekForPrev(first);
  if (!it->Valid() || !keys::IsRecordOf(it->key().ToStringView(), topic_id, partition)) it->Seek(first);
  size_t bytes = 0;
  for (; it->Valid() && keys::IsRecordOf(it->key().ToStringView(), topic_id, partition); it->Next()) {
    Offset base = keys::RecordBase(it->key().ToStringView());
    std::unique_ptr<char[]> payload;
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<RecordView> batch, DecodeBatchViews(it->value().ToStringView(), payload));
    result.payloads.push_back(std::move(payload));
    for (size_t i = 0; i < batch.size(); ++i) {
      Offset o = base + i;
      if (o < offset) continue;
      if (o >= result.high_watermark || result.records.size() >= max_records ||
          (bytes >= max_bytes && !result.records.empty())) {
        return result;
      }
      bytes += batch[i].key.size() + batch[i].value.size();
      result.records.push_back(StoredRecordView{partition, o, std::move(batch[i])});
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading records");
  return result;
}

Result<bool> Log::WaitForRecords(std::string_view topic, const std::vector<Offset>& positions,
                                 std::chrono::milliseconds max_wait) {
  std::unique_lock<std::mutex> lock(impl_->topics_mu_);
  TopicState* t = impl_->FindTopic(topic);
  if (t == nullptr) return Status::NotFound(fmt::format("log: no topic \"{}\"", topic));
  if (positions.size() != t->config.partitions) {
    return Status::InvalidArgument(fmt::format("log: {} positions for topic \"{}\" of {} partitions", positions.size(),
                                               topic, t->config.partitions));
  }
  auto arrived = [&] {
    for (uint32_t p = 0; p < t->config.partitions; ++p) {
      if (t->end[p] > positions[p]) return true;
    }
    return false;
  };
  impl_->records_arrived_.wait_for(lock, max_wait, [&] { return arrived() || impl_->closed_; });
  return arrived();
}

Status Log::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(impl_->db_.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (s.ok()) s = checkpoint->CreateCheckpoint(dir);
  return s.ok() ? Status::Ok() : FromRocks(s, "creating a checkpoint in " + dir);
}

Status Log::RegisterGroup(std::string_view group, std::string_view topic) {
  std::vector<OffsetCommit> commits;
  {
    std::lock_guard<std::mutex> lock(impl_->topics_mu_);
    TopicState* t = impl_->FindTopic(topic);
    if (t == nullptr) return Status::NotFound(fmt::format("log: no topic \"{}\"", topic));
    for (uint32_t p = 0; p < t->config.partitions; ++p) {
      commits.push_back(OffsetCommit{std::string(group), std::string(topic), p, t->start[p]});
    }
  }
  std::vector<OffsetCommit> missing;
  for (auto& c : commits) {
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<Offset> current, impl_->ReadCommitted(c.group, c.topic, c.partition));
    if (!current) missing.push_back(std::move(c));
  }
  if (missing.empty()) return Status::Ok();
  return Commit(std::move(missing));
}

Result<bool> Log::DeleteGroup(std::string_view group, std::string_view topic) {
  HEDGEROW_RETURN_IF_ERROR(impl_->CheckWritable());
  uint32_t partitions = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->topics_mu_);
    TopicState* t = impl_->FindTopic(topic);
    if (t == nullptr) return Status::NotFound(fmt::format("log: no topic \"{}\"", topic));
    partitions = t->config.partitions;
  }
  rocksdb::WriteBatch batch;
  bool had = false;
  for (uint32_t p = 0; p < partitions; ++p) {
    HEDGEROW_ASSIGN_OR_RETURN(std::optional<Offset> current, impl_->ReadCommitted(group, topic, p));
    if (!current) continue;
    had = true;
    if (rocksdb::Status s = batch.Delete(impl_->meta_cf_, keys::Commit(topic, group, p)); !s.ok()) {
      return FromRocks(s, "deleting a consumer group");
    }
  }
  if (!had) return false;
  rocksdb::WriteOptions options;
  options.sync = true;
  if (rocksdb::Status s = impl_->db_->Write(options, &batch); !s.ok()) return FromRocks(s, "deleting a consumer group");
  return true;
}

Status Log::SetRetentionFloor(std::string_view holder, std::string_view topic, uint32_t partition, Offset offset) {
  HEDGEROW_RETURN_IF_ERROR(impl_->CheckWritable());
  {
    std::lock_guard<std::mutex> lock(impl_->topics_mu_);
    TopicState* t = impl_->FindTopic(topic);
    if (t == nullptr || partition >= t->config.partitions) {
      return Status::NotFound(
          fmt::format("log: cannot set a retention floor on {}/{}: no such topic partition", topic, partition));
    }
  }
  std::string key = keys::Floor(topic, holder, partition);
  std::lock_guard<std::mutex> lock(impl_->floors_mu_);  // waits for a retention run under way
  auto known = impl_->floors_.find(key);
  if (known != impl_->floors_.end() && known->second == offset) return Status::Ok();
  // No fsync: a crash can only lose the newest floors (the WAL is replayed as a prefix). A
  // retention run that saw this floor makes it durable with its own synced delete.
  rocksdb::Status s = impl_->db_->Put(rocksdb::WriteOptions(), impl_->meta_cf_, key, keys::EncodeU64(offset));
  if (!s.ok()) return FromRocks(s, fmt::format("setting the retention floor of {} on {}/{}", holder, topic, partition));
  impl_->floors_.insert_or_assign(std::move(key), offset);
  return Status::Ok();
}

Result<std::optional<Offset>> Log::RetentionFloor(std::string_view holder, std::string_view topic,
                                                  uint32_t partition) const {
  return impl_->ReadOffset(keys::Floor(topic, holder, partition));
}

Result<std::optional<Offset>> Log::Committed(std::string_view group, std::string_view topic,
                                             uint32_t partition) const {
  return impl_->ReadCommitted(group, topic, partition);
}

Result<std::vector<PartitionLag>> Log::Lag() const {
  std::vector<PartitionLag> out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(rocksdb::ReadOptions(), impl_->meta_cf_));
  for (it->Seek(keys::kCommitPrefix); it->Valid() && it->key().starts_with(keys::kCommitPrefix); it->Next()) {
    auto key = keys::ParseCommit(it->key().ToStringView());
    if (!key) continue;
    PartitionLag lag{key->group, key->topic, key->partition,
                     keys::DecodeU64(it->value().ToStringView()).value_or(0), 0};
    {
      std::lock_guard<std::mutex> lock(impl_->topics_mu_);
      TopicState* t = impl_->FindTopic(key->topic);
      if (t != nullptr && key->partition < t->config.partitions) lag.end = t->end[key->partition];
    }
    out.push_back(std::move(lag));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading committed offsets");
  std::sort(out.begin(), out.end(), [](const PartitionLag& a, const PartitionLag& b) {
    return std::tie(a.group, a.topic, a.partition) < std::tie(b.group, b.topic, b.partition);
  });
  return out;
}

Result<std::vector<PartitionInfo>> Log::Partitions(std::string_view topic) const {
  std::lock_guard<std::mutex> lock(impl_->topics_mu_);
  TopicState* t = impl_->FindTopic(topic);
  if (t == nullptr) return Status::NotFound(fmt::format("log: no topic \"{}\"", topic));
  std::vector<PartitionInfo> out;
  for (uint32_t p = 0; p < t->config.partitions; ++p) out.push_back({p, t->start[p], t->end[p], t->bytes[p]});
  return out;
}

Result<RetentionReport> Log::EnforceRetention(int64_t now_ms) {
  HEDGEROW_RETURN_IF_ERROR(impl_->CheckWritable());
  std::promise<Result<RetentionReport>> promise;
  auto future = promise.get_future();
  PendingAppend task;
  task.task = [&] { promise.set_value(impl_->RunRetention(now_ms)); };
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu_);
    if (impl_->stopping_) return Status::Unavailable("log: closed");
    impl_->queue_.push_back(std::move(task));
    impl_->queue_changed_.notify_one();
  }
  return future.get();
}

}  // namespace hedgerow::log
