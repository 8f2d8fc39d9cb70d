#pragma once

#include <cstdint>
#include <optional>

#include "hedgerow/common/metrics.h"
#include "hedgerow/log/log.h"

namespace hedgerow::server {

// Resident set size of this process in bytes, from /proc/self/statm (0 if unreadable).
uint64_t ResidentMemoryBytes();

// jemalloc's accounting, in bytes: what the program holds (allocated), the pages those
// allocations span (active), what jemalloc keeps resident (resident: active plus freed pages
// not yet returned to the kernel, plus its metadata), and address space it keeps mapped
// without backing (retained). RSS minus resident is memory outside jemalloc: thread stacks,
// the binary, other allocators. nullopt when the process does not run on jemalloc (the
// sanitizer builds).
struct AllocatorStats {
  uint64_t allocated = 0;
  uint64_t active = 0;
  uint64_t resident = 0;
  uint64_t retained = 0;
};
std::optional<AllocatorStats> ReadAllocatorStats();

// Sets hedgerow_process_resident_memory_bytes and hedgerow_memory_bytes{area=...}: the
// allocator's figures, what RocksDB holds for the log and what SQLite holds, so an RSS that grows can be traced
// to its holder.
void UpdateMemoryGauges(const log::Log& log, MetricsRegistry& metrics);

}  // namespace hedgerow::server
