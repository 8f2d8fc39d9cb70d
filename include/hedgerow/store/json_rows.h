#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/log/log.h"
#include "hedgerow/store/column.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::store {

// Turns JSONEachRow rows (the clickhouse_* topics' records) into a block of a table's
// columns, converting as ClickHouse's JSONEachRow input does: DateTime64 from
// "YYYY-MM-DD HH:MM:SS[.ffffff]" (or a number of seconds), UUIDs from their text form,
// numbers from numbers or numeric strings, absent columns as defaults, unknown keys ignored.
class JsonRowDecoder {
 public:
  explicit JsonRowDecoder(const TableSchema& schema);

  // Parses `json` in place (the buffer is modified; it must end with a NUL, as
  // std::string's does). `_timestamp` and `_offset`, when the table has them and the row
  // does not, come from the log record, as the Kafka engine's virtual columns do.
  // On error the block is unchanged and the Status names the problem.
  Status Add(std::string& json, int64_t record_timestamp_ms, uint64_t record_offset);

  size_t rows() const { return block_.rows(); }
  // How many partitions (PARTITION BY values) the rows so far fall in: one part each.
  size_t partitions() const { return partitions_.size(); }
  // The rows decoded so far; the decoder starts again empty.
  Block Take();

 private:
  const TableSchema& schema_;
  Block block_;
  std::unordered_map<std::string_view, int> index_;
  int timestamp_column_ = -1;
  int offset_column_ = -1;
  std::set<uint32_t> partitions_;
  // Per-row scratch, kept to spare allocations.
  struct Cell {
    int64_t integer = 0;
    double real = 0;
    std::optional<Uuid> uuid;
  };
  std::vector<const void*> values_;
  std::vector<Cell> cells_;
};

// The dead_letter_queue record (its row as ingestion.md §6 has it) for a row a table's
// consumer could not take: `payload` is the row, `location` "store:<table>" or "cluster:<table>".
log::OutgoingRecord DeadLetterRecord(std::string_view payload, std::string_view location, std::string_view error);

// The dead letters of the records at `bad`'s offsets (with their errors, in offset order) of
// `topic`'s `partition`, read again from the log in one fetch: decoding parsed them in place,
// and keeps no copy. A record that cannot be read again is named in its payload instead.
std::vector<log::OutgoingRecord> DeadLettersFromLog(log::Log& log, const std::string& topic, uint32_t partition,
                                                    const std::vector<std::pair<uint64_t, std::string>>& bad,
                                                    std::string_view location);

// "2026-11-29 12:00:00.123456" (fraction optional, up to 6 digits) to microseconds.
bool ParseClickHouseDateTime(std::string_view text, int64_t& micros);

}  // namespace hedgerow::store
