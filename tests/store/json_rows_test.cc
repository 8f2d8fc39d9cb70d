#include "hedgerow/store/json_rows.h"

#include <catch2/catch.hpp>

#include <random>

#include "hedgerow/common/uuid.h"

namespace hedgerow::store {
namespace {

const TableSchema& Events() { return *FindPostHogTable("events"); }

std::string EventRow() {
  return R"({"uuid":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","event":"$pageview","properties":"{\"$current_url\":\"https://x\"}",)"
         R"("timestamp":"2026-11-29 12:34:56.789012","team_id":1,"distinct_id":"user-1","elements_chain":"",)"
         R"("created_at":"2026-11-29 12:35:00.000001","person_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",)"
         R"("person_properties":"{}","person_created_at":"1970-01-01 00:00:00.000000","person_mode":"full",)"
         R"("$group_0":"acme","$group_1":"","$group_2":"","$group_3":"","$group_4":"","unknown":[1,2]})";
}

TEST_CASE("an events row from the topic decodes into typed columns, with the Kafka virtual columns", "[store]") {
  JsonRowDecoder decoder(Events());
  std::string row = EventRow();
  REQUIRE(decoder.Add(row, 1764419700123, 42).ok());
  Block b = decoder.Take();
  REQUIRE(b.rows() == 1);
  auto col = [&b](const char* name) -> const Column& { return b.columns[b.Find(name)]; };
  CHECK(col("event").StringAt(0) == "$pageview");
  CHECK(col("properties").StringAt(0) == R"({"$current_url":"https://x"})");
  CHECK(col("timestamp").Get<int64_t>(0) == 1795955696789012);
  CHECK(col("team_id").Get<int64_t>(0) == 1);
  CHECK(col("person_created_at").Get<int64_t>(0) == 0);
  CHECK(col("$group_0").StringAt(0) == "acme");
  Uuid uuid{};
  std::memcpy(uuid.bytes.data(), col("uuid").FixedAt(0), 16);
  CHECK(uuid.ToString() == "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  CHECK(col("_timestamp").Get<uint32_t>(0) == 1764419700);
  CHECK(col("_offset").Get<uint64_t>(0) == 42);
  CHECK(decoder.rows() == 0);
}

TEST_CASE("absent columns take defaults; numbers may come as strings; bad values name the column", "[store]") {
  JsonRowDecoder decoder(*FindPostHogTable("person"));
  std::string ok = R"({"id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","team_id":"7","version":3,"is_identified":true})";
  REQUIRE(decoder.Add(ok, 0, 0).ok());
  std::string bad_uuid = R"({"id":"nope","team_id":1})";
  Status s = decoder.Add(bad_uuid, 0, 0);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("id") != std::string::npos);
  std::string bad_time = R"({"created_at":"2026-13-01 00:00:00"})";
  CHECK(decoder.Add(bad_time, 0, 0).message().find("created_at") != std::string::npos);
  Block b = decoder.Take();
  REQUIRE(b.rows() == 1);  // the bad rows left nothing behind
  CHECK(b.columns[b.Find("team_id")].Get<int64_t>(0) == 7);
  CHECK(b.columns[b.Find("is_identified")].Get<uint8_t>(0) == 1);
  CHECK(b.columns[b.Find("properties")].StringAt(0).empty());
  for (const Column& c : b.columns) CHECK(c.size() == 1);
}

TEST_CASE("ClickHouse DateTime text parses to microseconds", "[store]") {
  int64_t v = 0;
  CHECK(ParseClickHouseDateTime("1970-01-01 00:00:00", v));
  CHECK(v == 0);
  CHECK(ParseClickHouseDateTime("2026-11-29 12:34:56.5", v));
  CHECK(v == 1795955696500000);
  CHECK(ParseClickHouseDateTime("2024-02-29T23:59:59.999999Z", v));
  CHECK(v == 1709251199999999);
  for (const char* bad : {"", "2026-11-29", "2026-11-29 24:00:00", "2026/11/29 00:00:00", "2026-11-29 00:00:00+01"}) {
    CHECK_FALSE(ParseClickHouseDateTime(bad, v));
  }
}

TEST_CASE("random and truncated rows never crash the decoder and never unbalance the block", "[store][fuzz]") {
  std::mt19937_64 rng(1234);
  JsonRowDecoder decoder(Events());
  const std::string good = EventRow();
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    switch (i % 3) {
      case 0: input = good.substr(0, rng() % (good.size() + 1)); break;
      case 1:
        input = good;
        for (int k = 0; k < 3; ++k) input[rng() % input.size()] = static_cast<char>(rng() % 256);
        break;
      default:
        input.resize(rng() % 64);
        for (char& c : input) c = static_cast<char>(rng() % 256);
    }
    if (decoder.Add(input, 0, static_cast<uint64_t>(i)).ok()) ++accepted;
  }
  Block b = decoder.Take();
  CHECK(b.rows() == accepted);
  for (const Column& c : b.columns) CHECK(c.size() == accepted);
}

}  // namespace
}  // namespace hedgerow::store
