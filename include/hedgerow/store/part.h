#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/store/column.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::store {

// A granule, the unit of the primary index, of compression and of reading, holds at most
// kGranuleRows rows, and closes early once its values take kGranuleBytes (ClickHouse's
// adaptive granularity, index_granularity_bytes): a granule of 8192 events with their
// properties (~4 KB a row) took 35 MB, and a merge holds one granule of every part it reads.
inline constexpr size_t kGranuleRows = 8192;
inline constexpr size_t kGranuleBytes = 2u << 20;

// A part's identity, as ClickHouse names parts: the block numbers it covers and how many
// merges made it. A merged part covers the blocks of every part it replaced, which is what
// makes merges crash-safe: at start, a part covered by another is obsolete.
struct PartName {
  uint64_t min_block = 0;
  uint64_t max_block = 0;
  uint32_t level = 0;

  std::string ToString() const;  // "<min>_<max>_<level>"
  static std::optional<PartName> Parse(std::string_view text);
  bool Covers(const PartName& other) const {
    if (other.min_block < min_block || max_block < other.max_block) return false;
    // The same blocks: the higher level is the newer part (a mutation's rewrite, Table::
    // DeleteRows), as in ClickHouse. Otherwise each would cover the other, and both go.
    if (other.min_block == min_block && other.max_block == max_block) return level > other.level;
    return true;
  }
  friend bool operator==(const PartName&, const PartName&) = default;
};

struct PartMeta {
  std::string table;
  uint32_t shard = 0;
  std::string partition;  // "202611", or "all" for an unpartitioned table
  PartName name;
  uint64_t rows = 0;
  uint64_t granules = 0;
  // Min and max of the partition column (microseconds), for partition pruning.
  int64_t min_time = 0;
  int64_t max_time = 0;
  // For each partition of the source topic, the next log offset this part's rows cover:
  // after a crash the consumer resumes from the highest of these, so a batch already
  // durable in parts is never inserted twice.
  std::map<uint32_t, uint64_t> log_offsets;
  uint64_t bytes_on_disk = 0;
  uint64_t uncompressed_bytes = 0;
  // The writer's kGranuleBytes, and granules.idx says where each granule starts. 0: a part
  // written before granules closed by size, every granule kGranuleRows rows but the last.
  uint64_t granule_bytes = 0;
};

// The files of a part directory.
inline constexpr const char* kPartMetaFile = "meta.json";
inline constexpr const char* kPrimaryIndexFile = "primary.idx";
// The first row of each granule, then the part's row count: uint64 each, as in a .mrk file.
// (.idx: a column's marks are <column>.mrk, and a column may be called "granules".)
inline constexpr const char* kGranulesFile = "granules.idx";
inline std::string DataFileName(const std::string& column) { return column + ".bin"; }
inline std::string MarksFileName(const std::string& column) { return column + ".mrk"; }

// meta.json as stored: the JSON object ends with a "checksum" member, the CityHash64 (16 hex
// digits) of the same text without that member. Parts written before the checksum existed
// have none: they stay readable, with `checksummed` false so `store check` can say so.
struct StoredPartMeta {
  PartMeta meta;
  bool checksummed = false;
};

// Reads `dir`/meta.json. kCorruption when the checksum does not match, or the JSON or its
// fields are damaged (in an unchecksummed file, an unknown member counts as damage: the
// older writers wrote a fixed set); kIOError when it cannot be read.
Result<StoredPartMeta> ReadPartMeta(const std::string& dir);

// Where each granule of the part `meta` describes starts, then its row count: from
// granules.idx's bytes `raw` (kCorruption unless every granule holds 1 to kGranuleRows rows
// and they add up to meta.rows), or, without granule_bytes, computed (`raw` unused; the
// caller has bounded meta.granules first, by a marks file of the right size).
Result<std::vector<uint64_t>> GranuleStarts(const PartMeta& meta, std::string_view raw);

