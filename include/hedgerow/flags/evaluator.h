#pragma once

// PostHog's server-side flag evaluation (client-api.md §4.2–§4.6): SHA-1 buckets, condition
// order, variant overrides, property operators, cohorts, group flags and flag dependencies.
// Pure: everything it reads comes in through EvaluationInput.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include "hedgerow/flags/definition.h"

namespace hedgerow::flags {

// Property values for matching: the request's values win over the stored ones, which win
// over `base` (for persons, {"distinct_id": ...}, which PostHog always adds). For persons a
// missing "$initial_X" of PostHog's list reads X, as its flags service fills them.
class PropertySource {
 public:
  PropertySource() = default;
  // Any may be null; each must be an object when not null.
  PropertySource(const rapidjson::Value* overrides, const rapidjson::Value* stored,
                 const rapidjson::Value* base = nullptr, bool fill_initial = false)
      : layers_{overrides, stored, base}, fill_initial_(fill_initial) {}
  // Null when no layer has `key`; a JSON null when a layer has it as null.
  const rapidjson::Value* Find(std::string_view key) const;

 private:
  const rapidjson::Value* FindInLayers(std::string_view key) const;

  std::array<const rapidjson::Value*, 3> layers_{};
  bool fill_initial_ = false;
};

struct GroupInput {
  bool present = false;  // the request named a key for this group type
  std::string key;
  PropertySource properties;
};

struct EvaluationInput {
  std::string_view distinct_id;
  PropertySource person;
  std::array<GroupInput, 5> groups;  // by group type index
  // The project's dynamic cohorts by id; static cohorts are `static_cohorts`.
  const std::unordered_map<int64_t, PropertyGroup>* cohorts = nullptr;
  const std::vector<int64_t>* static_cohort_ids = nullptr;  // every static cohort of the project
  std::vector<int64_t> static_cohorts_in;    // those the person is in
  // Experience continuity: flag key -> the hash key pinned for this person.
  const std::unordered_map<std::string, std::string>* hash_key_overrides = nullptr;
  int64_t now_us = 0;  // for relative dates ("-7d")
};

enum class Reason {
  kConditionMatch,
  kNoConditionMatch,
  kOutOfRolloutBound,
  kNoGroupType,
  kFlagDisabled,
  kMissingDependency,
  kDependencyCycle,
  kDatabaseError,  // what the flag needs could not be read
  kCohortNotFound,  // a condition names a cohort the project does not have
  kCohortCycle,
};
std::string_view ReasonCode(Reason reason);
// How PostHog words a reason; "Matched condition set " is followed by the set's number
// (condition_index + 1).
std::string_view ReasonDescription(Reason reason);

struct FlagResult {
  bool enabled = false;
  std::optional<std::string> variant;
  Reason reason = Reason::kNoConditionMatch;
  std::optional<int> condition_index;
  const std::string* payload = nullptr;  // into the definition; only when enabled
  const std::string* payload_json = nullptr;  // the same as a JSON string literal
  bool failed = false;  // could not be evaluated (reason says why): SDKs keep what they had
};

// PostHog's bucket: the first 15 hex digits of SHA-1("<key>.<value><salt>") over 2^60 - 1.
double FlagHash(std::string_view flag_key, std::string_view bucketing_value, std::string_view salt = "");

// One flag's property filter against the properties at hand. Exposed for tests.
bool MatchProperty(const PropertyFilter& filter, const PropertySource& properties, int64_t now_us);

// Evaluates every flag of `flags` (a project's: flag filters may name other flags) for one
// request; the results are in the same order.
std::vector<FlagResult> EvaluateFlags(const std::vector<FlagDefinition>& flags, const EvaluationInput& input);

}  // namespace hedgerow::flags
