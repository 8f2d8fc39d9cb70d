#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hedgerow/ingest/event_processor.h"
#include "hedgerow/log/log.h"

namespace hedgerow::ingest {

// A batch's rows in the log's payload form, one EncodedRecords per topic partition (Kafka's
// partitioner, as the log would choose), written as each row is made: the events and person
// rows straight into the payload (BeginRow), the others copied in as they come (Add). The
// log's writer then compresses them as they are instead of copying every row again. Rows
// without a key, or for a topic the log does not know, go as plain records (the log places
// or refuses them).
class RowBatches : public RowSink {
 public:
  explicit RowBatches(log::Log* log) : log_(log) {}
  std::string* BeginRow(std::string_view topic, std::string_view key) override;
  void EndRow() override;
  void Add(OutputRow&& row) override;
  void Add(log::OutgoingRecord&& record) { plain_.push_back(std::move(record)); }
  std::vector<log::EncodedRecords> TakeEncoded() { return std::move(encoded_); }
  std::vector<log::OutgoingRecord> TakePlain() { return std::move(plain_); }
  size_t dead_letters() const { return dead_letters_; }  // dead_letter_queue rows so far

 private:
  // The batch of `topic`'s partition for `key`; null when the topic is unknown.
  log::EncodedRecords* BatchFor(std::string_view topic, std::string_view key);

  log::Log* const log_;
  struct Topic {
    std::string name;
    uint32_t partitions = 0;  // 0: unknown to the log
    std::vector<int> batch;   // per partition: index in encoded_, or -1
  };
  std::vector<Topic> topics_;  // the few this batch writes to
  std::vector<log::EncodedRecords> encoded_;
  std::vector<log::OutgoingRecord> plain_;
  // The row BeginRow started: its batch, where its value's length goes, its key's size.
  log::EncodedRecords* open_ = nullptr;
  size_t open_length_at_ = 0;
  size_t open_key_bytes_ = 0;
  size_t dead_letters_ = 0;
};

}  // namespace hedgerow::ingest
