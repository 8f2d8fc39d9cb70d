// The calendar, time zones and text forms the date functions share (functions_date.h).

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>

#include <cctz/civil_time.h>

#include "functions_date.h"
#include "hedgerow/common/clock.h"

namespace hedgerow::query::dates {
namespace {

using Seconds = cctz::time_point<cctz::seconds>;

Seconds AsTimePoint(int64_t s) { return Seconds(cctz::seconds(s)); }
int64_t AsInt(const Seconds& tp) { return tp.time_since_epoch().count(); }

const cctz::civil_second kEpoch(1970, 1, 1, 0, 0, 0);
constexpr int64_t kTableBegin = -2208988800;  // 1900-01-01
constexpr int64_t kTableEnd = 10413792000;    // 2300-01-01
// Offsets stay within a day and a few hours of UTC; starting a search this far back is safe.
constexpr int64_t kMaxOffset = 30 * 3600;

// IANA names: letters, digits and _+-/ with no "..": cctz reads the file of that name
// under the zoneinfo directory, so nothing else may reach it.
bool PlausibleZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
           c == '-' || c == '/';
  });
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Up to `max` digits at `at`; false when there are fewer than `min`.
bool ReadDigits(std::string_view s, size_t& at, size_t min, size_t max, int64_t& out) {
  size_t start = at;
  out = 0;
  while (at < s.size() && at - start < max && IsDigit(s[at])) out = out * 10 + (s[at++] - '0');
  return at - start >= min;
}

// YYYY?M?D with one or two digit months and days; the day number, or 0 for a date 18.16
// reads as zero (year 0, impossible months and days, years outside the Date range).
bool ReadDate(std::string_view s, size_t& at, int64_t& day) {
  int64_t year, month, dom;
  if (!ReadDigits(s, at, 4, 4, year)) return false;
  if (at >= s.size() || IsDigit(s[at])) return false;
  ++at;
  if (!ReadDigits(s, at, 1, 2, month)) return false;
  if (at >= s.size() || IsDigit(s[at])) return false;
  ++at;
  if (!ReadDigits(s, at, 1, 2, dom)) return false;
  if (year < 1970 || year > 2149 || month < 1 || month > 12 || dom < 1 || dom > 31) {
    day = 0;
  } else {
    // An impossible day of an existing month runs on into the next (2023-02-29 is March 1).
    day = DaysFromCivil(year, static_cast<unsigned>(month), 1) + dom - 1;
  }
  return true;
}

// [ T]hh:mm:ss[.fraction] at `at`: seconds of the day (hours and minutes past their range
// run on, as 18.16 adds them) and the fraction in nanoseconds.
bool ReadTime(std::string_view s, size_t& at, int64_t& seconds, int64_t& nanos) {
  if (at >= s.size() || (s[at] != ' ' && s[at] != 'T')) return false;
  ++at;
  int64_t h, m, sec;
  if (!ReadDigits(s, at, 2, 2, h) || at >= s.size() || s[at++] != ':') return false;
  if (!ReadDigits(s, at, 2, 2, m) || at >= s.size() || s[at++] != ':') return false;
  if (!ReadDigits(s, at, 2, 2, sec)) return false;
  seconds = h * 3600 + m * 60 + sec;
  nanos = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    size_t start = at;
    int64_t fraction;
    if (!ReadDigits(s, at, 1, 9, fraction)) return false;
    for (size_t i = at - start; i < 9; ++i) fraction *= 10;
    nanos = fraction;
  }
  return true;
}

}  // namespace

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) { return hedgerow::DaysFromCivil(y, m, d); }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

int64_t AddMonths(int64_t day, int64_t months) {
  months = std::clamp<int64_t>(months, -(int64_t{1} << 36), int64_t{1} << 36);  // past every type's range
  Civil c = CivilFromDays(day);
  int64_t index = c.year * 12 + (c.month - 1) + months;
  int64_t year = FloorDiv(index, 12);
  unsigned month = static_cast<unsigned>(FloorMod(index, 12)) + 1;
  return DaysFromCivil(year, month, std::min(c.day, DaysInMonth(year, month)));
}

