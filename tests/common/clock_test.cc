#include "hedgerow/common/clock.h"

#include <catch2/catch.hpp>

using namespace hedgerow;

TEST_CASE("timestamps format as ISO 8601 and ClickHouse DateTime64(6)", "[common]") {
  int64_t t = 1732881600123456;  // 2024-11-29T12:00:00.123456Z
  CHECK(FormatIso8601Micros(t) == "2024-11-29T12:00:00.123456Z");
  CHECK(FormatClickHouseDateTime64(t) == "2024-11-29 12:00:00.123456");
  CHECK(FormatIso8601Micros(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(FormatIso8601Micros(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(FormatClickHouseDateTime64(951782400000000) == "2000-02-29 00:00:00.000000");
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
