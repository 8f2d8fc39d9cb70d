// The geoip app (PostHog's GeoIP plugin) on the pinned GeoLite2 City database, against
// vectors/geoip.json: known addresses' fields as libmaxminddb's mmdblookup reads them
// (vectors/make_geoip.py).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "hedgerow/ingest/geoip.h"
#include "ingest/processor_harness.h"

using namespace hedgerow;
using namespace hedgerow::ingest;
using namespace hedgerow::ingest::testing;

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

// A harness whose geoip app reads the pinned database.
struct GeoHarness : Harness {
  GeoHarness() {
    static auto database = std::make_shared<GeoIpDatabase>(HEDGEROW_GEOIP_DATABASE);
    REQUIRE(database->Loaded());
    resources.geoip = database;
    AddApp("geoip", "{}");
  }
};

// The event's properties and its person's after one event per message.
rapidjson::Document EventProperties(const std::vector<Row>& rows, size_t i = 0) {
  auto events = Of(rows, "clickhouse_events_json");
  REQUIRE(events.size() > i);
  return events[i]->Json("properties");
}

size_t GeoipKeys(const rapidjson::Value& props) {
  size_t n = 0;
  for (const auto& m : props.GetObject()) {
    std::string_view key = m.name.GetString();
    n += key.rfind("$geoip_", 0) == 0 && key != "$geoip_disable";
  }
  return n;
}

// Waits (up to 10 s) for `done`, re-checking as the database's recheck interval passes.
template <typename F>
bool Eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

TEST_CASE("geoip: known addresses get the database's fields as $geoip_* properties", "[ingest]") {
  rapidjson::Document cases;
  std::string text = ReadText(std::string(HEDGEROW_INGEST_VECTORS) + "/geoip.json");
  cases.Parse(text.data(), text.size());
  REQUIRE(cases.IsArray());
  GeoHarness h;
  for (const auto& c : cases.GetArray()) {
    std::string ip = c["ip"].GetString();
    INFO(ip);
    auto props = EventProperties(h.Run({{R"({"event":"x","properties":{"$ip":")" + ip + R"("}})", "u", kNow, "", ""}}));
    const rapidjson::Value& expected = c["properties"];
    CHECK(GeoipKeys(props) == expected.MemberCount());
    for (const auto& m : expected.GetObject()) {
      INFO(m.name.GetString());
      REQUIRE(props.HasMember(m.name));
      CHECK(props[m.name] == m.value);
    }
  }
}

TEST_CASE("geoip: person properties get $geoip_* by $set and $initial_geoip_* by $set_once", "[ingest]") {
  GeoHarness h;
  // The event's own $set beats the app's nulls but not the location.
  h.Run({{R"({"event":"x","properties":{"$ip":"128.101.101.101","$set":{"$geoip_city_confidence":5,"$geoip_postal_code":"mine","plan":"pro"}}})",
          "u", kNow, "", ""}});
  rapidjson::Document person;
  std::string stored = h.Person("u")->properties;
  person.Parse(stored.data(), stored.size());
  CHECK(std::string(person["$geoip_city_name"].GetString()) == "Minneapolis");
  CHECK(std::string(person["$initial_geoip_city_name"].GetString()) == "Minneapolis");
  CHECK(std::string(person["$geoip_postal_code"].GetString()) == "55455");
  CHECK(person["$geoip_city_confidence"].GetInt() == 5);
  CHECK(person["$initial_geoip_city_confidence"].IsNull());
  CHECK(std::string(person["plan"].GetString()) == "pro");
  CHECK(person["$geoip_latitude"].GetDouble() == 44.9696);
  // Moving to an address the database knows only the country of clears the stale city (the
  // app's nulls), while the initial values stay.
  h.Run({{R"({"event":"x","properties":{"$ip":"8.8.8.8"}})", "u", kNow, "", ""}});
  stored = h.Person("u")->properties;
  person.Parse(stored.data(), stored.size());
  CHECK(person["$geoip_city_name"].IsNull());
  CHECK(person["$geoip_subdivision_1_code"].IsNull());
  CHECK(std::string(person["$geoip_country_code"].GetString()) == "US");
  CHECK(std::string(person["$initial_geoip_city_name"].GetString()) == "Minneapolis");
}

TEST_CASE("geoip: the capture address serves when the event has no $ip, unless the project anonymizes IPs",
          "[ingest]") {
  GeoHarness h;
  auto props = EventProperties(h.Run({{R"({"event":"x"})", "u", kNow, "", "81.2.69.142"}}));
  CHECK(std::string(props["$geoip_country_code"].GetString()) == "GB");
  CHECK(std::string(props["$ip"].GetString()) == "81.2.69.142");
  h.anonymize = true;
  props = EventProperties(h.Run({{R"({"event":"x"})", "u", kNow, "", "81.2.69.142"}}));
  CHECK(GeoipKeys(props) == 0);
  CHECK_FALSE(props.HasMember("$ip"));
}

