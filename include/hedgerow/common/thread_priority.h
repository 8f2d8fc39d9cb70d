#pragma once

#include <string_view>

namespace hedgerow {

// Lowers the calling thread's CPU priority to `nice` (Linux: setpriority on a thread id
// affects that thread only), so that background work (ingestion, store inserts, merges)
// yields to capture, which acknowledges clients. Logs a warning when refused; 0 does nothing.
void SetCurrentThreadNice(int nice, const char* module);

// Names the calling thread (the first 15 bytes), as `top -H`, perf and gdb show it: which
// stage uses the CPU is then visible from outside.
void NameCurrentThread(std::string_view name);

}  // namespace hedgerow
