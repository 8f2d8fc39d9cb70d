// jemalloc's settings, read by jemalloc when the process starts (it looks this symbol up).
// - narenas:2, one arena per core of the machines we size for: jemalloc's default of four per
//   CPU kept eight arenas' worth of freed pages and raised ingest_bench's peak RSS from ~320 MB
//   to 350-400 MB at the same throughput.
// - oversize_threshold:0: allocations of 8 MB and more (a store consumer's column of 32 MB of
//   rows, a sorted copy of it) otherwise go to an arena that returns their pages to the kernel
//   as soon as they are freed, so the next batch faulted them in again: page faults took a
//   quarter of the store threads' time. In the ordinary arenas freed pages wait 10 s for reuse
//   (e2e_bench, 1M events: 297 -> 266 CPU us/event, peak RSS 1,120 -> 1,041 MB).
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "narenas:2,oversize_threshold:0";
}
