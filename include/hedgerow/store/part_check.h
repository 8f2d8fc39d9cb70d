#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hedgerow/common/status.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::store {

// What `store check` found in one part.
struct PartCheck {
  enum class Outcome {
    kClean,
    kDamaged,
    // The part went while it was checked (its directory is gone), or it failed and a merged
    // part covering it is beside it: a running server merged it away, its rows live on in
    // the merged part, and what is left of it will be deleted. Not damage.
    kMergedAway,
  };
  Outcome outcome = Outcome::kClean;
  Status damage;                      // kDamaged: the first damage found, naming the file
  std::vector<std::string> warnings;  // not damage, e.g. a meta.json older versions wrote
  uint64_t bytes_read = 0;            // of every file; all of them when clean
  uint64_t blocks = 0;
  // The most bytes held at once: one block compressed and decompressed, and a chunk of
  // marks. Bounded by the largest block (a granule of one column), whatever the part's size
  // (granule starts, 8 bytes a granule, are not counted).
  size_t max_buffer_bytes = 0;
};

struct PartCheckHooks {
  // Called before each of the part's files is opened, with its name ("payload.bin"). Tests
  // delete the part here, as a merge in a running server does.
  std::function<void(const std::string& file)> before_file;
};

// Checks the part in `dir` against `schema`, reading each file front to back one block at a
// time:
//   meta.json: its checksum (a warning when an older version wrote none), rows against
//     granules, name against the directory's, table against the schema's;
//   granules.idx: each granule 1 to kGranuleRows rows, all of meta.json's rows in all (a
//     part written before it has kGranuleRows rows per granule but the last);
//   every column's marks: one per granule plus the end, the first at 0, each exactly where
//     its granule's blocks start in the .bin, the last at the end of the .bin;
//   every block: checksum, decompression, and its granule's row count; string lengths
//     adding up to the chars;
//   primary.idx: the same for each ORDER BY key column, one row per granule plus the last;
//   bytes_on_disk of meta.json against the files' sizes.
// Never fails as a call: damage (I/O errors included) is an outcome. Thread-safe: parts
// are immutable, and the check shares nothing.
PartCheck CheckPart(const std::string& dir, const TableSchema& schema, const PartCheckHooks& hooks = {});

}  // namespace hedgerow::store