TEST_CASE("geoip: $geoip_disable, private and unknown addresses and garbage leave the event alone", "[ingest]") {
  GeoHarness h;
  for (std::string data : {R"({"event":"x","properties":{"$ip":"128.101.101.101","$geoip_disable":true}})",
                           R"({"event":"x","properties":{"$ip":"128.101.101.101","$geoip_disable":"yes"}})",
                           R"({"event":"x","properties":{"$ip":"127.0.0.1"}})",
                           R"({"event":"x","properties":{"$ip":"10.1.2.3"}})",
                           R"({"event":"x","properties":{"$ip":"::1"}})",
                           R"({"event":"x","properties":{"$ip":"128.101.101.101:443"}})",
                           R"({"event":"x","properties":{"$ip":"not an address"}})",
                           R"({"event":"x","properties":{"$ip":"128.101.101.101.5"}})",
                           R"({"event":"x","properties":{"$ip":""}})", R"({"event":"x","properties":{"$ip":17}})",
                           R"({"event":"x"})"}) {
    INFO(data);
    auto rows = h.Run({{data, "u", kNow, "", ""}});
    auto props = EventProperties(rows);
    CHECK(GeoipKeys(props) == 0);
    CHECK_FALSE(props.HasMember("$set"));
  }
  // $geoip_disable false is no opt-out.
  auto props = EventProperties(
      h.Run({{R"({"event":"x","properties":{"$ip":"128.101.101.101","$geoip_disable":false}})", "u", kNow, "", ""}}));
  CHECK(props.HasMember("$geoip_city_name"));
}

TEST_CASE("geoip: a database that appears, is damaged in place or replaced is picked up or survived", "[ingest]") {
  TempDir dir;
  std::filesystem::path path = dir.path() / "City.mmdb";
  GeoIpDatabase database(path.string(), std::chrono::milliseconds(1));
  CHECK_FALSE(database.Loaded());
  CHECK(database.Lookup("128.101.101.101") == nullptr);
  // Appears (copied aside and renamed in, as geoipupdate does).
  std::filesystem::copy_file(HEDGEROW_GEOIP_DATABASE, dir.path() / "next.mmdb");
  std::filesystem::rename(dir.path() / "next.mmdb", path);
  REQUIRE(Eventually([&] { return database.Loaded(); }));
  CHECK(database.Lookup("128.101.101.101")->city_name == "Minneapolis");
  CHECK(database.loads() == 1);
  // Truncated and overwritten in place: the server's copy is its own, so lookups go on, and
  // the garbage is refused (the old contents stay).
  WriteText(path, "not a database");
  for (int i = 0; i < 50; ++i) CHECK(database.Lookup("128.101.101.101")->city_name == "Minneapolis");
  CHECK(database.loads() == 1);
  // A new file renamed over it is loaded.
  std::filesystem::copy_file(HEDGEROW_GEOIP_DATABASE, dir.path() / "next.mmdb");
  std::filesystem::rename(dir.path() / "next.mmdb", path);
  REQUIRE(Eventually([&] { return database.Lookup("1.2.3.4"), database.loads() == 2; }));
  CHECK(database.Lookup("81.2.69.142")->country_code == "GB");
  // Removed: what was loaded stays.
  std::filesystem::remove(path);
  CHECK(database.Lookup("81.2.69.142")->country_code == "GB");
}

TEST_CASE("geoip: random, truncated and bit-flipped databases and random addresses never crash", "[ingest][fuzz]") {
  TempDir dir;
  std::mt19937 rng(5);
  std::string real = ReadText(HEDGEROW_GEOIP_DATABASE);
  auto random_address = [&]() -> std::string {
    switch (rng() % 3) {
      case 0: return fmt::format("{}.{}.{}.{}", rng() % 256, rng() % 256, rng() % 256, rng() % 256);
      case 1: return fmt::format("{:x}:{:x}::{:x}", rng() % 65536, rng() % 65536, rng() % 65536);
      default: {
        std::string junk(rng() % 60, '\0');
        for (char& c : junk) c = static_cast<char>(rng() % 256);
        return junk;
      }
    }
  };
  std::vector<std::string> files;
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng() % 256);
  files.push_back(noise);
  files.push_back(real.substr(0, real.size() / 2));                      // no metadata
  files.push_back(real.substr(real.size() - (1 << 20)));                 // metadata, tree pointing outside
  for (int i = 0; i < 3; ++i) {                                          // bits flipped in the tree and data
    std::string flipped = real;
    for (int f = 0; f < 2000; ++f) flipped[rng() % (flipped.size() - 4096)] ^= static_cast<char>(1 << (rng() % 8));
    files.push_back(std::move(flipped));
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::filesystem::path path = dir.path() / fmt::format("db{}.mmdb", i);
    WriteText(path, files[i]);
    GeoIpDatabase database(path.string());
    for (int n = 0; n < 2000; ++n) (void)database.Lookup(random_address());
  }
  GeoIpDatabase good(HEDGEROW_GEOIP_DATABASE);
  for (int n = 0; n < 2000; ++n) (void)good.Lookup(random_address());
  CHECK(good.Lookup("128.101.101.101")->country_code == "US");
}
