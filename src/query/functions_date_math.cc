// Arithmetic on dates and times: toIntervalSecond ... toIntervalYear (what INTERVAL n UNIT
// parses to), addSeconds ... addYears and their subtract forms, plus and minus of a date or
// time with an interval or an integer (days for a Date, seconds for a time) and of two dates
// or two times, dateDiff, dateTrunc and formatDateTime.
//
// Days, weeks, months, quarters and years move the wall clock of the time's zone (a day
// after 12:00 the day before a DST change is 12:00 again, 23 hours later), seconds to hours
// move the instant; month ends are cut (Jan 31 + 1 month = Feb 29 in 2024). Results wrap
// around in Date and DateTime as 18.16's do.

#include <algorithm>
#include <cctype>
#include <cmath>

#include "functions_date.h"

namespace hedgerow::query::dates {
namespace {

constexpr int64_t kUnitSeconds[] = {1, 60, 3600};  // second, minute, hour

bool IsSubDay(IntervalUnit unit) { return unit <= IntervalUnit::kHour; }

// Arithmetic that wraps around (a count of seconds from user input can be anything) instead
// of overflowing.
int64_t WrapMul(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); }
int64_t WrapAdd(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); }

// Days are kept within 2^31 of the epoch (millions of years, past every type's range) before
// a zone reads them, so that its arithmetic cannot overflow.
int64_t BoundedDay(int64_t day) { return std::clamp<int64_t>(day, -(int64_t{1} << 31), int64_t{1} << 31); }

// Months, for the units counted in months; 0 for the others.
int64_t UnitMonths(IntervalUnit unit) {
  switch (unit) {
    case IntervalUnit::kMonth: return 1;
    case IntervalUnit::kQuarter: return 3;
    case IntervalUnit::kYear: return 12;
    default: return 0;
  }
}

// A number column as whole counts: floats cut toward zero (addDays(d, 1.7) adds one day).
std::vector<int64_t> Counts(const Column& c, size_t rows) {
  if (!c.type->IsFloat()) return NumbersAs<int64_t>(c, rows);
  std::vector<double> v = NumbersAs<double>(c, rows);
  std::vector<int64_t> out(rows);
  for (size_t i = 0; i < rows; ++i) out[i] = std::isfinite(v[i]) && std::fabs(v[i]) < 9.2e18 ? static_cast<int64_t>(v[i]) : 0;
  return out;
}

// The type of `unit` added to a value of type `t`: a Date moved by less than a day becomes
// a DateTime; everything else keeps its type.
DataTypePtr AddedType(const DataTypePtr& t, IntervalUnit unit) {
  if (t->id == TypeId::kDate && IsSubDay(unit)) return MakeType(TypeId::kDateTime);
  return t;
}

