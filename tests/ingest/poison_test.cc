// Records no capture would write, straight into events_plugin_ingestion: each becomes rows
// or one dead_letter_queue row, and the good event after it is still processed.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <chrono>
#include <random>

#include "hedgerow/common/json.h"
#include "ingest/pipeline_env.h"

using namespace hedgerow;
using hedgerow::testing::PipelineEnv;
using hedgerow::ingest::Pipeline;

namespace {

// A message as capture writes it, around `data` (the event's JSON, escaped here).
std::string Message(const std::string& data, const std::string& distinct_id = "u",
                    const std::string& token = "phc_test") {
  std::string out = R"({"uuid":")" + Uuid::V7().ToString() + R"(","distinct_id":)";
  AppendJsonString(out, distinct_id);
  out += R"(,"ip":null,"site_url":"","now":"2024-01-01T00:00:00Z","sent_at":"","token":)";
  AppendJsonString(out, token);
  out += R"(,"data":)";
  AppendJsonString(out, data);
  return out + "}";
}

std::string Nested(size_t depth, const std::string& open, const std::string& close) {
  std::string out;
  out.reserve(depth * (open.size() + close.size()) + 1);
  for (size_t i = 0; i < depth; ++i) out += open;
  out += "1";
  for (size_t i = 0; i < depth; ++i) out += close;
  return out;
}

// Runs the pipeline until it has consumed every input record.
void Drain(PipelineEnv& env, Pipeline& pipeline) {
  auto end = env.log->Partitions("events_plugin_ingestion");
  REQUIRE(end.ok());
  const uint64_t last = (*end)[0].end;
  for (int i = 0; i < 10000; ++i) {
    if (env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value_or(0) >= last) return;
    auto n = pipeline.RunOnce(0, std::chrono::milliseconds(0));
    REQUIRE(n.ok());
  }
  FAIL("the pipeline did not consume its input");
}

struct DeadLetter {
  std::string stage, error, raw;
};

std::vector<DeadLetter> DeadLetters(PipelineEnv& env) {
  std::vector<DeadLetter> out;
  for (const std::string& v : env.Values("dead_letter_queue")) {
    rapidjson::Document d;
    d.Parse(v.data(), v.size());
    REQUIRE(d.IsObject());
    out.push_back({d["error_location"].GetString(), d["error"].GetString(),
                   std::string(d["raw_payload"].GetString(), d["raw_payload"].GetStringLength())});
  }
  return out;
}

}  // namespace

TEST_CASE("ingest: every adversarial record lands in the dead letter queue, and the next good event is processed",
          "[ingest][poison]") {
  const std::string ten_mb(10 << 20, 'x');
  struct Case {
    std::string name, raw, error;
  };
  std::vector<Case> cases = {
      {"100k nested objects in data", Message(R"({"event":"x","properties":{"a":)" + Nested(100000, R"({"b":)", "}") + "}}"),
       "data nests deeper than 128 levels"},
      {"100k nested arrays in data", Message(R"({"event":"x","properties":{"a":)" + Nested(100000, "[", "]") + "}}"),
       "data nests deeper than 128 levels"},
      {"100k nested arrays as the message", Nested(100000, "[", "]"), "message nests deeper than 128 levels"},
      {"a nested message field", R"({"token":"phc_test","data":)" + Nested(100000, R"({"a":)", "}") + "}",
       "message nests deeper than 128 levels"},
      {"invalid UTF-8 in data", Message("{\"event\":\"x\",\"properties\":{\"a\":\"\xff\xfe\"}}"), "message is not valid UTF-8"},
      {"a surrogate in UTF-8", Message("{\"event\":\"\xed\xa0\x80\"}"), "message is not valid UTF-8"},
      {"a 10 MB string", Message(R"({"event":"x","properties":{"a":")" + ten_mb + R"("}})"),
       "message is larger than 1048576 bytes"},
      {"truncated message", Message(R"({"event":"x"})").substr(0, 60), "message is not a JSON object"},
      {"truncated data", Message(R"({"event":"x","properties":{"a":[1,2)"), "data is not an event object with a name"},
      {"empty message", "", "message is not a JSON object"},
      {"token is a number", R"({"token":1,"uuid":"u","distinct_id":"u","data":"{}"})", "message field \"token\" is not a string"},
      {"uuid is an object", R"({"token":"phc_test","uuid":{},"distinct_id":"u","data":"{}"})",
       "message field \"uuid\" is not a string"},
      {"distinct_id is an array", R"({"token":"phc_test","uuid":"u","distinct_id":[1],"data":"{}"})",
       "message field \"distinct_id\" is not a string"},
      {"data is an object", R"({"token":"phc_test","uuid":"u","distinct_id":"u","data":{"event":"x"}})",
       "message field \"data\" is not a string"},
      {"now is a number", R"({"token":"phc_test","uuid":"u","distinct_id":"u","now":1e300,"data":"{}"})",
       "message field \"now\" is not a string"},
      {"event name is a number", Message(R"({"event":5})"), "data is not an event object with a name"},
      {"data is an array", Message(R"([{"event":"x"}])"), "data is not an event object with a name"},
      {"unknown token", Message(R"({"event":"x"})", "u", "phc_gone"), "token does not resolve to a project"},
      {"no uuid", R"({"token":"phc_test","distinct_id":"u","data":"{\"event\":\"x\"}"})", "message has no valid uuid"},
  };
  PipelineEnv env;
  for (const Case& c : cases) {
    env.AppendRaw(c.raw);
    env.AppendRaw(Message(R"({"event":"good","properties":{"case":)" + std::to_string(&c - cases.data()) + "}}"));
  }
  auto pipeline = env.MakePipeline();
  Drain(env, *pipeline);
  std::vector<DeadLetter> dead = DeadLetters(env);
  REQUIRE(dead.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].name);
    CHECK(dead[i].error == cases[i].error);
    CHECK(dead[i].stage.rfind("ingest:", 0) == 0);
    CHECK(dead[i].raw == cases[i].raw);
  }
  // Every good event made its row, in order.
  std::vector<std::string> events = env.Values("clickhouse_events_json");
  REQUIRE(events.size() == cases.size());
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].find(fmt::format(R"(\"case\":{})", i)) != std::string::npos);
  }
  CHECK(env.metrics.RenderPrometheus().find(
            fmt::format("hedgerow_ingest_dead_letters_total{{topic=\"events_plugin_ingestion\"}} {}", cases.size())) !=
        std::string::npos);
}