TimeZone::TimeZone(std::string name, cctz::time_zone zone) : name_(std::move(name)), zone_(zone) {
  offsets_.push_back(zone_.lookup(AsTimePoint(kTableBegin)).offset);
  Seconds at = AsTimePoint(kTableBegin);
  cctz::time_zone::civil_transition transition;
  // A zone changes its offset a few times a year at most: 400 years bound the loop.
  while (transitions_.size() < 4000 && zone_.next_transition(at, &transition)) {
    at = zone_.lookup(transition.to).trans;
    if (AsInt(at) >= kTableEnd) break;
    int32_t offset = zone_.lookup(at).offset;
    if (offset == offsets_.back()) continue;  // a change of abbreviation only
    transitions_.push_back(AsInt(at));
    offsets_.push_back(offset);
  }
  fixed_ = transitions_.empty() && zone_.lookup(AsTimePoint(kTableEnd)).offset == offsets_[0];
  fixed_offset_ = offsets_[0];
}

int64_t TimeZone::TableOffset(int64_t utc) const {
  if (utc < kTableBegin || utc >= kTableEnd) return zone_.lookup(AsTimePoint(utc)).offset;
  size_t i = static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), utc) - transitions_.begin());
  return offsets_[i];
}

TimeZone::Span TimeZone::SpanAt(int64_t utc) const {
  if (fixed_) return {INT64_MIN, INT64_MAX, fixed_offset_};
  if (utc < kTableBegin || utc >= kTableEnd) return {utc, utc + 1, TableOffset(utc)};
  size_t i = static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), utc) - transitions_.begin());
  return {i == 0 ? kTableBegin : transitions_[i - 1], i == transitions_.size() ? kTableEnd : transitions_[i], offsets_[i]};
}

int64_t TimeZone::CctzDayStart(int64_t day) const {
  auto found = zone_.lookup(kEpoch + day * kSecondsPerDay);
  return AsInt(found.kind == cctz::time_zone::civil_lookup::SKIPPED ? found.trans : found.pre);
}

int64_t TimeZone::DayStart(int64_t day) const {
  const int64_t midnight = day * kSecondsPerDay;
  if (fixed_) return midnight - fixed_offset_;
  if (midnight - kMaxOffset < kTableBegin || midnight + kMaxOffset >= kTableEnd) return CctzDayStart(day);
  // The earliest instant whose wall clock reads midnight or later: walk the spans of one
  // offset each from a day before, and stop in the first one whose wall clock gets there.
  size_t i = static_cast<size_t>(
      std::upper_bound(transitions_.begin(), transitions_.end(), midnight - kMaxOffset) - transitions_.begin());
  for (;; ++i) {
    const int64_t offset = offsets_[i];
    if (i == transitions_.size() || transitions_[i] + offset > midnight) {
      const int64_t span_begin = i == 0 ? kTableBegin : transitions_[i - 1];
      return std::max(span_begin, midnight - offset);
    }
  }
}

int64_t TimeZone::FromLocal(int64_t local) const {
  if (fixed_) return local - fixed_offset_;
  // Read on the offset the day starts with; if that lands past the day's offset change,
  // read again on the new offset (18.16's makeDateTime, counted from local midnight rather
  // than from the day's first instant, which 18.16 got wrong on days that skip midnight).
  const int64_t day_offset = Offset(DayStart(FloorDiv(local, kSecondsPerDay)));
  const int64_t at = local - day_offset;
  return at - (Offset(at) - day_offset);
}

Result<const TimeZone*> FindTimeZone(std::string_view name) {
  if (name.empty() || name == "UTC") return &Utc();
  static std::mutex mu;
  static auto* zones = new std::map<std::string, std::unique_ptr<TimeZone>, std::less<>>;  // never freed: borrowed forever
  std::lock_guard<std::mutex> lock(mu);
  auto it = zones->find(name);
  if (it != zones->end()) return it->second.get();
  cctz::time_zone zone;
  if (!PlausibleZoneName(name) || !cctz::load_time_zone(std::string(name), &zone)) {
    return Status::InvalidArgument(fmt::format("Cannot load time zone {}", name));
  }
  auto loaded = std::make_unique<TimeZone>(std::string(name), zone);
  const TimeZone* out = loaded.get();
  zones->emplace(std::string(name), std::move(loaded));
  return out;
}

const TimeZone& Utc() {
  static const TimeZone* utc = new TimeZone("UTC", cctz::utc_time_zone());
  return *utc;
}

