// Dates and times: toDate, toDateTime, toTimeZone, toUnixTimestamp, the parts (toYear ...
// toSecond, toYYYYMM, toYYYYMMDD), the starts (toMonday, toStartOfWeek ... toStartOfYear,
// toStartOfMinute ... toStartOfDay), now, today, yesterday. A time zone argument, or the zone
// of a DateTime's type, sets the wall clock the parts and starts are read on; results that are
// times carry that zone in their type (toStartOfDay(t, 'Asia/Tokyo') is DateTime('Asia/Tokyo')),
// so they print in it. The rest (intervals, add/subtract, dateDiff, dateTrunc, formatDateTime)
// is in functions_date_math.cc.

#include <chrono>
#include <cmath>
#include <type_traits>

#include "functions_date.h"

namespace hedgerow::query {
namespace {

using dates::FloorDiv;
using dates::FloorMod;
using dates::kSecondsPerDay;
using dates::TimeZone;

// A copy of a DateTime or DateTime64 type naming `zone`.
DataTypePtr WithZone(const DataTypePtr& type, const std::string& zone) {
  auto t = std::make_shared<DataType>(*type);
  t->timezone = zone;
  return t;
}

// The zone of a function's optional zone argument (args[at]) or else of its time argument.
Result<const TimeZone*> ArgumentZone(std::string_view function, const std::vector<ColumnPtr>& args, size_t at) {
  if (args.size() > at) {
    HEDGEROW_ASSIGN_OR_RETURN(std::string name, dates::ConstantString(function, args[at], at));
    return dates::FindTimeZone(name);
  }
  return dates::ZoneOfType(*args[0]->type);
}

// The result type once the zone argument's value is known: ReturnType sees types only.
DataTypePtr ResultWithZone(const DataTypePtr& result, const std::vector<ColumnPtr>& args, size_t at) {
  if (args.size() <= at || (result->id != TypeId::kDateTime && result->id != TypeId::kDateTime64)) return result;
  return WithZone(result, std::string(args[at]->StringAt(0)));
}

// A number as ClickHouse converts it to a Date or DateTime: integers wrap around in the
// type, floats are cut toward zero first.
template <class R>
std::vector<R> WrappedNumbers(const Column& c, size_t rows) {
  std::vector<R> out(rows);
  if (c.type->IsFloat()) {
    std::vector<double> v = NumbersAs<double>(c, rows);
    for (size_t i = 0; i < rows; ++i) {
      out[i] = std::isfinite(v[i]) && std::fabs(v[i]) < 9.2e18 ? static_cast<R>(static_cast<int64_t>(v[i])) : 0;
    }
  } else {
    std::vector<int64_t> v = NumbersAs<int64_t>(c, rows);
    for (size_t i = 0; i < rows; ++i) out[i] = static_cast<R>(v[i]);
  }
  return out;
}

enum class Conversion { kToDate, kToDateTime, kToTimeZone, kToUnixTimestamp };

class Convert final : public Function {
 public:
  Convert(const char* name, Conversion kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const bool zone_required = kind_ == Conversion::kToTimeZone;
    if (args.size() != 2 && (zone_required || args.size() != 1)) {
      return WrongArgumentCount(name_, args.size(), zone_required ? "2" : "1 or 2");
    }
    const DataType& from = *args[0];
    const bool time = from.id == TypeId::kDateTime || from.id == TypeId::kDateTime64;
    const bool accepted = zone_required ? time : (time || from.id == TypeId::kDate || from.IsNumber() || from.id == TypeId::kString);
    if (!accepted || (args.size() == 2 && args[1]->id != TypeId::kString)) return IllegalTypes(name_, args);
    switch (kind_) {
      case Conversion::kToDate: return MakeType(TypeId::kDate);
      case Conversion::kToUnixTimestamp: return MakeType(TypeId::kUInt32);
      case Conversion::kToTimeZone: return args[0];
      case Conversion::kToDateTime: return dates::MakeDateTime(from.id == TypeId::kDateTime ? from.timezone : "");
    }
    return Status::Internal("unknown conversion");
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    HEDGEROW_ASSIGN_OR_RETURN(const TimeZone* zone, ArgumentZone(name_, args, 1));
    const Column& in = *args[0];
    const DataTypePtr type = ResultWithZone(result, args, 1);
    if (kind_ == Conversion::kToTimeZone) {  // the same instants, another wall clock
      auto out = std::make_shared<Column>(in);
      out->type = type;
      return ColumnPtr(std::move(out));
    }
    if (kind_ == Conversion::kToDate) {
      std::vector<uint16_t> out(rows);
      if (in.type->id == TypeId::kString) {
        for (size_t i = 0; i < rows; ++i) {
          std::optional<int64_t> day = dates::ParseDate(in.StringAt(i));
          if (!day) return CannotParse(in.StringAt(i), "Date");
          out[i] = static_cast<uint16_t>(*day);
        }
      } else if (in.type->id == TypeId::kDate) {
        return args[0];
      } else if (in.type->IsNumber()) {
        out = WrappedNumbers<uint16_t>(in, rows);
      } else if (zone->fixed() && in.type->id == TypeId::kDateTime64 && in.type->scale == 6 && !in.is_const) {
        // The store's timestamps in UTC, the hot case: one division by a constant per row.
        const int64_t* micros = in.Data<int64_t>();
        const int64_t offset = zone->Offset(0) * 1000000;
        auto column = MakeColumn(type, rows);
        auto* days = reinterpret_cast<uint16_t*>(column->fixed.data());
        for (size_t i = 0; i < rows; ++i) days[i] = static_cast<uint16_t>(FloorDiv(micros[i] + offset, kSecondsPerDay * 1000000));
        return ColumnPtr(std::move(column));
      } else {
        std::vector<int64_t> seconds = dates::ColumnSeconds(in, rows);
        if (zone->fixed()) {
          const int64_t offset = zone->Offset(0);
          for (size_t i = 0; i < rows; ++i) out[i] = static_cast<uint16_t>(FloorDiv(seconds[i] + offset, kSecondsPerDay));
        } else {
          dates::OffsetCursor cursor(*zone);
          for (size_t i = 0; i < rows; ++i) {
            out[i] = static_cast<uint16_t>(FloorDiv(cursor.ToLocal(seconds[i]), kSecondsPerDay));
          }
        }
      }
      return NumberColumn(type, out);
    }
    // toDateTime and toUnixTimestamp: UInt32 seconds.
    std::vector<uint32_t> out(rows);
    switch (in.type->id) {
      case TypeId::kString:
        for (size_t i = 0; i < rows; ++i) {
          std::optional<uint32_t> seconds = dates::ParseDateTimeAsSeconds(in.StringAt(i), *zone);
          if (!seconds) return CannotParse(in.StringAt(i), "DateTime");
          out[i] = *seconds;
        }
        break;
      case TypeId::kDate: {
        std::vector<int64_t> days = dates::ColumnDays(in, rows);
        for (size_t i = 0; i < rows; ++i) out[i] = static_cast<uint32_t>(zone->DayStart(days[i]));
        break;
      }
      case TypeId::kDateTime:
      case TypeId::kDateTime64: {
        std::vector<int64_t> seconds = dates::ColumnSeconds(in, rows);
        for (size_t i = 0; i < rows; ++i) out[i] = static_cast<uint32_t>(seconds[i]);
        break;
      }
      default: out = WrappedNumbers<uint32_t>(in, rows);
    }
    return NumberColumn(type, out);
  }