// `time` (a Date, DateTime or DateTime64 column) moved by counts[i] units, row by row, into
// a column of `result` (AddedType). Dates moved by hours start at midnight UTC, as 18.16.
// One count stands for every row (t - INTERVAL 7 DAY).
Result<ColumnPtr> AddUnits(const Column& time, IntervalUnit unit, const std::vector<int64_t>& counts,
                           const DataTypePtr& result, size_t rows) {
  auto count = [&, one = counts.size() == 1](size_t i) { return counts[one ? 0 : i]; };
  const int64_t months = UnitMonths(unit);
  const int64_t days_per_unit = unit == IntervalUnit::kWeek ? 7 : 1;
  if (time.type->id == TypeId::kDate) {
    std::vector<int64_t> days = ColumnDays(time, rows);
    if (IsSubDay(unit)) {
      std::vector<uint32_t> out(rows);
      const int64_t step = kUnitSeconds[static_cast<size_t>(unit)];
      for (size_t i = 0; i < rows; ++i) out[i] = static_cast<uint32_t>(WrapAdd(days[i] * kSecondsPerDay, WrapMul(count(i), step)));
      return NumberColumn(result, out);
    }
    std::vector<uint16_t> out(rows);
    for (size_t i = 0; i < rows; ++i) {
      out[i] = static_cast<uint16_t>(months ? AddMonths(days[i], WrapMul(count(i), months))
                                            : WrapAdd(days[i], WrapMul(count(i), days_per_unit)));
    }
    return NumberColumn(result, out);
  }
  HEDGEROW_ASSIGN_OR_RETURN(const TimeZone* zone, ZoneOfType(*time.type));
  if (!months && (IsSubDay(unit) || zone->fixed())) {
    // A fixed step of seconds (days and weeks are too when the zone has no DST): the ticks
    // move by it, whatever their scale.
    const int64_t step = IsSubDay(unit) ? kUnitSeconds[static_cast<size_t>(unit)] : days_per_unit * kSecondsPerDay;
    if (time.type->id == TypeId::kDateTime) {
      std::vector<uint32_t> out(rows);
      for (size_t i = 0; i < rows; ++i) out[i] = static_cast<uint32_t>(WrapAdd(time.Get<uint32_t>(i), WrapMul(count(i), step)));
      return NumberColumn(result, out);
    }
    const int64_t tick_step = step * TicksPerSecond(time.type->scale);
    std::vector<int64_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = WrapAdd(time.Get<int64_t>(i), WrapMul(count(i), tick_step));
    return NumberColumn(result, out);
  }
  std::vector<int64_t> seconds = ColumnSeconds(time, rows);
  std::vector<int64_t> moved(rows);
  {
    OffsetCursor cursor(*zone);
    for (size_t i = 0; i < rows; ++i) {
      const int64_t local = cursor.ToLocal(seconds[i]);
      const int64_t day = FloorDiv(local, kSecondsPerDay), time_of_day = local - day * kSecondsPerDay;
      const int64_t to_day =
          BoundedDay(months ? AddMonths(day, WrapMul(count(i), months)) : WrapAdd(day, WrapMul(count(i), days_per_unit)));
      moved[i] = zone->FromLocal(to_day * kSecondsPerDay + time_of_day);
    }
  }
  if (time.type->id == TypeId::kDateTime) {
    std::vector<uint32_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = static_cast<uint32_t>(moved[i]);
    return NumberColumn(result, out);
  }
  // DateTime64 keeps its fraction of a second.
  const int64_t per_second = TicksPerSecond(time.type->scale);
  std::vector<int64_t> out(rows);
  for (size_t i = 0; i < rows; ++i) {
    const int64_t ticks = time.Get<int64_t>(i);
    out[i] = WrapAdd(WrapMul(moved[i], per_second), ticks - seconds[i] * per_second);
  }
  return NumberColumn(result, out);
}

// toIntervalDay(n) and the others: n (a number, or a string holding an integer, as the
// conversion 18.16's toInterval functions are) as an Int64 count of the unit.
class ToInterval final : public Function {
 public:
  ToInterval(std::string name, IntervalUnit unit) : name_(std::move(name)), unit_(unit) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
    if (!args[0]->IsNumber() && args[0]->id != TypeId::kString) return IllegalTypes(name_, args);
    return MakeInterval(unit_);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    if (args[0]->type->id != TypeId::kString) return NumberColumn(result, Counts(*args[0], rows));
    std::vector<int64_t> out(rows);
    for (size_t i = 0; i < rows; ++i) {
      std::string_view text = args[0]->StringAt(i);
      size_t at = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
      if (at == text.size() || text.size() - at > 18 ||
          !std::all_of(text.begin() + at, text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Status::InvalidArgument(fmt::format("Cannot parse string '{}' as Int64", text));
      }
      for (size_t j = at; j < text.size(); ++j) out[i] = out[i] * 10 + (text[j] - '0');
      if (text[0] == '-') out[i] = -out[i];
    }
    return NumberColumn(result, out);
  }

 private:
  std::string name_;
  IntervalUnit unit_;
};

// addDays(t, n), subtractDays(t, n) and the other units.
class AddInterval final : public Function {
 public:
  AddInterval(std::string name, IntervalUnit unit, int sign) : name_(std::move(name)), unit_(unit), sign_(sign) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
    if (!IsDateOrTime(args[0]->id) || !args[1]->IsNumber()) return IllegalTypes(name_, args);
    return AddedType(args[0], unit_);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<int64_t> counts = Counts(*args[1], args[1]->is_const ? 1 : rows);
    if (sign_ < 0) {
      for (int64_t& n : counts) n = static_cast<int64_t>(0 - static_cast<uint64_t>(n));
    }
    return AddUnits(*args[0], unit_, counts, result, rows);
  }

 private:
  std::string name_;
  IntervalUnit unit_;
  int sign_;
};

