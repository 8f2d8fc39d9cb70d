#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hedgerow {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// A UTC instant as calendar fields.
struct CivilTime {
  int64_t year;
  unsigned month, day, hour, minute, second, micros;
};
CivilTime ToCivil(int64_t micros);  // µs since epoch
unsigned DaysInMonth(int64_t year, unsigned month);

// Microseconds since the Unix epoch, UTC, from the system (wall) clock.
int64_t NowMicros();

// Milliseconds from a monotonic clock: for durations and deadlines, never for timestamps.
int64_t MonotonicMillis();

// "2026-11-29T12:00:00.123456Z".
std::string FormatIso8601Micros(int64_t micros);

// "2026-11-29 12:00:00.123456", the form of ClickHouse DateTime64(6) columns and of the rows
// on the clickhouse_* topics.
std::string FormatClickHouseDateTime64(int64_t micros);
// The same into `out`, which has room for kMaxDateTimeChars; returns the length (26 unless
// the year is outside 0-9999). No allocation: rows write several per event.
constexpr size_t kMaxDateTimeChars = 32;
size_t FormatClickHouseDateTime64(int64_t micros, char* out);

// Parses ISO 8601 as the SDKs send it: "2026-11-29T12:00:00Z", with optional fraction (any
// number of digits, kept to microseconds), "Z" or a "+hh:mm"/"-hhmm" offset, and a space
// instead of "T". Returns nullopt for anything else, including out-of-range fields.
std::optional<int64_t> ParseIso8601Micros(std::string_view text);

}  // namespace hedgerow