TEST_CASE("ingest: 128 levels of nesting are processed, 129 dead-lettered", "[ingest][poison]") {
  PipelineEnv env;
  // The event object is level 1, properties level 2: 126 more inside reach 128.
  env.AppendRaw(Message(R"({"event":"x","properties":{"a":)" + Nested(126, "[", "]") + "}}"));
  env.AppendRaw(Message(R"({"event":"x","properties":{"a":)" + Nested(127, "[", "]") + "}}"));
  auto pipeline = env.MakePipeline();
  Drain(env, *pipeline);
  CHECK(env.Count("clickhouse_events_json") == 1);
  REQUIRE(DeadLetters(env).size() == 1);
}

// A fuzz test of the whole consume loop, bounded in count: random bytes, mutated and
// truncated messages, deep nestings. Every record is consumed, none crashes the pipeline
// (this binary also runs under ASan and UBSan), and a good event at the end gets through.
TEST_CASE("ingest: random and mutated records never stop the pipeline", "[ingest][poison][fuzz]") {
  std::mt19937 rng(Catch::rngSeed());
  const std::string good = Message(R"({"event":"e","properties":{"$set":{"a":1},"$groups":{"org":"x"},"list":[1,"two",{"3":null}]},"timestamp":"2024-01-01T00:00:00Z"})");
  const std::string alphabet = "{}[]\":,\\x0 \xff\xc3\xa9tfn-.e";
  PipelineEnv env;
  constexpr int kRecords = 1500;
  for (int i = 0; i < kRecords; ++i) {
    std::string m;
    switch (rng() % 5) {
      case 0:  // random bytes
        m.resize(rng() % 200);
        for (char& c : m) c = static_cast<char>(rng());
        break;
      case 1:  // a good message with a few bytes changed
        m = good;
        for (int k = 0, n = 1 + rng() % 4; k < n; ++k) m[rng() % m.size()] = alphabet[rng() % alphabet.size()];
        break;
      case 2:  // truncated
        m = good.substr(0, rng() % good.size());
        break;
      case 3:  // deep nesting somewhere in the data
        m = Message(R"({"event":"x","properties":{"a":)" + Nested(100 + rng() % 2000, rng() % 2 ? "[" : R"({"k":)",
                                                                  "") + "}}");
        break;
      default:  // good, with a random distinct id
        m = Message(R"({"event":"e"})", std::to_string(rng() % 50));
        break;
    }
    env.AppendRaw(std::move(m), std::to_string(i));
  }
  env.AppendRaw(Message(R"({"event":"last good"})"));
  auto pipeline = env.MakePipeline();
  Drain(env, *pipeline);
  std::vector<std::string> events = env.Values("clickhouse_events_json");
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().find(R"("event":"last good")") != std::string::npos);
  // Each record became an events row, a warning, or a dead letter: nothing vanished silently
  // but what PostHog drops on purpose (apps; none here).
  size_t dead = env.Count("dead_letter_queue");
  size_t warnings = env.Count("clickhouse_ingestion_warnings");
  CHECK(events.size() + dead + warnings >= kRecords + 1);
}
