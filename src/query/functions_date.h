#pragma once

// What the date and time functions share (functions_date*.cc), and what plus/minus of dates
// and intervals (functions_arithmetic.cc) and the printing of times in their zone (column.cc)
// use: the civil calendar, time zones through cctz (loaded once, cached), ClickHouse's text
// forms of dates and times.
//
// Values are computed as clickhouse-server 18.16 computes them: Date (UInt16 days) and
// DateTime (UInt32 seconds) wrap around in their types, local times that a DST change skips
// or repeats resolve as 18.16's DateLUT resolves them. Dates are read and printed over the
// whole range of their types (1970-01-01 to 2149-06-06, 2106-02-07 06:28:15) as current
// ClickHouse does: 18.16's lookup table stops in 2105 and prints day 0 as 0000-00-00.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <cctz/time_zone.h>

#include "functions_impl.h"

namespace hedgerow::query::dates {

constexpr int64_t kSecondsPerDay = 86400;

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
inline int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

struct Civil {
  int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};
// Days since 1970-01-01 <-> the proleptic Gregorian calendar (H. Hinnant's algorithms).
Civil CivilFromDays(int64_t days);
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
unsigned DaysInMonth(int64_t year, unsigned month);
// The day `months` calendar months after `day`, the day of the month kept or cut to the
// month's last day (Jan 31 + 1 month = Feb 28 or 29), as ClickHouse's addMonths.
int64_t AddMonths(int64_t day, int64_t months);
// 1 (Monday) to 7 (Sunday).
inline unsigned DayOfWeek(int64_t day) { return static_cast<unsigned>(FloorMod(day + 3, 7)) + 1; }

// A time zone with the offset arithmetic the functions need per row.
// Immutable after construction; thread-safe. Lives as long as the process (FindTimeZone's cache).
class TimeZone {
 public:
  TimeZone(std::string name, cctz::time_zone zone);
  TimeZone(const TimeZone&) = delete;
  TimeZone& operator=(const TimeZone&) = delete;

  const std::string& name() const { return name_; }
  // A zone whose offset never changes (UTC, Etc/GMT+3): every call below is arithmetic.
  bool fixed() const { return fixed_; }
  // Local wall-clock seconds minus UTC seconds at the instant `utc`.
  int64_t Offset(int64_t utc) const { return fixed_ ? fixed_offset_ : TableOffset(utc); }
  // Wall-clock seconds since 1970-01-01 00:00:00 local time.
  int64_t ToLocal(int64_t utc) const { return utc + Offset(utc); }
  int64_t LocalDay(int64_t utc) const { return FloorDiv(ToLocal(utc), kSecondsPerDay); }
  // The first instant of local day `day` (later than local midnight when a DST change
  // skips midnight, as in America/Sao_Paulo until 2019).
  int64_t DayStart(int64_t day) const;
  // The instant of a local wall-clock time, as 18.16's DateLUT::makeDateTime: read on the
  // offset the day starts with, or on the day's new offset when the time is past its change.
  // A repeated time is its first occurrence; a skipped one is read on the new offset
  // (02:30 on a spring-forward day in New York is 01:30 EST).
  int64_t FromLocal(int64_t local) const;

 private:
  friend class OffsetCursor;
  struct Span {
    int64_t begin, end;  // [begin, end): the instants that have `offset`
    int64_t offset;
  };
  Span SpanAt(int64_t utc) const;
  int64_t TableOffset(int64_t utc) const;
  int64_t CctzDayStart(int64_t day) const;

  std::string name_;
  cctz::time_zone zone_;
  bool fixed_ = false;
  int64_t fixed_offset_ = 0;
  // The offsets between 1900 and 2300, built once from cctz's transitions so that a lookup
  // is a binary search: offsets_[i] holds from transitions_[i - 1] (or 1900) to
  // transitions_[i] (or 2300). Outside, cctz is asked.
  std::vector<int64_t> transitions_;
  std::vector<int32_t> offsets_;
};

// The offsets of one zone over a run of instants that are mostly close together, as a part's
// timestamps are: remembers the span of one offset that the last instant fell in, so that
// most rows cost a comparison. Not thread-safe: one per loop. `zone` must outlive it.
class OffsetCursor {
 public:
  explicit OffsetCursor(const TimeZone& zone) : zone_(zone) {}
  int64_t Offset(int64_t utc) {
    if (utc < span_.begin || utc >= span_.end) span_ = zone_.SpanAt(utc);
    return span_.offset;
  }
  int64_t ToLocal(int64_t utc) { return utc + Offset(utc); }

 private:
  const TimeZone& zone_;
  TimeZone::Span span_{0, 0, 0};
};

// The zone called `name` (IANA names as ClickHouse accepts them, case-sensitive; "" is the
// server's zone, UTC), loaded on first use and kept. InvalidArgument for an unknown name.
Result<const TimeZone*> FindTimeZone(std::string_view name);
const TimeZone& Utc();
// `utc` as wall-clock seconds in the zone called `zone` (UTC for "" and unknown names).
int64_t LocalSeconds(const std::string& zone, int64_t utc);

// ClickHouse's text forms. A date: YYYY-MM-DD (any one non-digit as separator, one or two
// digit months and days), optionally followed by a time, which toDate ignores. A date and
// time: YYYY-MM-DD hh:mm:ss (or T), an optional fraction of up to 9 digits, or a date alone
// (midnight), or a unix timestamp of 5 to 10 digits. Nothing before or after.
struct ParsedTime {
  bool is_timestamp = false;  // `seconds` is an instant, not a wall-clock time
  int64_t seconds = 0;        // local wall-clock seconds (or the timestamp)
  int64_t nanos = 0;          // the fraction
};
// The day number of a date text (0 for impossible months and days, years out of range),
// nullopt when it is not a date.
std::optional<int64_t> ParseDate(std::string_view text);
std::optional<ParsedTime> ParseDateTime(std::string_view text);
// A date and time text as the UInt32 seconds of a DateTime in `zone`: instants outside
// 1970 to 2106 read as 0, as 18.16 reads every date outside its table.
std::optional<uint32_t> ParseDateTimeAsSeconds(std::string_view text, const TimeZone& zone);

bool IsDateOrTime(TypeId id);
// 10^scale: DateTime64(scale)'s ticks per second.
int64_t TicksPerSecond(uint32_t scale);
// A Date column's days, a DateTime's or DateTime64's seconds (DateTime64 floored), row by row.
std::vector<int64_t> ColumnDays(const Column& column, size_t rows);
std::vector<int64_t> ColumnSeconds(const Column& column, size_t rows);
// DateTime with `zone` ("" keeps the server's).
DataTypePtr MakeDateTime(const std::string& zone);
// The zone a DateTime or DateTime64 type names (UTC when it names none).
Result<const TimeZone*> ZoneOfType(const DataType& type);
// A constant String argument's value; InvalidArgument in ClickHouse's words otherwise.
Result<std::string> ConstantString(std::string_view function, const ColumnPtr& column, size_t index);

// plus and minus of dates, times, intervals and integers (t + INTERVAL 1 DAY, date - 1,
// date - date). HandlesArithmetic: whether either argument is a date, time or interval.
bool HandlesArithmetic(const DataType& a, const DataType& b);
Result<DataTypePtr> ArithmeticType(std::string_view function, const std::vector<DataTypePtr>& args);
Result<ColumnPtr> Arithmetic(std::string_view function, const std::vector<ColumnPtr>& args, const DataTypePtr& result,
                             size_t rows);

void RegisterDateMathFunctions(FunctionMap& functions);

}  // namespace hedgerow::query::dates
