#include "row_batches.h"

#include <algorithm>

#include "hedgerow/common/hash.h"
#include "hedgerow/log/batch_codec.h"

namespace hedgerow::ingest {
namespace {

// A first guess at a partition's share of a batch's rows: grown by doubling past it.
constexpr size_t kInitialPayloadBytes = 64 << 10;

}  // namespace

log::EncodedRecords* RowBatches::BatchFor(std::string_view topic, std::string_view key) {
  auto t = std::find_if(topics_.begin(), topics_.end(), [&](const Topic& known) { return known.name == topic; });
  if (t == topics_.end()) {
    Result<log::TopicConfig> config = log_->Topic(topic);
    uint32_t partitions = config.ok() ? config->partitions : 0;
    t = topics_.insert(topics_.end(), Topic{std::string(topic), partitions, std::vector<int>(partitions, -1)});
  }
  if (t->partitions == 0) return nullptr;
  uint32_t partition = KafkaPartition(key, t->partitions);
  int& index = t->batch[partition];
  if (index < 0) {
    index = static_cast<int>(encoded_.size());
    encoded_.push_back(log::EncodedRecords{.topic = std::string(topic), .partition = partition});
    encoded_.back().payload.reserve(kInitialPayloadBytes);
  }
  return &encoded_[static_cast<size_t>(index)];
}

std::string* RowBatches::BeginRow(std::string_view topic, std::string_view key) {
  if (key.empty()) return nullptr;
  open_ = BatchFor(topic, key);
  if (open_ == nullptr) return nullptr;
  open_length_at_ = log::BeginPayloadRecord(open_->payload, 0, key);
  open_key_bytes_ = key.size();
  return &open_->payload;
}

void RowBatches::EndRow() {
  const size_t value_bytes = log::EndPayloadRecord(open_->payload, open_length_at_);
  ++open_->count;
  open_->record_bytes += open_key_bytes_ + value_bytes;
  open_ = nullptr;
}

void RowBatches::Add(OutputRow&& row) {
  if (row.topic == "dead_letter_queue") ++dead_letters_;
  log::EncodedRecords* batch = row.key.empty() ? nullptr : BatchFor(row.topic, row.key);
  if (batch == nullptr) {
    log::OutgoingRecord r;
    r.topic = std::string(row.topic);
    r.record.key = std::move(row.key);
    r.record.value = std::move(row.value);
    plain_.push_back(std::move(r));
    return;
  }
  log::AppendToPayload(batch->payload, 0, row.key, row.value);
  ++batch->count;
  batch->record_bytes += row.key.size() + row.value.size();
}

}  // namespace hedgerow::ingest
