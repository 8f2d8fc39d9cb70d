// A flag's filters as the flags API stores them (any JSON a client sends), compiled and
// evaluated for a person with properties: a flag or an error, never a crash.

#include <rapidjson/document.h>

#include <string>

#include "fuzz_input.h"
#include "hedgerow/flags/definition.h"
#include "hedgerow/flags/evaluator.h"

using namespace hedgerow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  // First line: the person's properties (JSON); the rest: the flag's filters.
  std::string person_json(input.TakeLine());
  meta::FeatureFlagRow row{.id = 1, .project_id = 1, .key = "fuzzed", .filters = std::string(input.rest())};
  Result<flags::FlagDefinition> flag = flags::CompileFlag(row);
  if (!flag.ok()) return 0;
  flags::CheckFlagForWrite(*flag);
  rapidjson::Document person;
  person.Parse<rapidjson::kParseIterativeFlag>(person_json.c_str(), person_json.size());
  flags::EvaluationInput evaluation;
  evaluation.distinct_id = "user-1";
  if (!person.HasParseError() && person.IsObject()) evaluation.person = flags::PropertySource(&person, nullptr);
  evaluation.now_us = 1796083200000000;
  std::vector<flags::FlagDefinition> definitions;
  definitions.push_back(std::move(*flag));
  flags::EvaluateFlags(definitions, evaluation);
  return 0;
}