 private:
  static Status CannotParse(std::string_view text, std::string_view type) {
    return Status::InvalidArgument(fmt::format("Cannot parse string '{}' as {}", text, type));
  }

  const char* name_;
  Conversion kind_;
};

enum class Part {
  kYear, kMonth, kDayOfMonth, kDayOfWeek, kHour, kMinute, kSecond, kYYYYMM, kYYYYMMDD,
  kMonday, kStartOfWeek, kStartOfMonth, kStartOfQuarter, kStartOfYear,  // Dates
  kStartOfMinute, kStartOfFiveMinutes, kStartOfFifteenMinutes, kStartOfHour, kStartOfDay,  // DateTimes
};

// toYear(t[, zone]) and its kind: a part or a start of a Date, DateTime or DateTime64, read
// on the zone's wall clock. toStartOfWeek(t[, mode[, zone]]) has a week mode before the zone.
class DatePart final : public Function {
 public:
  DatePart(const char* name, Part part) : name_(name), part_(part) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const size_t max_args = part_ == Part::kStartOfWeek ? 3 : 2;
    if (args.empty() || args.size() > max_args) {
      return WrongArgumentCount(name_, args.size(), max_args == 3 ? "1, 2 or 3" : "1 or 2");
    }
    const DataType& t = *args[0];
    // Times of day need a time: 18.16 refuses toHour(date), and so does current ClickHouse.
    const bool needs_time = part_ == Part::kHour || part_ == Part::kMinute || part_ == Part::kSecond ||
                            (part_ >= Part::kStartOfMinute && part_ != Part::kStartOfDay);
    const bool ok_time = t.id == TypeId::kDateTime || t.id == TypeId::kDateTime64 || (!needs_time && t.id == TypeId::kDate);
    const size_t zone_at = part_ == Part::kStartOfWeek ? 2 : 1;
    const bool ok_mode = part_ != Part::kStartOfWeek || args.size() < 2 || args[1]->IsInteger();
    if (!ok_time || !ok_mode || (args.size() > zone_at && args[zone_at]->id != TypeId::kString)) {
      return IllegalTypes(name_, args);
    }
    switch (part_) {
      case Part::kYear: return MakeType(TypeId::kUInt16);
      case Part::kYYYYMM:
      case Part::kYYYYMMDD: return MakeType(TypeId::kUInt32);
      case Part::kMonday:
      case Part::kStartOfWeek:
      case Part::kStartOfMonth:
      case Part::kStartOfQuarter:
      case Part::kStartOfYear: return MakeType(TypeId::kDate);
      case Part::kStartOfMinute:
      case Part::kStartOfFiveMinutes:
      case Part::kStartOfFifteenMinutes:
      case Part::kStartOfHour:
      case Part::kStartOfDay: return dates::MakeDateTime(t.id == TypeId::kDate ? "" : t.timezone);
      default: return MakeType(TypeId::kUInt8);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const size_t zone_at = part_ == Part::kStartOfWeek ? 2 : 1;
    HEDGEROW_ASSIGN_OR_RETURN(const TimeZone* zone, ArgumentZone(name_, args, zone_at));
    const DataTypePtr type = ResultWithZone(result, args, zone_at);
    const Column& in = *args[0];
    const bool is_date = in.type->id == TypeId::kDate;
    // The wall clock of every row (a Date's midnight); the starts of minutes to hours also
    // need the instants, kept beside.
    std::vector<int64_t> local, seconds;
    if (is_date) {
      local = dates::ColumnDays(in, rows);
      for (int64_t& v : local) v *= kSecondsPerDay;
    } else {
      local = dates::ColumnSeconds(in, rows);
      if (part_ >= Part::kStartOfMinute && part_ != Part::kStartOfDay && !zone->fixed()) seconds = local;
      if (zone->fixed()) {
        const int64_t offset = zone->Offset(0);
        for (int64_t& v : local) v += offset;
      } else {
        dates::OffsetCursor cursor(*zone);
        for (int64_t& v : local) v = cursor.ToLocal(v);
      }
    }
    auto day = [&](size_t i) { return FloorDiv(local[i], kSecondsPerDay); };
    // Rows of one day in a row (a part's timestamps): the calendar once per day.
    int64_t civil_day = INT64_MIN;
    dates::Civil civil_value{};
    auto civil = [&](size_t i) {
      const int64_t d = day(i);
      if (d != civil_day) civil_day = d, civil_value = dates::CivilFromDays(d);
      return civil_value;
    };
    // Starts of weeks before 1970-01-05 (and of anything before 1970 in a DateTime64) would fall
    // before the Date range: day 0 instead, as current ClickHouse saturates.
    auto date = [](int64_t d) { return static_cast<uint16_t>(std::max<int64_t>(d, 0)); };
    auto time_start = [&](auto unit) {  // an integral_constant: FloorMod by a constant
      if (zone->fixed()) {
        const int64_t offset = zone->Offset(0);
        return Map<uint32_t>(type, rows, [&](size_t i) { return local[i] - FloorMod(local[i], unit()) - offset; });
      }
      return Map<uint32_t>(type, rows, [&](size_t i) { return seconds[i] - FloorMod(local[i], unit()); });
    };
    switch (part_) {
      case Part::kYear: return Map<uint16_t>(type, rows, [&](size_t i) { return civil(i).year; });
      case Part::kMonth: return Map<uint8_t>(type, rows, [&](size_t i) { return civil(i).month; });
      case Part::kDayOfMonth: return Map<uint8_t>(type, rows, [&](size_t i) { return civil(i).day; });
      case Part::kDayOfWeek: return Map<uint8_t>(type, rows, [&](size_t i) { return dates::DayOfWeek(day(i)); });
      case Part::kHour: return Map<uint8_t>(type, rows, [&](size_t i) { return FloorMod(local[i], kSecondsPerDay) / 3600; });
      case Part::kMinute: return Map<uint8_t>(type, rows, [&](size_t i) { return FloorMod(local[i], 3600) / 60; });
      case Part::kSecond: return Map<uint8_t>(type, rows, [&](size_t i) { return FloorMod(local[i], 60); });
      case Part::kYYYYMM:
        return Map<uint32_t>(type, rows, [&](size_t i) {
          dates::Civil c = civil(i);
          return c.year * 100 + c.month;
        });
      case Part::kYYYYMMDD:
        return Map<uint32_t>(type, rows, [&](size_t i) {
          dates::Civil c = civil(i);
          return c.year * 10000 + c.month * 100 + c.day;
        });
      case Part::kMonday:
        return Map<uint16_t>(type, rows, [&](size_t i) { return date(day(i) - dates::DayOfWeek(day(i)) + 1); });
      case Part::kStartOfWeek: {
        // Week modes as MySQL's: an odd mode starts weeks on Monday, an even one on Sunday.
        std::vector<int64_t> mode = args.size() > 1 ? NumbersAs<int64_t>(*args[1], rows) : std::vector<int64_t>(rows, 0);
        return Map<uint16_t>(type, rows, [&](size_t i) {
          const int64_t d = day(i);
          return date((mode[i] & 1) ? d - dates::DayOfWeek(d) + 1 : d - dates::DayOfWeek(d) % 7);
        });
      }
      case Part::kStartOfMonth:
        return Map<uint16_t>(type, rows, [&](size_t i) { return date(day(i) - civil(i).day + 1); });
      case Part::kStartOfQuarter:
        return Map<uint16_t>(type, rows, [&](size_t i) {
          dates::Civil c = civil(i);
          return date(dates::DaysFromCivil(c.year, (c.month - 1) / 3 * 3 + 1, 1));
        });
      case Part::kStartOfYear:
        return Map<uint16_t>(type, rows, [&](size_t i) { return date(dates::DaysFromCivil(civil(i).year, 1, 1)); });
      case Part::kStartOfMinute: return time_start(std::integral_constant<int64_t, 60>{});
      case Part::kStartOfFiveMinutes: return time_start(std::integral_constant<int64_t, 300>{});
      case Part::kStartOfFifteenMinutes: return time_start(std::integral_constant<int64_t, 900>{});
      case Part::kStartOfHour: return time_start(std::integral_constant<int64_t, 3600>{});
      case Part::kStartOfDay:
        if (zone->fixed()) {
          const int64_t offset = zone->Offset(0);
          return Map<uint32_t>(type, rows, [&](size_t i) { return day(i) * kSecondsPerDay - offset; });
        }
        // Rows of one day in a row: look each day up once.
        return Map<uint32_t>(type, rows, [&, last_day = INT64_MIN, last_start = int64_t{0}](size_t i) mutable {
          const int64_t d = day(i);
          if (d != last_day) last_day = d, last_start = zone->DayStart(d);
          return last_start;
        });
    }
    return Status::Internal("unknown date part");
  }