int64_t LocalSeconds(const std::string& zone, int64_t utc) {
  if (zone.empty() || zone == "UTC") return utc;
  // Printing asks row by row, mostly of one zone: remember it without taking the lock.
  thread_local std::string last_name;
  thread_local const TimeZone* last = nullptr;
  if (last == nullptr || zone != last_name) {
    auto found = FindTimeZone(zone);
    if (!found.ok()) return utc;
    last = *found;
    last_name = zone;
  }
  return last->ToLocal(utc);
}

std::optional<int64_t> ParseDate(std::string_view text) {
  size_t at = 0;
  int64_t day, seconds, nanos;
  if (!ReadDate(text, at, day)) return std::nullopt;
  if (at != text.size() && (!ReadTime(text, at, seconds, nanos) || at != text.size())) return std::nullopt;
  return day;
}

std::optional<ParsedTime> ParseDateTime(std::string_view text) {
  ParsedTime out;
  if (!text.empty() && std::all_of(text.begin(), text.end(), IsDigit)) {
    if (text.size() < 5 || text.size() > 10) return std::nullopt;
    out.is_timestamp = true;
    for (char c : text) out.seconds = out.seconds * 10 + (c - '0');
    return out;
  }
  size_t at = 0;
  int64_t day, time_of_day = 0;
  if (!ReadDate(text, at, day)) return std::nullopt;
  if (at != text.size() && (!ReadTime(text, at, time_of_day, out.nanos) || at != text.size())) return std::nullopt;
  out.seconds = day * kSecondsPerDay + time_of_day;
  return out;
}

std::optional<uint32_t> ParseDateTimeAsSeconds(std::string_view text, const TimeZone& zone) {
  std::optional<ParsedTime> parsed = ParseDateTime(text);
  if (!parsed) return std::nullopt;
  int64_t seconds = parsed->is_timestamp ? parsed->seconds : zone.FromLocal(parsed->seconds);
  return seconds < 0 || seconds > UINT32_MAX ? 0 : static_cast<uint32_t>(seconds);
}

bool IsDateOrTime(TypeId id) { return id == TypeId::kDate || id == TypeId::kDateTime || id == TypeId::kDateTime64; }

int64_t TicksPerSecond(uint32_t scale) {
  int64_t out = 1;
  for (uint32_t i = 0; i < scale; ++i) out *= 10;
  return out;
}

std::vector<int64_t> ColumnDays(const Column& c, size_t rows) {
  std::vector<int64_t> out(rows);
  for (size_t i = 0; i < rows; ++i) out[i] = c.Get<uint16_t>(i);
  return out;
}

std::vector<int64_t> ColumnSeconds(const Column& c, size_t rows) {
  std::vector<int64_t> out(rows);
  if (c.type->id == TypeId::kDateTime) {
    for (size_t i = 0; i < rows; ++i) out[i] = c.Get<uint32_t>(i);
    return out;
  }
  const int64_t unit = TicksPerSecond(c.type->scale);
  if (c.is_const) {
    std::fill(out.begin(), out.end(), FloorDiv(c.Get<int64_t>(0), unit));
    return out;
  }
  const int64_t* ticks = c.Data<int64_t>();
  // Division by a constant is a multiplication; by a variable, a slow divide per row.
  auto floor_all = [&](auto per_second) {
    for (size_t i = 0; i < rows; ++i) out[i] = FloorDiv(ticks[i], decltype(per_second)::value);
  };
  switch (c.type->scale) {
    case 0: std::copy(ticks, ticks + rows, out.begin()); break;
    case 3: floor_all(std::integral_constant<int64_t, 1000>{}); break;
    case 6: floor_all(std::integral_constant<int64_t, 1000000>{}); break;
    case 9: floor_all(std::integral_constant<int64_t, 1000000000>{}); break;
    default:
      for (size_t i = 0; i < rows; ++i) out[i] = FloorDiv(ticks[i], unit);
  }
  return out;
}

DataTypePtr MakeDateTime(const std::string& zone) {
  auto t = std::make_shared<DataType>();
  t->id = TypeId::kDateTime;
  t->timezone = zone;
  return t;
}

Result<const TimeZone*> ZoneOfType(const DataType& type) { return FindTimeZone(type.timezone); }

Result<std::string> ConstantString(std::string_view function, const ColumnPtr& column, size_t index) {
  if (column->type->id != TypeId::kString || !column->is_const) {
    return Status::InvalidArgument(
        fmt::format("Argument {} of function {} must be a constant string", index + 1, function));
  }
  return std::string(column->StringAt(0));
}

}  // namespace hedgerow::query::dates
