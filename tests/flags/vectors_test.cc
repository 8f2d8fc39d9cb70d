// The compatibility vectors of tests/flags/vectors/cases.json: expected results computed by
// an independent Python implementation of PostHog's flags service (see its README), run
// through hedgerow's compiler and evaluator.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/flags/evaluator.h"

namespace hedgerow::flags {
namespace {

const rapidjson::Value* Field(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Document LoadCases() {
  std::ifstream in(HEDGEROW_FLAG_VECTORS);
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());  // sized: the SSE2 reader overreads NUL-terminated input
  REQUIRE(!doc.HasParseError());
  REQUIRE(doc.IsArray());
  return doc;
}

// The result, with the payload copied out of the definition (which Run() owns).
struct Outcome {
  FlagResult result;
  std::string payload = "<null>";
};

Outcome Run(const rapidjson::Value& c) {
  const rapidjson::Value& f = c["flag"];
  meta::FeatureFlagRow row{.id = f["id"].GetInt64(), .project_id = 1, .key = f["key"].GetString(), .name = "",
                           .filters = WriteJson(f["filters"]), .active = f["active"].GetBool()};
  row.ensure_experience_continuity = f["ensure_experience_continuity"].GetBool();
  Result<FlagDefinition> flag = CompileFlag(row);
  REQUIRE(flag.ok());

  std::unordered_map<int64_t, PropertyGroup> cohorts;
  for (const auto& m : c["cohorts"].GetObject()) {
    Result<PropertyGroup> group = CompileCohort(WriteJson(m.value));
    REQUIRE(group.ok());
    cohorts.emplace(std::stoll(m.name.GetString()), std::move(*group));
  }
  const rapidjson::Value& request = c["request"];
  EvaluationInput input;
  input.distinct_id = request["distinct_id"].GetString();
  input.cohorts = &cohorts;
  input.now_us = *ParseIso8601Micros(c["now"].GetString());

  rapidjson::Document base;
  base.SetObject();
  base.AddMember("distinct_id", rapidjson::StringRef(input.distinct_id.data(), input.distinct_id.size()),
                 base.GetAllocator());
  input.person = PropertySource(Field(request, "person_properties"), nullptr, &base, true);

  const rapidjson::Value* groups = Field(request, "groups");
  const rapidjson::Value* group_properties = Field(request, "group_properties");
  for (const auto& m : c["group_type_mapping"].GetObject()) {
    int index = std::stoi(m.name.GetString());
    const rapidjson::Value* key = groups == nullptr ? nullptr : Field(*groups, m.value.GetString());
    GroupInput& g = input.groups[index];
    if (key != nullptr && ((key->IsString() && key->GetStringLength() > 0) || key->IsNumber())) {
      g.present = true;
      g.key = key->IsString() ? key->GetString() : WriteJson(*key);
    }
    const rapidjson::Value* props = group_properties == nullptr ? nullptr : Field(*group_properties, m.value.GetString());
    g.properties = PropertySource(props, nullptr);
  }
  std::unordered_map<std::string, std::string> hash_keys;
  if (const rapidjson::Value* anon = Field(request, "$anon_distinct_id")) hash_keys[row.key] = anon->GetString();
  input.hash_key_overrides = &hash_keys;

  std::vector<FlagDefinition> flags{std::move(*flag)};
  Outcome out{EvaluateFlags(flags, input)[0]};
  if (out.result.payload != nullptr) out.payload = *out.result.payload;
  out.result.payload = out.result.payload_json = nullptr;
  return out;
}

}  // namespace

TEST_CASE("flags: every compatibility vector gets PostHog's answer", "[flags][vectors]") {
  rapidjson::Document cases = LoadCases();
  REQUIRE(cases.Size() >= 50);
  for (const rapidjson::Value& c : cases.GetArray()) {
    INFO(c["name"].GetString());
    const rapidjson::Value& want = c["expected"];
    Outcome outcome = Run(c);
    const FlagResult& got = outcome.result;
    CHECK(got.enabled == want["enabled"].GetBool());
    CHECK(got.variant.value_or("<null>") == (want["variant"].IsNull() ? "<null>" : want["variant"].GetString()));
    CHECK(std::string(ReasonCode(got.reason)) == want["reason"].GetString());
    CHECK(got.condition_index.value_or(-1) == (want["condition_index"].IsNull() ? -1 : want["condition_index"].GetInt()));
    CHECK(outcome.payload == (want["payload"].IsNull() ? "<null>" : want["payload"].GetString()));
    CHECK(got.failed == want["failed"].GetBool());
  }
}

}  // namespace hedgerow::flags