// The relative number of a unit for dateDiff: the count of that unit's boundaries since an
// origin, on the zone's wall clock (weeks start on Monday). `seconds` is the instant, `local`
// its wall clock.
enum class DiffUnit { kSecond, kMinute, kHour, kDay, kWeek, kMonth, kQuarter, kYear };

std::optional<DiffUnit> ParseDiffUnit(std::string unit) {
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  // 18.16 knows the singular names; current ClickHouse also the plurals and abbreviations.
  static const std::pair<const char*, DiffUnit> kNames[] = {
      {"second", DiffUnit::kSecond}, {"seconds", DiffUnit::kSecond}, {"ss", DiffUnit::kSecond}, {"s", DiffUnit::kSecond},
      {"minute", DiffUnit::kMinute}, {"minutes", DiffUnit::kMinute}, {"mi", DiffUnit::kMinute}, {"n", DiffUnit::kMinute},
      {"hour", DiffUnit::kHour},     {"hours", DiffUnit::kHour},     {"hh", DiffUnit::kHour},   {"h", DiffUnit::kHour},
      {"day", DiffUnit::kDay},       {"days", DiffUnit::kDay},       {"dd", DiffUnit::kDay},    {"d", DiffUnit::kDay},
      {"week", DiffUnit::kWeek},     {"weeks", DiffUnit::kWeek},     {"wk", DiffUnit::kWeek},   {"ww", DiffUnit::kWeek},
      {"month", DiffUnit::kMonth},   {"months", DiffUnit::kMonth},   {"mm", DiffUnit::kMonth},  {"m", DiffUnit::kMonth},
      {"quarter", DiffUnit::kQuarter}, {"quarters", DiffUnit::kQuarter}, {"qq", DiffUnit::kQuarter}, {"q", DiffUnit::kQuarter},
      {"year", DiffUnit::kYear},     {"years", DiffUnit::kYear},     {"yyyy", DiffUnit::kYear}, {"yy", DiffUnit::kYear},
  };
  for (const auto& [name, value] : kNames) {
    if (unit == name) return value;
  }
  return std::nullopt;
}

// One number for a constant column (dateDiff('day', t, now())).
std::vector<int64_t> RelativeNumbers(DiffUnit unit, const Column& c, const TimeZone& zone, size_t rows) {
  if (c.is_const) rows = 1;
  std::vector<int64_t> seconds, out(rows);
  if (c.type->id == TypeId::kDate) {
    seconds = ColumnDays(c, rows);
    for (int64_t& s : seconds) s = zone.DayStart(s);
  } else {
    seconds = ColumnSeconds(c, rows);
  }
  const int64_t epoch_offset = zone.Offset(0);
  OffsetCursor cursor(zone);
  for (size_t i = 0; i < rows; ++i) {
    const int64_t s = seconds[i], local = cursor.ToLocal(s), day = FloorDiv(local, kSecondsPerDay);
    switch (unit) {
      case DiffUnit::kSecond: out[i] = s; break;
      case DiffUnit::kMinute: out[i] = FloorDiv(s, 60); break;
      // Hours as ClickHouse's DateLUT counts them: on the offset the zone had in 1970, so
      // Asia/Kathmandu (+5:30 then, +5:45 now) starts its hours at a quarter past.
      case DiffUnit::kHour: out[i] = FloorDiv(s + epoch_offset, 3600); break;
      case DiffUnit::kDay: out[i] = day; break;
      case DiffUnit::kWeek: out[i] = FloorDiv(day + 3, 7); break;
      default: {
        Civil civil = CivilFromDays(day);
        if (unit == DiffUnit::kMonth) out[i] = civil.year * 12 + civil.month - 1;
        if (unit == DiffUnit::kQuarter) out[i] = civil.year * 4 + (civil.month - 1) / 3;
        if (unit == DiffUnit::kYear) out[i] = civil.year;
      }
    }
  }
  return out;
}

