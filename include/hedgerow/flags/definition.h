#pragma once

// Feature flag definitions as PostHog stores them (client-api.md §4.1), compiled for
// evaluation: filters parsed once, regexes compiled once, numbers parsed once.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include "hedgerow/common/status.h"
#include "hedgerow/meta/meta_store.h"

namespace re2 {
class RE2;
}

namespace hedgerow::flags {

// Bounds on what a flag or cohort may hold: they come from API callers.
inline constexpr size_t kMaxConditions = 100;
inline constexpr size_t kMaxPropertiesPerGroup = 100;
inline constexpr size_t kMaxVariants = 50;
inline constexpr size_t kMaxCohortNesting = 8;
inline constexpr size_t kMaxFiltersBytes = 256 << 10;

// A filter's `value`, or a property's value, as the evaluator compares them. `text` is
// PostHog's to_string_representation: the string itself for strings, compact JSON otherwise.
struct JsonScalar {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<JsonScalar> items;  // kArray
};
JsonScalar ToScalar(const rapidjson::Value& value);

enum class Operator {
  kExact, kIsNot, kIcontains, kNotIcontains, kStartsWith, kNotStartsWith, kEndsWith, kNotEndsWith, kRegex,
  kNotRegex, kGt, kGte, kLt, kLte, kIsSet, kIsNotSet,
  kIsDateBefore, kIsDateAfter, kIsDateExact, kIn, kNotIn, kFlagEvaluatesTo,
};
// nullopt for an operator hedgerow does not evaluate.
std::optional<Operator> ParseOperator(std::string_view name);
std::string_view OperatorName(Operator op);

enum class FilterType { kPerson, kGroup, kCohort, kFlag };

struct PropertyFilter {
  std::string key;
  FilterType type = FilterType::kPerson;
  int group_type_index = -1;  // kGroup; -1: the condition's group type (older filters)
  Operator op = Operator::kExact;
  JsonScalar value;
  // The value lower-cased once: ASCII-only for the contains/starts/ends family, Unicode for
  // exact and is_not (and each item of a list), as PostHog's service folds them.
  std::string ascii_folded;
  std::string unicode_folded;
  std::vector<std::string> unicode_folded_items;
  bool negation = false;  // inside cohort property groups
  int64_t cohort_id = 0;  // kCohort
  // kRegex / kNotRegex: null when the pattern does not compile (the filter never matches).
  std::shared_ptr<const re2::RE2> regex;
};

// A cohort's definition, as PostHog's flags service reads it: AND or OR over groups, each
// AND or OR over filters.
struct PropertyGroup {
  bool any = false;  // OR
  std::vector<PropertyFilter> filters;
  std::vector<PropertyGroup> groups;
};

struct Condition {
  std::vector<PropertyFilter> properties;
  std::optional<double> rollout_percentage;  // null: everyone who matches
  std::optional<std::string> variant;  // override; one that names no variant is ignored
  // The condition's own group type when it names one (null: a person condition inside a
  // group flag); otherwise the flag's.
  bool has_own_aggregation = false;
  std::optional<int> aggregation_group_type_index;
};

struct Variant {
  std::string key;
  std::string name;
  double rollout_percentage = 0;
};

struct FlagDefinition {
  meta::FeatureFlagRow row;  // as stored; row.filters is the JSON below
  std::vector<Condition> conditions;
  std::vector<Variant> variants;
  std::map<std::string, std::string> payloads;  // "true" or a variant key -> JSON text
  // What answers repeat for every request, encoded once: the key and each payload as JSON
  // string literals (quotes included).
  std::string key_json;
  std::map<std::string, std::string> payloads_json;
  // The start of its /flags v2 "metadata" up to the payload: `"metadata":{"id":N,"version":V,
  // "description":null,"payload":`.
  std::string metadata_json;
  std::optional<int> aggregation_group_type_index;
  // Cohorts and flags its conditions name (for local evaluation and dependency order).
  std::vector<int64_t> cohort_ids;
  std::vector<std::string> flag_dependencies;
};

// Parses and checks a flag's filters (kInvalidArgument naming the problem): the shape of
// every condition, operator names, rollout percentages in 0..100, payload keys, condition
// variants that exist. An invalid regex is kept (PostHog accepts it): it just never matches.
Result<FlagDefinition> CompileFlag(const meta::FeatureFlagRow& row);
// What PostHog's API also refuses on a write, though it evaluates such flags: variant
// rollouts that do not sum to 100, variant overrides that name no variant.
Status CheckFlagForWrite(const FlagDefinition& flag);
// A cohort's property group (client-api.md §4.6).
Result<PropertyGroup> CompileCohort(std::string_view filters_json);

// Lower case as PostHog's flags service folds: ASCII letters only, or all of Unicode (glibc's
// C.UTF-8 tables; bytes that are not UTF-8 are kept).
std::string AsciiLower(std::string_view s);
std::string UnicodeLower(std::string_view s);

// PostHog's rules for a flag key: letters, digits, '-' and '_', 1..400 characters.
Status CheckFlagKey(std::string_view key);

}  // namespace hedgerow::flags