 private:
  // A column of `type` (R its values' C++ type) holding f(row) for every row.
  template <class R, class F>
  static ColumnPtr Map(const DataTypePtr& type, size_t rows, F&& f) {
    auto column = MakeColumn(type, rows);
    auto* out = reinterpret_cast<R*>(column->fixed.data());
    for (size_t i = 0; i < rows; ++i) out[i] = static_cast<R>(f(i));
    return column;
  }

  const char* name_;
  Part part_;
};

// now(), today(), yesterday(): the moment of the call, the same for every row.
class Now final : public Function {
 public:
  Now(const char* name, int days_back) : name_(name), days_back_(days_back) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (!args.empty()) return WrongArgumentCount(name_, args.size(), "0");
    return MakeType(days_back_ < 0 ? TypeId::kDateTime : TypeId::kDate);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>&, const DataTypePtr& result, size_t rows) const override {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    std::shared_ptr<Column> out;
    if (days_back_ < 0) {
      out = std::const_pointer_cast<Column>(NumberColumn(result, std::vector<uint32_t>{static_cast<uint32_t>(now)}));
    } else {
      auto day = static_cast<uint16_t>(FloorDiv(now, kSecondsPerDay) - days_back_);
      out = std::const_pointer_cast<Column>(NumberColumn(result, std::vector<uint16_t>{day}));
    }
    out->is_const = true;
    out->rows = rows;
    return ColumnPtr(std::move(out));
  }

