#pragma once

#include <cstddef>

namespace hedgerow {

// The largest events_plugin_ingestion message: PostHog's capture refuses an event its Kafka
// producer would refuse (message.max.bytes, 1 MB) with 413, and so does ours; ingestion
// dead-letters larger messages that reach the log some other way.
inline constexpr size_t kMaxEventMessageBytes = 1 << 20;

}  // namespace hedgerow
