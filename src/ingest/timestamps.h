#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hedgerow::ingest {

struct EventTime {
  int64_t micros = 0;
  std::string warning;  // "", "event_timestamp_in_future" or "ignored_invalid_timestamp"
};

// PostHog's timestamp rule (ingestion.md §2.5, client-api.md §1.6): with sent_at and
// timestamp, now + (timestamp - sent_at); with an offset in ms, now - offset; otherwise the
// timestamp, or now. More than 23 h ahead of now, unparseable, or outside 1900-2299 (what
// ClickHouse's DateTime64 holds) gives now and a warning.
EventTime ComputeEventTime(int64_t now, std::optional<std::string_view> timestamp,
                           std::optional<std::string_view> sent_at, std::optional<double> offset_ms);

}  // namespace hedgerow::ingest
