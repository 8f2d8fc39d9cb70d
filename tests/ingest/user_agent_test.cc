// The user_agent app: uap-core's regexes, mapped onto the names and versions posthog-js
// reports, against vectors/user_agents.json (posthog-js's own answers for 44 real user
// agents, written by vectors/make_user_agents.mjs).
#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>

#include "hedgerow/ingest/user_agent.h"
#include "ingest/processor_harness.h"

using namespace hedgerow;
using namespace hedgerow::ingest;
using namespace hedgerow::ingest::testing;

namespace {

rapidjson::Document ReadJson(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document d;
  std::string json = text.str();
  d.Parse(json.data(), json.size());  // with the length: rapidjson's SSE2 scan stays inside it
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string Text(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

TEST_CASE("user agents: every uap-core regex built into the binary compiles with RE2", "[ingest]") {
  const UserAgentParser& parser = UserAgentParser::Builtin();
  CHECK(parser.regex_count() > 1000);
  CHECK(parser.skipped_regexes() == 0);
  UapResult r = parser.ParseUap(
      "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
      "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36");
  CHECK(r.family == "Samsung Internet");
  CHECK(r.major == "23");
  CHECK(r.minor == "0");
  CHECK(r.os_family == "Android");
  CHECK(r.os_major == "13");
  CHECK(r.device_family == "Samsung SM-S911B");
  CHECK(r.device_brand == "Samsung");
  CHECK(r.device_model == "SM-S911B");
}

TEST_CASE("user agents: 44 real user agents give what posthog-js reports", "[ingest]") {
  rapidjson::Document cases = ReadJson(std::string(HEDGEROW_INGEST_VECTORS) + "/user_agents.json");
  REQUIRE(cases.Size() >= 30);
  const UserAgentParser& parser = UserAgentParser::Builtin();
  for (const auto& c : cases.GetArray()) {
    std::string ua = c["ua"].GetString();
    // posthog-js's answer, with the fields a server cannot match overridden (each says why).
    rapidjson::Document expected;
    expected.CopyFrom(c["posthog_js"], expected.GetAllocator());
    if (auto it = c.FindMember("expected"); it != c.MemberEnd()) {
      REQUIRE(c.HasMember("why"));
      for (const auto& m : it->value.GetObject()) {
        expected[m.name.GetString()].CopyFrom(m.value, expected.GetAllocator());
      }
    }
    UserAgentProperties got = parser.Parse(ua);
    INFO(ua);
    CHECK(got.browser == Text(expected, "$browser"));
    const rapidjson::Value& version = expected["$browser_version"];
    if (version.IsNull()) {
      CHECK_FALSE(got.browser_version.has_value());
    } else {
      REQUIRE(got.browser_version.has_value());
      CHECK(*got.browser_version == version.GetDouble());
    }
    CHECK(got.os == Text(expected, "$os"));
    CHECK(got.os_version == Text(expected, "$os_version"));
    CHECK(got.device_type == Text(expected, "$device_type"));
  }
}

TEST_CASE("user agents: the app fills each property the event lacks and keeps the rest", "[ingest]") {
  Harness h;
  h.AddApp("user_agent", "{}");
  const std::string iphone =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.1.2 Mobile/15E148 Safari/604.1";
  auto rows = h.Run({{R"({"event":"x","properties":{"$raw_user_agent":")" + iphone + R"("}})", "u"},
                     {R"({"event":"x","properties":{"$browser":"Kept","$os_version":"9","$useragent":")" + iphone +
                          R"("}})",
                      "u"},
                     {R"({"event":"x","properties":{"$raw_user_agent":17}})", "u"},
                     {R"({"event":"x","properties":{}})", "u"}});
  auto e = Of(rows, "clickhouse_events_json");
  REQUIRE(e.size() == 4);
  auto p0 = e[0]->Json("properties");
  CHECK(std::string(p0["$browser"].GetString()) == "Mobile Safari");
  CHECK(p0["$browser_version"].GetDouble() == 17.1);
  CHECK(std::string(p0["$os"].GetString()) == "iOS");
  CHECK(std::string(p0["$os_version"].GetString()) == "17.1.2");
  CHECK(std::string(p0["$device_type"].GetString()) == "Mobile");
  auto p1 = e[1]->Json("properties");
  CHECK(std::string(p1["$browser"].GetString()) == "Kept");
  CHECK(p1["$browser_version"].GetDouble() == 17.1);
  CHECK(std::string(p1["$os_version"].GetString()) == "9");
  CHECK(std::string(p1["$device_type"].GetString()) == "Mobile");
  for (int i : {2, 3}) {
    auto p = e[i]->Json("properties");
    CHECK_FALSE(p.HasMember("$browser"));
    CHECK_FALSE(p.HasMember("$device_type"));
  }
}

