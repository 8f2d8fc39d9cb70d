#include "timestamps.h"

#include "hedgerow/common/clock.h"

namespace hedgerow::ingest {
namespace {
constexpr int64_t kFutureLimit = 23LL * 3600 * 1000000;
// 1900-01-01 to 2299-12-31 23:59:59, the range of ClickHouse's DateTime64: PostHog accepts
// years 0 to 9999 and ClickHouse then stores a wrapped value. Outside it, like PostHog's own
// out-of-bounds check, the event gets now and a warning. It also bounds the months (the
// partitions) one batch of events can spread over.
constexpr int64_t kMinMicros = -2208988800LL * 1000000;
constexpr int64_t kMaxMicros = 10413791999LL * 1000000;
}  // namespace

EventTime ComputeEventTime(int64_t now, std::optional<std::string_view> timestamp,
                           std::optional<std::string_view> sent_at, std::optional<double> offset_ms) {
  EventTime t{now, ""};
  if (offset_ms && *offset_ms != 0) {
    // In floating point: a client's offset may be any JSON number (1e300, -1e300).
    double micros = static_cast<double>(now) - *offset_ms * 1000;
    if (!(micros >= static_cast<double>(kMinMicros) && micros <= static_cast<double>(kMaxMicros))) {
      return EventTime{now, "ignored_invalid_timestamp"};
    }
    t.micros = static_cast<int64_t>(micros);
  } else if (timestamp) {
    std::optional<int64_t> ts = ParseIso8601Micros(*timestamp);
    if (!ts || *ts < kMinMicros || *ts > kMaxMicros) return EventTime{now, "ignored_invalid_timestamp"};
    std::optional<int64_t> sent = sent_at ? ParseIso8601Micros(*sent_at) : std::nullopt;
    // Both parsed within years 0-9999, so the sum cannot overflow.
    if (sent && (*sent < kMinMicros || *sent > kMaxMicros)) sent.reset();
    t.micros = sent ? now + (*ts - *sent) : *ts;
  }
  if (t.micros < kMinMicros || t.micros > kMaxMicros) return EventTime{now, "ignored_invalid_timestamp"};
  if (t.micros - now > kFutureLimit) return EventTime{now, "event_timestamp_in_future"};
  return t;
}

}  // namespace hedgerow::ingest
