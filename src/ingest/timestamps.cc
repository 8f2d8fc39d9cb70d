#include "timestamps.h"

#include "hedgerow/common/clock.h"

namespace hedgerow::ingest {
namespace {
constexpr int64_t kFutureLimit = 23LL * 3600 * 1000000;
// Years 0..9999, the range ClickHouse's DateTime64 and PostHog accept.
constexpr int64_t kMinMicros = -62167219200LL * 1000000;
constexpr int64_t kMaxMicros = 253402300799LL * 1000000;
}  // namespace

EventTime ComputeEventTime(int64_t now, std::optional<std::string_view> timestamp,
                           std::optional<std::string_view> sent_at, std::optional<int64_t> offset_ms) {
  EventTime t{now, ""};
  if (offset_ms && *offset_ms != 0) {
    t.micros = now - *offset_ms * 1000;
  } else if (timestamp) {
    std::optional<int64_t> ts = ParseIso8601Micros(*timestamp);
    if (!ts) return EventTime{now, "ignored_invalid_timestamp"};
    std::optional<int64_t> sent = sent_at ? ParseIso8601Micros(*sent_at) : std::nullopt;
    t.micros = sent ? now + (*ts - *sent) : *ts;
  }
  if (t.micros < kMinMicros || t.micros > kMaxMicros) return EventTime{now, "ignored_invalid_timestamp"};
  if (t.micros - now > kFutureLimit) return EventTime{now, "event_timestamp_in_future"};
  return t;
}

}  // namespace hedgerow::ingest
