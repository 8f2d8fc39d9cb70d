#include "hedgerow/common/clock.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace hedgerow {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilTime ToCivil(int64_t micros) {
  int64_t secs = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  unsigned us = static_cast<unsigned>(micros - secs * 1000000);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  unsigned sod = static_cast<unsigned>(secs - days * 86400);
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilTime{y + (m <= 2), m, d, sod / 3600, (sod / 60) % 60, sod % 60, us};
}

namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

namespace {

// Reads exactly `n` digits at `pos`.
bool ReadDigits(std::string_view s, size_t& pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MonotonicMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "YYYY-MM-DD<sep>HH:MM:SS.ffffff" into `out` (kMaxDateTimeChars), written digit by digit:
// these run several times per ingested event, where fmt's parsing of a format string showed
// up in profiles. The date and time of recent seconds are kept per thread, four of them by
// second: an events row's timestamps (event, capture, person created) mostly fall in a few
// seconds, and the calendar arithmetic is the cost.
static size_t FormatMicros(int64_t micros, char separator, char* out) {
  auto put = [out](size_t at, unsigned value, size_t digits) {
    for (size_t i = digits; i > 0; --i) {
      out[at + i - 1] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  struct Cached {
    int64_t second = INT64_MIN;
    char separator = 0;
    char text[19];
  };
  thread_local Cached cache[4];
  int64_t second = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  Cached& cached = cache[static_cast<uint64_t>(second) % 4];
  if (second != cached.second || separator != cached.separator) {
    CivilTime c = ToCivil(micros);
    if (c.year < 0 || c.year > 9999) {
      auto r = fmt::format_to_n(out, kMaxDateTimeChars, "{:04d}-{:02d}-{:02d}{}{:02d}:{:02d}:{:02d}.{:06d}", c.year, c.month,
                                c.day, separator, c.hour, c.minute, c.second, c.micros);
      return std::min(r.size, kMaxDateTimeChars);
    }
    put(0, static_cast<unsigned>(c.year), 4);
    out[4] = '-';
    put(5, static_cast<unsigned>(c.month), 2);
    out[7] = '-';
    put(8, static_cast<unsigned>(c.day), 2);
    out[10] = separator;
    put(11, static_cast<unsigned>(c.hour), 2);
    out[13] = ':';
    put(14, static_cast<unsigned>(c.minute), 2);
    out[16] = ':';
    put(17, static_cast<unsigned>(c.second), 2);
    std::memcpy(cached.text, out, sizeof cached.text);
    cached.second = second;
    cached.separator = separator;
  } else {
    std::memcpy(out, cached.text, sizeof cached.text);
  }
  out[19] = '.';
  put(20, static_cast<unsigned>(micros - second * 1000000), 6);
  return 26;
}

std::string FormatIso8601Micros(int64_t micros) {
  char out[kMaxDateTimeChars];
  return std::string(out, FormatMicros(micros, 'T', out)) + 'Z';
}

std::string FormatClickHouseDateTime64(int64_t micros) {
  char out[kMaxDateTimeChars];
  return std::string(out, FormatMicros(micros, ' ', out));
}

size_t FormatClickHouseDateTime64(int64_t micros, char* out) { return FormatMicros(micros, ' ', out); }

std::optional<int64_t> ParseIso8601Micros(std::string_view s) {
  size_t pos = 0;
  unsigned year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 4, year) || !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, month) ||
      !Expect(s, pos, '-') || !ReadDigits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  int64_t micros_frac = 0;
  int64_t offset_seconds = 0;
  if (pos < s.size()) {
    if (!Expect(s, pos, 'T') && !Expect(s, pos, 't') && !Expect(s, pos, ' ')) return std::nullopt;
    if (!ReadDigits(s, pos, 2, hour) || !Expect(s, pos, ':') || !ReadDigits(s, pos, 2, minute)) {
      return std::nullopt;
    }
    if (Expect(s, pos, ':') && !ReadDigits(s, pos, 2, second)) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (Expect(s, pos, '.') || Expect(s, pos, ',')) {
      size_t digits = 0;
      int64_t scale = 100000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) micros_frac += (s[pos] - '0') * scale;
        scale /= 10;
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
    }
    if (Expect(s, pos, 'Z') || Expect(s, pos, 'z')) {
      // UTC
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      int sign = s[pos] == '-' ? -1 : 1;
      ++pos;
      unsigned oh, om = 0;
      if (!ReadDigits(s, pos, 2, oh)) return std::nullopt;
      if (pos < s.size()) {
        Expect(s, pos, ':');
        if (!ReadDigits(s, pos, 2, om)) return std::nullopt;
      }
      if (oh > 23 || om > 59) return std::nullopt;
      offset_seconds = sign * static_cast<int64_t>(oh * 3600 + om * 60);
    }
  }
  if (pos != s.size()) return std::nullopt;
  int64_t days = DaysFromCivil(year, month, day);
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return secs * 1000000 + micros_frac;
}

}  // namespace hedgerow
