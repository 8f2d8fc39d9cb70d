#include "process_stats.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#ifdef HEDGEROW_JEMALLOC_LINKED
#include <jemalloc/jemalloc.h>
#endif

namespace hedgerow::server {

uint64_t ResidentMemoryBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

namespace {

// jemalloc's accounting, in bytes: what the program holds (allocated), the pages those
// allocations span (active), what jemalloc keeps resident (resident: active plus freed pages
// not yet returned to the kernel, plus its metadata), and address space it keeps mapped
// without backing (retained). RSS minus resident is memory outside jemalloc: thread stacks,
// the binary, other allocators.
struct AllocatorStats {
  uint64_t allocated = 0;
  uint64_t active = 0;
  uint64_t resident = 0;
  uint64_t retained = 0;
};

#ifdef HEDGEROW_JEMALLOC_LINKED
std::optional<AllocatorStats> ReadAllocatorStats() {
  // jemalloc refreshes its statistics when the epoch is written.
  uint64_t epoch = 1;
  size_t epoch_size = sizeof(epoch);
  if (mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size) != 0) return std::nullopt;
  AllocatorStats stats;
  auto read = [](const char* name, uint64_t& out) {
    size_t value = 0, size = sizeof(value);
    if (mallctl(name, &value, &size, nullptr, 0) != 0) return false;
    out = value;
    return true;
  };
  if (!read("stats.allocated", stats.allocated) || !read("stats.active", stats.active) ||
      !read("stats.resident", stats.resident) || !read("stats.retained", stats.retained)) {
    return std::nullopt;
  }
  return stats;
}
#else
std::optional<AllocatorStats> ReadAllocatorStats() { return std::nullopt; }
#endif

}  // namespace

void UpdateMemoryGauges(const log::Log& log, const persons::PersonStore& persons, MetricsRegistry& metrics) {
  metrics.GetGauge("hedgerow_process_resident_memory_bytes", "Resident set size")
      .Set(static_cast<double>(ResidentMemoryBytes()));
  auto set = [&metrics](const char* area, uint64_t bytes) {
    metrics.GetGauge("hedgerow_memory_bytes", "Memory by holder: allocator_* from jemalloc, log_* held by RocksDB, sqlite by SQLite, persons_cache by the persons cache",
                     {{"area", area}})
        .Set(static_cast<double>(bytes));
  };
  if (std::optional<AllocatorStats> a = ReadAllocatorStats()) {
    set("allocator_allocated", a->allocated);
    set("allocator_active", a->active);
    set("allocator_resident", a->resident);
    set("allocator_retained", a->retained);
  }
  // Every connection's page cache, schema and statements (persons.sqlite, meta.sqlite).
  set("sqlite", static_cast<uint64_t>(sqlite3_memory_used()));
  const log::LogMemoryUsage l = log.MemoryUsage();
  set("log_memtables", l.memtables);
  set("log_table_readers", l.table_readers);
  set("log_block_cache", l.block_cache);
  set("persons_cache", persons.CachedBytes());
}

}  // namespace hedgerow::server