// dateDiff('unit', a, b[, zone]): how many boundaries of the unit lie between a and b, each
// read in the zone argument or else in its own type's zone.
class DateDiff final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 3 && args.size() != 4) return WrongArgumentCount("dateDiff", args.size(), "3 or 4");
    if (args[0]->id != TypeId::kString || !IsDateOrTime(args[1]->id) || !IsDateOrTime(args[2]->id) ||
        (args.size() == 4 && args[3]->id != TypeId::kString)) {
      return IllegalTypes("dateDiff", args);
    }
    return MakeType(TypeId::kInt64);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    HEDGEROW_ASSIGN_OR_RETURN(std::string unit_name, ConstantString("dateDiff", args[0], 0));
    std::optional<DiffUnit> unit = ParseDiffUnit(unit_name);
    if (!unit) return Status::InvalidArgument(fmt::format("Function dateDiff does not support '{}' unit", unit_name));
    const TimeZone *zone_a, *zone_b;
    if (args.size() == 4) {
      HEDGEROW_ASSIGN_OR_RETURN(std::string zone_name, ConstantString("dateDiff", args[3], 3));
      HEDGEROW_ASSIGN_OR_RETURN(zone_a, FindTimeZone(zone_name));
      zone_b = zone_a;
    } else {
      HEDGEROW_ASSIGN_OR_RETURN(zone_a, ZoneOfType(*args[1]->type));
      HEDGEROW_ASSIGN_OR_RETURN(zone_b, ZoneOfType(*args[2]->type));
    }
    std::vector<int64_t> a = RelativeNumbers(*unit, *args[1], *zone_a, rows);
    std::vector<int64_t> b = RelativeNumbers(*unit, *args[2], *zone_b, rows);
    std::vector<int64_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = b[b.size() == 1 ? 0 : i] - a[a.size() == 1 ? 0 : i];
    return NumberColumn(result, out);
  }
};

// dateTrunc('unit', t[, zone]) as current ClickHouse (18.16 has none): years to weeks give
// the Date of the period's first day (weeks start on Monday), days to seconds the DateTime
// of its first instant. Its type depends on the unit's value, which ReturnType cannot see:
// it is typed DateTime there and the column carries the real type.
class DateTrunc final : public Function {
 public:
  explicit DateTrunc(const char* name) : name_(name) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2 && args.size() != 3) return WrongArgumentCount(name_, args.size(), "2 or 3");
    if (args[0]->id != TypeId::kString || !IsDateOrTime(args[1]->id) || (args.size() == 3 && args[2]->id != TypeId::kString)) {
      return IllegalTypes(name_, args);
    }
    return MakeDateTime(args[1]->id == TypeId::kDate ? "" : args[1]->timezone);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr&, size_t rows) const override {
    HEDGEROW_ASSIGN_OR_RETURN(std::string unit, ConstantString(name_, args[0], 0));
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::pair<const char*, const char*> kStarts[] = {
        {"year", "toStartOfYear"}, {"quarter", "toStartOfQuarter"}, {"month", "toStartOfMonth"}, {"week", "toMonday"},
        {"day", "toStartOfDay"},   {"hour", "toStartOfHour"},       {"minute", "toStartOfMinute"}, {"second", ""}};
    const auto* start = std::find_if(std::begin(kStarts), std::end(kStarts), [&](const auto& s) { return unit == s.first; });
    if (start == std::end(kStarts)) {
      return Status::InvalidArgument(fmt::format("{} doesn't look like datepart name in {}", unit, name_));
    }
    const bool is_date = args[1]->type->id == TypeId::kDate;
    const bool date_result = start - std::begin(kStarts) < 4;
    if (is_date && !date_result && unit != "day") return IllegalTypes(name_, {args[0]->type, args[1]->type});
    if (is_date && date_result && args.size() == 3) {
      return Status::InvalidArgument(fmt::format(
          "The timezone argument of function {} with datepart '{}' is allowed only when the 2nd argument has the type DateTime",
          name_, unit));
    }
    std::vector<ColumnPtr> call(args.begin() + 1, args.end());
    // A second is whole already: toDateTime keeps it, in the zone asked for.
    return CallFunction(unit == "second" ? "toDateTime" : start->second, call, rows);
  }

 private:
  const char* name_;
};

