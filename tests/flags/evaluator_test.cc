#include "hedgerow/flags/evaluator.h"

#include <catch2/catch.hpp>

#include <random>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"

namespace hedgerow::flags {
namespace {

FlagDefinition Compile(std::string_view key, std::string filters, bool active = true) {
  meta::FeatureFlagRow row{.id = 7, .project_id = 1, .key = std::string(key), .filters = std::move(filters),
                           .active = active};
  Result<FlagDefinition> flag = CompileFlag(row);
  REQUIRE(flag.ok());
  return std::move(*flag);
}

FlagResult EvaluateOne(FlagDefinition flag, std::string_view distinct_id, const rapidjson::Value* person = nullptr) {
  EvaluationInput input;
  input.distinct_id = distinct_id;
  input.person = PropertySource(person, nullptr);
  input.now_us = *ParseIso8601Micros("2026-12-06T12:00:00Z");
  std::vector<FlagDefinition> flags;
  flags.push_back(std::move(flag));
  return EvaluateFlags(flags, input)[0];
}

}  // namespace

TEST_CASE("flags: the hash is SHA-1's first 15 hex digits over 2^60-1 (client-api.md 4.7)", "[flags]") {
  struct Row {
    const char* key;
    const char* id;
    const char* salt;
    double h;
  };
  const Row rows[] = {
      {"beta-feature", "user_1", "", 0.4371373249982256},
      {"beta-feature", "user_1", "variant", 0.4050468919707169},
      {"checkout-test", "distinct_id_42", "", 0.9083398116978099},
      {"checkout-test", "distinct_id_42", "variant", 0.6638088259027896},
      {"group-flag", "acme-inc", "", 0.4429764195865406},
      {"multivariate-flag", "test_id", "", 0.9342404200442028},
      {"multivariate-flag", "test_id", "variant", 0.5914075303197696},
      {"simple-flag", "some-distinct-id", "", 0.477755795905271},
  };
  for (const Row& r : rows) {
    INFO(r.key << "." << r.id << r.salt);
    CHECK(FlagHash(r.key, r.id, r.salt) == Approx(r.h).epsilon(1e-15));
  }
  CHECK(FlagHash("any", "") == 0);  // no identifier: bucket 0, as PostHog's flags service
}

TEST_CASE("flags: rollout, variants and overrides follow the worked examples", "[flags]") {
  FlagResult r = EvaluateOne(Compile("beta-feature", R"({"groups":[{"properties":[],"rollout_percentage":50}]})"), "user_1");
  CHECK(r.enabled);
  CHECK(ReasonCode(r.reason) == "condition_match");
  r = EvaluateOne(Compile("beta-feature", R"({"groups":[{"properties":[],"rollout_percentage":40}]})"), "user_1");
  CHECK(!r.enabled);
  CHECK(ReasonCode(r.reason) == "out_of_rollout_bound");
  CHECK(r.condition_index == 0);

  const char* variants = R"("multivariate":{"variants":[{"key":"control","rollout_percentage":50},{"key":"test","rollout_percentage":50}]})";
  r = EvaluateOne(Compile("checkout-test", fmt::format(R"({{"groups":[{{"rollout_percentage":100}}],{}}})", variants)),
                  "distinct_id_42");
  CHECK(r.variant == "test");
  r = EvaluateOne(Compile("checkout-test", fmt::format(R"({{"groups":[{{"rollout_percentage":100,"variant":"control"}}],{}}})",
                                                       variants)),
                  "distinct_id_42");
  CHECK(r.variant == "control");
  r = EvaluateOne(Compile("off", R"({"groups":[{"rollout_percentage":100}]})", false), "x");
  CHECK(!r.enabled);
  CHECK(ReasonCode(r.reason) == "flag_disabled");
}

TEST_CASE("flags: an invalid regex never matches, either way, and never fails the flag", "[flags]") {
  rapidjson::Document person;
  std::string_view json = R"({"email":"a@b.c"})";
  person.Parse(json.data(), json.size());
  for (const char* op : {"regex", "not_regex"}) {
    FlagResult r = EvaluateOne(
        Compile("re", fmt::format(R"({{"groups":[{{"properties":[{{"key":"email","operator":"{}","value":"(unclosed"}}]}}]}})", op)),
        "u", &person);
    CHECK(!r.enabled);
    CHECK(!r.failed);
    CHECK(ReasonCode(r.reason) == "no_condition_match");
  }
}

TEST_CASE("flags: flag dependencies evaluate the flag they name; cycles and unknown flags fail", "[flags]") {
  std::vector<FlagDefinition> flags;
  flags.push_back(Compile("base", R"({"groups":[{"rollout_percentage":100}]})"));
  flags.back().row.id = 1;
  flags.push_back(Compile("needs-base", R"({"groups":[{"properties":[{"key":"base","type":"flag","value":true}]}]})"));
  flags.back().row.id = 2;
  flags.push_back(Compile("needs-base-off", R"({"groups":[{"properties":[{"key":"base","type":"flag","value":false}]}]})"));
  flags.back().row.id = 3;
  flags.push_back(Compile("a", R"({"groups":[{"properties":[{"key":"b","type":"flag","value":true}]}]})"));
  flags.back().row.id = 4;
  flags.push_back(Compile("b", R"({"groups":[{"properties":[{"key":"a","type":"flag","value":true}]}]})"));
  flags.back().row.id = 5;
  flags.push_back(Compile("ghost", R"({"groups":[{"properties":[{"key":"nope","type":"flag","value":true}]}]})"));
  flags.back().row.id = 6;
  EvaluationInput input;
  input.distinct_id = "u";
  std::vector<FlagResult> r = EvaluateFlags(flags, input);
  CHECK(r[1].enabled);
  CHECK(!r[2].enabled);
  CHECK(r[3].failed);
  CHECK(r[4].failed);
  CHECK(ReasonCode(r[5].reason) == "missing_dependency");
}

TEST_CASE("flags: filters that are not a flag's are refused with a message naming the problem", "[flags]") {
  struct Bad {
    const char* filters;
    const char* says;
  };
  const Bad cases[] = {
      {R"([])", "filters must be a JSON object"},
      {R"({"groups":{}})", "must be an array"},
      {R"({"groups":[{"rollout_percentage":101}]})", "rollout_percentage"},
      {R"({"groups":[{"properties":[{"key":"a","operator":"near"}]}]})", "unknown operator \"near\""},
      {R"({"groups":[{"properties":[{"key":"a","type":"event"}]}]})", "cannot be used in feature flags"},
      {R"({"payloads":{"nope":"1"}})", "payload key \"nope\""},
      {R"({"groups":[{"properties":[{"key":"id","type":"cohort","value":"x"}]}]})", "cohort id"},
  };
  for (const Bad& b : cases) {
    INFO(b.filters);
    Result<FlagDefinition> flag = CompileFlag({.key = "k", .filters = b.filters});
    REQUIRE(!flag.ok());
    CHECK_THAT(flag.status().message(), Catch::Contains(b.says));
  }
  // Evaluated as stored, refused on a write, as PostHog's API does.
  Result<FlagDefinition> uneven = CompileFlag({.key = "k", .filters = R"({"multivariate":{"variants":[{"key":"a","rollout_percentage":60}]}})"});
  REQUIRE(uneven.ok());
  CHECK_THAT(CheckFlagForWrite(*uneven).message(), Catch::Contains("sum to 100"));
}

TEST_CASE("flags: random and truncated filters and cohorts are refused or compiled, never crash", "[flags][fuzz]") {
  const std::string seeds[] = {
      R"({"groups":[{"properties":[{"key":"email","operator":"regex","value":"^a.*"},{"key":"id","type":"cohort","value":4}],"rollout_percentage":30,"variant":"b"}],"multivariate":{"variants":[{"key":"a","rollout_percentage":50},{"key":"b","rollout_percentage":50}]},"payloads":{"a":"{\"x\":1}"},"aggregation_group_type_index":0})",
      R"({"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","operator":"icontains","value":"@x"},{"key":"id","type":"cohort","value":3,"negation":true}]}]})",
  };
  std::mt19937 rng(17);
  for (int i = 0; i < 4000; ++i) {
    std::string text = seeds[i % 2];
    if (i % 3 == 0) text.resize(1 + rng() % text.size());
    for (int k = 0; k < 3; ++k) text[rng() % text.size()] = static_cast<char>(rng() % 128);
    std::string deep(i % 500, '[');
    (void)CompileFlag({.key = "k", .filters = i % 7 == 0 ? deep + text : text});
    (void)CompileCohort(i % 11 == 0 ? deep + text : text);
  }
  std::string nested;
  for (int i = 0; i < 200; ++i) nested += R"({"type":"AND","values":[)";
  CHECK(!CompileCohort(nested).ok());
}

}  // namespace hedgerow::flags
