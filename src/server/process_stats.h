#pragma once

#include <cstdint>

#include "hedgerow/common/metrics.h"
#include "hedgerow/log/log.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::server {

// Resident set size of this process in bytes, from /proc/self/statm (0 if unreadable).
uint64_t ResidentMemoryBytes();

// Sets hedgerow_process_resident_memory_bytes and hedgerow_memory_bytes{area=...}: jemalloc's
// figures (when the process runs on it; not in the sanitizer builds), what RocksDB holds for
// the log, what SQLite holds and the persons cache, so an RSS that grows can be traced to its
// holder.
void UpdateMemoryGauges(const log::Log& log, const persons::PersonStore& persons, MetricsRegistry& metrics);

}  // namespace hedgerow::server
