#pragma once

#include <cstdint>

namespace hedgerow::server {

// Resident set size of this process in bytes, from /proc/self/statm (0 if unreadable).
uint64_t ResidentMemoryBytes();

}  // namespace hedgerow::server