// An immutable part on disk: one .bin file per column (a compressed block per granule,
// two for strings: lengths then chars), a .mrk file of granule offsets, granules.idx (where
// each granule starts), primary.idx (the ORDER BY key of each granule's first row and of the
// part's last row) and meta.json, written last. Thread-safe for reads.
class Part {
 public:
  // Loads meta, marks and the primary index; kCorruption if anything is missing or damaged
  // (meta.json's checksum included).
  static Result<std::shared_ptr<Part>> Open(const std::string& dir, const TableSchema& schema);
  ~Part();

  const PartMeta& meta() const { return meta_; }
  const std::string& dir() const { return dir_; }
  // Key rows: row g is the key of granule g's first row; the last row is the part's last key.
  const Block& primary_index() const { return index_; }
  // Rows of granules [first, end).
  uint64_t GranuleRows(size_t first, size_t end) const { return granule_starts_[end] - granule_starts_[first]; }
  // Compressed bytes of the named columns in granules [first, end) (0 for unknown columns).
  uint64_t CompressedBytes(const std::vector<std::string>& columns, size_t first, size_t end) const;

  // Granules [first, end) of the named columns, decompressed straight into the columns.
  Result<Block> Read(const std::vector<std::string>& columns, size_t first, size_t end) const;
  // CheckPart (part_check.h) of this part: every file, streamed. kCorruption naming the
  // file when damaged; kNotFound when the directory went (merged away) while it was read.
  Status Verify() const;
  // The directory goes when the last reader lets go of the part (merged away).
  void MarkObsolete() { obsolete_ = true; }

 private:
  Part(std::string dir, const TableSchema& schema) : dir_(std::move(dir)), schema_(schema) {}
  Status ReadColumnInto(const std::string& name, Column& column, size_t first, size_t end) const;

  std::string dir_;
  const TableSchema& schema_;
  PartMeta meta_;
  Block index_;
  std::vector<uint64_t> granule_starts_;  // GranuleStarts()
  std::map<std::string, std::vector<uint64_t>> marks_;  // per column: granule offsets, then file size
  bool obsolete_ = false;
};

// Writes a part as its rows arrive, in ORDER BY key order, in blocks of any size: full
// granules (kGranuleRows rows or kGranuleBytes) go to the column files as they fill, so a
// merge of any size holds only a granule's worth of output. Finish() writes marks,
// granules.idx, primary.idx and meta.json and fsyncs every file and the directory. Not
// thread-safe.
class PartWriter {
 public:
  // Creates directory `dir`, which must not exist.
  static Result<std::unique_ptr<PartWriter>> Create(const std::string& dir, const TableSchema& schema);
  ~PartWriter();
  // `rows` sorted, continuing the rows before; `key` is their evaluated ORDER BY key.
  Status Append(const Block& rows, const Block& key);
  // Fills rows, granules, min/max time and sizes of `meta`, then writes it.
  Status Finish(PartMeta& meta);

 private:
  PartWriter(std::string dir, const TableSchema& schema);
  Status WriteGranule(const Block& rows, const Block& key, size_t begin, size_t end);
  Status FlushColumn(size_t column, bool all);

  std::string dir_;
  const TableSchema& schema_;
  std::vector<int> fds_;  // one .bin per schema column
  std::vector<std::string> buffers_;
  std::vector<uint64_t> written_;  // bytes already in each file
  std::vector<std::vector<uint64_t>> marks_;
  Block pending_;      // less than a granule of rows, waiting for more
  Block pending_key_;
  uint64_t pending_bytes_ = 0;
  std::vector<uint64_t> granule_starts_;
  Block index_;        // key of each granule's first row
  Block last_key_;     // key of the last row written
  uint64_t rows_ = 0;
  uint64_t uncompressed_ = 0;
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
};

// A whole sorted block as a part: PartWriter in one call.
Status WritePart(const std::string& dir, const TableSchema& schema, const Block& rows, const Block& key,
                 PartMeta& meta);

// Orders row numbers by the ORDER BY key `key` of their rows (stable: equal keys keep their
// order, which is insert order).
void SortRowsByKey(const Block& key, std::vector<uint32_t>& rows);


}  // namespace hedgerow::store
