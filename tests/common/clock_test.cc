#include "hedgerow/common/clock.h"

#include <catch2/catch.hpp>

#include <ctime>
#include <random>

#include <fmt/format.h>

using namespace hedgerow;

TEST_CASE("timestamps format as ISO 8601 and ClickHouse DateTime64(6)", "[common]") {
  int64_t t = 1732881600123456;  // 2024-11-29T12:00:00.123456Z
  CHECK(FormatIso8601Micros(t) == "2024-11-29T12:00:00.123456Z");
  CHECK(FormatClickHouseDateTime64(t) == "2024-11-29 12:00:00.123456");
  CHECK(FormatIso8601Micros(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(FormatIso8601Micros(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(FormatClickHouseDateTime64(951782400000000) == "2000-02-29 00:00:00.000000");
}

TEST_CASE("timestamps format as gmtime does, within a second and across seconds", "[common]") {
  // The formatter keeps the texts of recent seconds per thread: runs of one second, both
  // forms interleaved, returns to seconds a few back, and jumps (negative times too) all
  // format as the C library says.
  std::mt19937_64 rng(29);
  int64_t t = 0;
  for (int i = 0; i < 20000; ++i) {
    switch (rng() % 5) {
      case 0: t = static_cast<int64_t>(rng() % 310000000000000000) - 60000000000000000; break;  // years 69 to 9892
      case 1: t += static_cast<int64_t>(rng() % 1000); break;  // same second, mostly
      case 2: t += 1000000; break;                               // the next second
      case 3: t -= 1000000 * static_cast<int64_t>(1 + rng() % 6); break;  // a few seconds back
      default: break;                                            // the same instant
    }
    int64_t seconds = t >= 0 ? t / 1000000 : (t - 999999) / 1000000;
    auto micros = static_cast<int>(t - seconds * 1000000);
    std::time_t time = static_cast<std::time_t>(seconds);
    std::tm tm{};
    REQUIRE(gmtime_r(&time, &tm) != nullptr);
    std::string date = fmt::format("{:04d}-{:02d}-{:02d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    std::string clock = fmt::format("{:02d}:{:02d}:{:02d}.{:06d}", tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    INFO(t);
    if (rng() % 2) {
      REQUIRE(FormatIso8601Micros(t) == date + "T" + clock + "Z");
    } else {
      REQUIRE(FormatClickHouseDateTime64(t) == date + " " + clock);
    }
  }
}

TEST_CASE("ISO 8601 parsing accepts what the SDKs send", "[common]") {
  CHECK(ParseIso8601Micros("2024-11-29T12:00:00Z") == 1732881600000000);
  CHECK(ParseIso8601Micros("2024-11-29T12:00:00.123Z") == 1732881600123000);
  CHECK(ParseIso8601Micros("2024-11-29T12:00:00.123456789Z") == 1732881600123456);
  CHECK(ParseIso8601Micros("2024-11-29T13:00:00+01:00") == 1732881600000000);
  CHECK(ParseIso8601Micros("2024-11-29T07:30:00-0430") == 1732881600000000);
  CHECK(ParseIso8601Micros("2024-11-29 12:00:00") == 1732881600000000);
  CHECK(ParseIso8601Micros("2024-11-29") == 1732838400000000);
  CHECK(ParseIso8601Micros("2024-02-29T00:00:00Z"));
}

TEST_CASE("ISO 8601 parsing rejects malformed and out-of-range input", "[common]") {
  for (const char* bad : {"", "2024", "2024-13-01", "2023-02-29", "2024-11-29T25:00:00Z",
                          "2024-11-29T12:00:00.Z", "2024-11-29T12:00:00Zjunk", "yesterday",
                          "2024-11-29T12", "2024-11-29T12:00:00+25:00"}) {
    INFO(bad);
    CHECK_FALSE(ParseIso8601Micros(bad));
  }
}