// formatDateTime(t, 'format'[, zone]) with 18.16's patterns: %C %d %D %e %F %H %I %j %m %M
// %n %p %R %S %t %T %u %V %w %y %Y %%. Current ClickHouse has more, and reads %M as the
// month's name unless told otherwise; the ones 18.16 lacks are refused rather than guessed.
class FormatDateTime final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2 && args.size() != 3) return WrongArgumentCount("formatDateTime", args.size(), "2 or 3");
    if (!IsDateOrTime(args[0]->id) || args[1]->id != TypeId::kString || (args.size() == 3 && args[2]->id != TypeId::kString)) {
      return IllegalTypes("formatDateTime", args);
    }
    return MakeType(TypeId::kString);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    HEDGEROW_ASSIGN_OR_RETURN(std::string format, ConstantString("formatDateTime", args[1], 1));
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') continue;
      if (++i == format.size() || std::string_view("CdDeFHIjmMnpRStTuVwyY%").find(format[i]) == std::string_view::npos) {
        return Status::InvalidArgument(fmt::format("Wrong pattern '{}', unexpected symbol '%{}' for function formatDateTime",
                                                   format, i == format.size() ? std::string() : std::string(1, format[i])));
      }
    }
    const TimeZone* zone = &Utc();
    if (args.size() == 3) {
      HEDGEROW_ASSIGN_OR_RETURN(std::string zone_name, ConstantString("formatDateTime", args[2], 2));
      HEDGEROW_ASSIGN_OR_RETURN(zone, FindTimeZone(zone_name));
    } else if (args[0]->type->id != TypeId::kDate) {
      HEDGEROW_ASSIGN_OR_RETURN(zone, ZoneOfType(*args[0]->type));
    }
    std::vector<int64_t> local;
    if (args[0]->type->id == TypeId::kDate) {
      local = ColumnDays(*args[0], rows);
      for (int64_t& v : local) v *= kSecondsPerDay;
    } else {
      local = ColumnSeconds(*args[0], rows);
      OffsetCursor cursor(*zone);
      for (int64_t& v : local) v = cursor.ToLocal(v);
    }
    auto out = MakeColumn(result, 0);
    out->rows = rows;
    out->offsets.reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      Append(out->chars, format, local[r]);
      out->offsets.push_back(out->chars.size());
    }
    return ColumnPtr(std::move(out));
  }

 private:
  static void Append(std::string& out, std::string_view format, int64_t local) {
    const int64_t day = FloorDiv(local, kSecondsPerDay), second_of_day = local - day * kSecondsPerDay;
    const Civil c = CivilFromDays(day);
    const int64_t hour = second_of_day / 3600, minute = second_of_day / 60 % 60, second = second_of_day % 60;
    const unsigned weekday = DayOfWeek(day);
    auto two = [&](int64_t v) { fmt::format_to(std::back_inserter(out), "{:02}", v); };
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') {
        out += format[i];
        continue;
      }
      switch (format[++i]) {
        case 'C': two(c.year / 100); break;
        case 'd': two(c.day); break;
        case 'D': fmt::format_to(std::back_inserter(out), "{:02}/{:02}/{:02}", c.month, c.day, c.year % 100); break;
        case 'e': fmt::format_to(std::back_inserter(out), "{:>2}", c.day); break;
        case 'F': fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", c.year, c.month, c.day); break;
        case 'H': two(hour); break;
        case 'I': two(hour % 12 == 0 ? 12 : hour % 12); break;
        case 'j': fmt::format_to(std::back_inserter(out), "{:03}", day - DaysFromCivil(c.year, 1, 1) + 1); break;
        case 'm': two(c.month); break;
        case 'M': two(minute); break;
        case 'n': out += '\n'; break;
        case 'p': out += hour < 12 ? "AM" : "PM"; break;
        case 'R': fmt::format_to(std::back_inserter(out), "{:02}:{:02}", hour, minute); break;
        case 'S': two(second); break;
        case 't': out += '\t'; break;
        case 'T': fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}", hour, minute, second); break;
        case 'u': out += static_cast<char>('0' + weekday); break;
        case 'V': {  // ISO 8601: the week of the year that holds its Thursday
          const int64_t thursday = day - weekday + 4;
          two((thursday - DaysFromCivil(CivilFromDays(thursday).year, 1, 1)) / 7 + 1);
          break;
        }
        case 'w': out += static_cast<char>('0' + weekday % 7); break;
        case 'y': two(c.year % 100); break;
        case 'Y': fmt::format_to(std::back_inserter(out), "{:04}", c.year); break;
        default: out += '%'; break;
      }
    }
  }
};

IntervalUnit UnitOf(const DataType& t) { return t.interval_unit; }

}  // namespace