TEST_CASE("user agents: random, truncated and huge user agents never crash and stay bounded", "[ingest][fuzz]") {
  const UserAgentParser& parser = UserAgentParser::Builtin();
  rapidjson::Document cases = ReadJson(std::string(HEDGEROW_INGEST_VECTORS) + "/user_agents.json");
  std::mt19937 rng(11);
  for (const auto& c : cases.GetArray()) {
    std::string ua = c["ua"].GetString();
    for (size_t cut = 0; cut < ua.size(); cut += 7) (void)parser.Parse(ua.substr(0, cut));
  }
  for (int i = 0; i < 300; ++i) {
    std::string junk(rng() % 300, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng() % 256);
    UserAgentProperties p = parser.Parse(junk);
    CHECK(!p.device_type.empty());  // every agent gets a device type, Desktop at worst
  }
  // A megabyte of one agent repeated: cut to kMaxUserAgentBytes before any regex sees it.
  std::string huge;
  while (huge.size() < (1 << 20)) huge += "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) ";
  CHECK(parser.Parse(huge).os == "iOS");
}

TEST_CASE("user agents: a regexes.yaml that is not one is refused; a regex RE2 rejects is skipped", "[ingest]") {
  CHECK(UserAgentParser::FromYaml("").status().code() == StatusCode::kInvalidArgument);
  CHECK(UserAgentParser::FromYaml("user_agent_parsers: [").status().code() == StatusCode::kInvalidArgument);
  CHECK(UserAgentParser::FromYaml("user_agent_parsers: []\nos_parsers: []\n").status().message() ==
        "user agents: no \"device_parsers\" list");
  auto parser = UserAgentParser::FromYaml(
      "user_agent_parsers:\n"
      "  - regex: '(Foo)/(\\d+)\\.(\\d+)'\n"
      "  - regex: '(?<=lookbehind)x'\n"
      "os_parsers:\n"
      "  - regex: 'Bar ([\\d]+)'\n"
      "    os_replacement: 'Bar OS'\n"
      "    os_v1_replacement: 'v$1'\n"
      "device_parsers:\n"
      "  - regex: 'dev(ice)?'\n"
      "    regex_flag: 'i'\n"
      "    device_replacement: 'Thing $1'\n"
      "    brand_replacement: 'Acme'\n");
  REQUIRE(parser.ok());
  CHECK((*parser)->regex_count() == 3);
  CHECK((*parser)->skipped_regexes() == 1);
  UapResult r = (*parser)->ParseUap("Foo/3.4 Bar 7 DEVICE");
  CHECK(r.family == "Foo");
  CHECK(r.major == "3");
  CHECK(r.minor == "4");
  CHECK(r.os_family == "Bar OS");
  CHECK(r.os_major == "v7");
  CHECK(r.device_family == "Thing ICE");
  CHECK(r.device_brand == "Acme");
  CHECK(r.device_model == "ICE");
  UapResult none = (*parser)->ParseUap("nothing here");
  CHECK(none.family == "Other");
  CHECK(none.os_family == "Other");
  CHECK(none.device_family == "Other");
}