 private:
  const char* name_;
  int days_back_;  // -1: now()
};

}  // namespace

void RegisterDateFunctions(FunctionMap& functions) {
  functions.emplace("toDate", std::make_unique<Convert>("toDate", Conversion::kToDate));
  functions.emplace("toDateTime", std::make_unique<Convert>("toDateTime", Conversion::kToDateTime));
  functions.emplace("toTimeZone", std::make_unique<Convert>("toTimeZone", Conversion::kToTimeZone));
  functions.emplace("toUnixTimestamp", std::make_unique<Convert>("toUnixTimestamp", Conversion::kToUnixTimestamp));
  static const std::pair<const char*, Part> kParts[] = {
      {"toYear", Part::kYear},
      {"toMonth", Part::kMonth},
      {"toDayOfMonth", Part::kDayOfMonth},
      {"toDayOfWeek", Part::kDayOfWeek},
      {"toHour", Part::kHour},
      {"toMinute", Part::kMinute},
      {"toSecond", Part::kSecond},
      {"toYYYYMM", Part::kYYYYMM},
      {"toYYYYMMDD", Part::kYYYYMMDD},
      {"toMonday", Part::kMonday},
      {"toStartOfWeek", Part::kStartOfWeek},
      {"toStartOfMonth", Part::kStartOfMonth},
      {"toStartOfQuarter", Part::kStartOfQuarter},
      {"toStartOfYear", Part::kStartOfYear},
      {"toStartOfMinute", Part::kStartOfMinute},
      {"toStartOfFiveMinute", Part::kStartOfFiveMinutes},  // 18.16's name
      {"toStartOfFiveMinutes", Part::kStartOfFiveMinutes},  // current ClickHouse's
      {"toStartOfFifteenMinutes", Part::kStartOfFifteenMinutes},
      {"toStartOfHour", Part::kStartOfHour},
      {"toStartOfDay", Part::kStartOfDay},
  };
  for (const auto& [name, part] : kParts) functions.emplace(name, std::make_unique<DatePart>(name, part));
  functions.emplace("now", std::make_unique<Now>("now", -1));
  functions.emplace("today", std::make_unique<Now>("today", 0));
  functions.emplace("yesterday", std::make_unique<Now>("yesterday", 1));
  dates::RegisterDateMathFunctions(functions);
}

}  // namespace hedgerow::query