bool HandlesArithmetic(const DataType& a, const DataType& b) {
  return IsDateOrTime(a.id) || IsDateOrTime(b.id) || a.id == TypeId::kInterval || b.id == TypeId::kInterval;
}

Result<DataTypePtr> ArithmeticType(std::string_view function, const std::vector<DataTypePtr>& args) {
  if (args.size() != 2) return WrongArgumentCount(function, args.size(), "2");
  const DataTypePtr &a = args[0], &b = args[1];
  const bool plus = function == "plus";
  if (plus || function == "minus") {
    if (IsDateOrTime(a->id) && b->id == TypeId::kInterval) return AddedType(a, UnitOf(*b));
    if (IsDateOrTime(a->id) && b->IsInteger()) return a;
    if (plus && a->id == TypeId::kInterval && IsDateOrTime(b->id)) return AddedType(b, UnitOf(*a));
    if (plus && a->IsInteger() && IsDateOrTime(b->id)) return b;
    // The difference of two dates in days, of two times in seconds.
    if (!plus && a->id == b->id && (a->id == TypeId::kDate || a->id == TypeId::kDateTime)) return MakeType(TypeId::kInt32);
  }
  return IllegalTypes(function, args);
}

Result<ColumnPtr> Arithmetic(std::string_view function, const std::vector<ColumnPtr>& args, const DataTypePtr& result,
                             size_t rows) {
  const bool swapped = !IsDateOrTime(args[0]->type->id);
  const Column& time = *args[swapped ? 1 : 0];
  const Column& other = *args[swapped ? 0 : 1];
  if (IsDateOrTime(other.type->id)) {
    std::vector<int64_t> a = time.type->id == TypeId::kDate ? ColumnDays(time, rows) : ColumnSeconds(time, rows);
    std::vector<int64_t> b = other.type->id == TypeId::kDate ? ColumnDays(other, rows) : ColumnSeconds(other, rows);
    std::vector<int32_t> out(rows);
    for (size_t i = 0; i < rows; ++i) out[i] = static_cast<int32_t>(a[i] - b[i]);
    return NumberColumn(result, out);
  }
  IntervalUnit unit = other.type->id == TypeId::kInterval ? UnitOf(*other.type)
                      : time.type->id == TypeId::kDate    ? IntervalUnit::kDay
                                                          : IntervalUnit::kSecond;
  const size_t count_rows = other.is_const ? 1 : rows;  // one count for a constant
  std::vector<int64_t> counts(count_rows);
  if (other.type->id == TypeId::kInterval) {
    for (size_t i = 0; i < count_rows; ++i) counts[i] = other.Get<int64_t>(i);
  } else {
    counts = NumbersAs<int64_t>(other, count_rows);
  }
  if (function == "minus") {
    for (int64_t& n : counts) n = static_cast<int64_t>(0 - static_cast<uint64_t>(n));
  }
  return AddUnits(time, unit, counts, result, rows);
}

void RegisterDateMathFunctions(FunctionMap& functions) {
  static constexpr std::pair<IntervalUnit, const char*> kUnits[] = {
      {IntervalUnit::kSecond, "Seconds"}, {IntervalUnit::kMinute, "Minutes"}, {IntervalUnit::kHour, "Hours"},
      {IntervalUnit::kDay, "Days"},       {IntervalUnit::kWeek, "Weeks"},     {IntervalUnit::kMonth, "Months"},
      {IntervalUnit::kQuarter, "Quarters"}, {IntervalUnit::kYear, "Years"}};
  for (const auto& [unit, plural] : kUnits) {
    std::string interval = "toInterval" + std::string(IntervalUnitName(unit));
    functions.emplace(interval, std::make_unique<ToInterval>(interval, unit));
    functions.emplace(std::string("add") + plural, std::make_unique<AddInterval>(std::string("add") + plural, unit, 1));
    functions.emplace(std::string("subtract") + plural,
                      std::make_unique<AddInterval>(std::string("subtract") + plural, unit, -1));
  }
  functions.emplace("dateDiff", std::make_unique<DateDiff>());
  functions.emplace("dateTrunc", std::make_unique<DateTrunc>("dateTrunc"));
  functions.emplace("date_trunc", std::make_unique<DateTrunc>("date_trunc"));
  functions.emplace("formatDateTime", std::make_unique<FormatDateTime>());
}

}  // namespace hedgerow::query::dates
