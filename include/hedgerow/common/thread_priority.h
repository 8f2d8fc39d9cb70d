#pragma once

namespace hedgerow {

// Lowers the calling thread's CPU priority to `nice` (Linux: setpriority on a thread id
// affects that thread only), so that background work (ingestion, store inserts, merges)
// yields to capture, which acknowledges clients. Logs a warning when refused; 0 does nothing.
void SetCurrentThreadNice(int nice, const char* module);

}  // namespace hedgerow
