#include "hedgerow/flags/evaluator.h"

#include <algorithm>


#include "hedgerow/common/digest.h"

namespace hedgerow::flags {
namespace {

// Flag filters may name flags whose filters name flags: deeper than this is refused (and a
// cycle always is).
constexpr int kMaxDependencyDepth = 16;

const std::string kTrue = "true";  // the payload key of a flag that is on without a variant

// How a condition set came out.
enum class Outcome { kNoGroupType, kNoMatch, kOutOfRollout, kMatch, kMissingDependency, kCycle, kCohortNotFound,
                     kCohortCycle };

int Score(Reason r) {
  switch (r) {
    case Reason::kConditionMatch: return 4;
    case Reason::kOutOfRolloutBound: return 3;
    case Reason::kNoConditionMatch: return 2;
    case Reason::kNoGroupType: return 1;
    case Reason::kFlagDisabled: return 0;
    default: return -1;
  }
}

// An outcome that fails the whole flag, and how it is reported.
std::optional<Reason> FailureOf(Outcome o) {
  switch (o) {
    case Outcome::kMissingDependency: return Reason::kMissingDependency;
    case Outcome::kCycle: return Reason::kDependencyCycle;
    case Outcome::kCohortNotFound: return Reason::kCohortNotFound;
    case Outcome::kCohortCycle: return Reason::kCohortCycle;
    default: return std::nullopt;
  }
}

class Evaluation {
 public:
  Evaluation(const std::vector<FlagDefinition>& flags, const EvaluationInput& in)
      : flags_(flags), in_(in), results_(flags.size()), in_progress_(flags.size(), false) {}

  const FlagResult& Result(size_t i, int depth) {
    if (!results_[i]) {
      in_progress_[i] = true;
      results_[i] = Evaluate(flags_[i], depth);
      in_progress_[i] = false;
    }
    return *results_[i];
  }

 private:
  FlagResult Evaluate(const FlagDefinition& flag, int depth) {
    FlagResult r;
    if (!flag.row.active) {
      r.reason = Reason::kFlagDisabled;
      return r;
    }
    // PostHog starts from "no group type" and lets each condition set that fails replace the
    // reason when it ranks at least as high: ties go to the later set.
    r.reason = Reason::kNoGroupType;
    for (size_t i = 0; i < flag.conditions.size(); ++i) {
      const Condition& c = flag.conditions[i];
      std::optional<int> group = c.has_own_aggregation ? c.aggregation_group_type_index : flag.aggregation_group_type_index;
      std::string_view bucket = BucketingValue(flag, group);
      Outcome outcome = group && !in_.groups[*group].present ? Outcome::kNoGroupType
                                                              : MatchCondition(flag, c, group, bucket, depth);
      if (std::optional<Reason> failure = FailureOf(outcome)) {
        FlagResult failed;
        failed.reason = *failure;
        failed.failed = outcome != Outcome::kMissingDependency;
        return failed;
      }
      if (outcome == Outcome::kMatch) {
        r.enabled = true;
        r.reason = Reason::kConditionMatch;
        r.condition_index = static_cast<int>(i);
        r.variant = c.variant && IsVariant(flag, *c.variant) ? c.variant : PickVariant(flag, bucket);
        const std::string& value = r.variant ? *r.variant : kTrue;
        if (auto payload = flag.payloads.find(value); payload != flag.payloads.end()) {
          r.payload = &payload->second;
          r.payload_json = &flag.payloads_json.at(value);
        }
        return r;
      }
      Reason reason = outcome == Outcome::kOutOfRollout ? Reason::kOutOfRolloutBound
                      : outcome == Outcome::kNoMatch    ? Reason::kNoConditionMatch
                                                        : Reason::kNoGroupType;
      if (Score(reason) >= Score(r.reason)) {
        r.reason = reason;
        r.condition_index = static_cast<int>(i);
      }
    }
    return r;
  }

  std::string_view BucketingValue(const FlagDefinition& flag, std::optional<int> group) const {
    if (group) return in_.groups[*group].key;
    if (flag.row.ensure_experience_continuity && in_.hash_key_overrides != nullptr) {
      auto it = in_.hash_key_overrides->find(flag.row.key);
      if (it != in_.hash_key_overrides->end()) return it->second;
    }
    return in_.distinct_id;
  }

  Outcome MatchCondition(const FlagDefinition& flag, const Condition& c, std::optional<int> group,
                         std::string_view bucket, int depth) {
    // Cohorts are looked at last, as PostHog does: a condition that fails on a property
    // never reports a cohort it could not find.
    for (const PropertyFilter& f : c.properties) {
      if (f.type == FilterType::kCohort) continue;
      Outcome o = MatchFilter(f, group, depth);
      if (o != Outcome::kMatch) return o;
    }
    for (const PropertyFilter& f : c.properties) {
      if (f.type != FilterType::kCohort) continue;
      std::optional<bool> member = InCohort(f.cohort_id);
      if (!member) return cohort_failure_;
      if (*member != (f.op == Operator::kIn)) return Outcome::kNoMatch;
    }
    if (c.rollout_percentage && FlagHash(flag.row.key, bucket) > *c.rollout_percentage / 100) return Outcome::kOutOfRollout;
    return Outcome::kMatch;
  }

  Outcome MatchFilter(const PropertyFilter& f, std::optional<int> group, int depth) {
    bool matched = false;
    switch (f.type) {
      case FilterType::kPerson: matched = MatchProperty(f, in_.person, in_.now_us); break;
      case FilterType::kGroup: {
        // The filter's group type, else the condition's; a group the request lacks has no
        // properties.
        int index = f.group_type_index >= 0 ? f.group_type_index : group.value_or(-1);
        matched = MatchProperty(f, index >= 0 ? in_.groups[index].properties : PropertySource(), in_.now_us);
        break;
      }
      case FilterType::kFlag: {
        if (by_key_.empty()) {  // built on first need: few flags depend on others
          for (size_t i = 0; i < flags_.size(); ++i) {
            by_key_.emplace(flags_[i].row.key, i);
            by_key_.emplace(std::to_string(flags_[i].row.id), i);  // newer PostHog names dependencies by id
          }
        }
        auto it = by_key_.find(f.key);
        if (it == by_key_.end()) return Outcome::kMissingDependency;
        if (in_progress_[it->second] || depth >= kMaxDependencyDepth) return Outcome::kCycle;
        const FlagResult& dep = Result(it->second, depth + 1);
        if (dep.failed) return Outcome::kCycle;
        if (f.value.kind == JsonScalar::Kind::kBool) {
          matched = dep.enabled == f.value.boolean;
        } else {
          matched = dep.enabled && dep.variant && *dep.variant == f.value.text;
        }
        break;
      }
      case FilterType::kCohort: break;  // MatchCondition's
    }
    return matched ? Outcome::kMatch : Outcome::kNoMatch;
  }

  // Whether the person is in the cohort; nullopt (cohort_failure_ says why) when it, or a
  // cohort it names, does not exist or they name each other.
  std::optional<bool> InCohort(int64_t id) {
    const std::vector<int64_t>* statics = in_.static_cohort_ids;
    if (statics != nullptr && std::find(statics->begin(), statics->end(), id) != statics->end()) {
      return std::find(in_.static_cohorts_in.begin(), in_.static_cohorts_in.end(), id) != in_.static_cohorts_in.end();
    }
    if (auto done = cohort_results_.find(id); done != cohort_results_.end()) return done->second;
    if (in_.cohorts == nullptr || in_.cohorts->count(id) == 0) {
      cohort_failure_ = Outcome::kCohortNotFound;
      return std::nullopt;
    }
    const PropertyGroup& definition = in_.cohorts->at(id);
    if (std::find(visiting_.begin(), visiting_.end(), id) != visiting_.end() || visiting_.size() >= kMaxCohortNesting) {
      cohort_failure_ = Outcome::kCohortCycle;
      return std::nullopt;
    }
    visiting_.push_back(id);
    std::optional<bool> matched = MatchGroup(definition);
    visiting_.pop_back();
    if (matched) cohort_results_[id] = *matched;
    return matched;
  }

  std::optional<bool> MatchGroup(const PropertyGroup& g) {
    if (!g.groups.empty()) {
      for (const PropertyGroup& child : g.groups) {
        std::optional<bool> m = MatchGroup(child);
        if (!m) return std::nullopt;
        if (*m == g.any) return g.any;  // decided: one in an OR, one out of an AND
      }
      return !g.any;
    }
    for (const PropertyFilter& f : g.filters) {
      bool matched;
      if (f.type == FilterType::kCohort) {
        std::optional<bool> member = InCohort(f.cohort_id);
        if (!member) return std::nullopt;
        matched = *member == (f.op == Operator::kIn);
        if (!g.any) matched = matched != f.negation;  // OR groups ignore a cohort filter's negation
      } else {
        matched = MatchProperty(f, in_.person, in_.now_us) != f.negation;
      }
      if (matched == g.any) return g.any;
    }
    return !g.any;  // nothing decided: an empty OR is false, an empty AND true
  }

  static bool IsVariant(const FlagDefinition& flag, const std::string& key) {
    for (const Variant& v : flag.variants) {
      if (v.key == key) return true;
    }
    return false;
  }

  static std::optional<std::string> PickVariant(const FlagDefinition& flag, std::string_view bucket) {
    if (flag.variants.empty()) return std::nullopt;
    const double h = FlagHash(flag.row.key, bucket, "variant");
    double lower = 0;
    for (const Variant& v : flag.variants) {
      double upper = lower + v.rollout_percentage / 100;
      if (h >= lower && h < upper) return v.key;
      lower = upper;
    }
    return std::nullopt;  // percentages summing below 100: on, without a variant
  }

  const std::vector<FlagDefinition>& flags_;
  const EvaluationInput& in_;
  std::vector<std::optional<FlagResult>> results_;
  std::vector<bool> in_progress_;
  std::unordered_map<std::string, size_t> by_key_;
  std::unordered_map<int64_t, bool> cohort_results_;
  std::vector<int64_t> visiting_;  // cohorts being evaluated, outermost first
  Outcome cohort_failure_ = Outcome::kCohortNotFound;
};

}  // namespace

std::string_view ReasonCode(Reason reason) {
  switch (reason) {
    case Reason::kConditionMatch: return "condition_match";
    case Reason::kNoConditionMatch: return "no_condition_match";
    case Reason::kOutOfRolloutBound: return "out_of_rollout_bound";
    case Reason::kNoGroupType: return "no_group_type";
    case Reason::kFlagDisabled: return "flag_disabled";
    case Reason::kMissingDependency: return "missing_dependency";
    case Reason::kDependencyCycle: return "dependency_failed";
    case Reason::kDatabaseError: return "database_error";
    case Reason::kCohortNotFound: return "dependency_not_found_cohort";
    case Reason::kCohortCycle: return "dependency_cycle_cohort";
  }
  return "unknown";
}

std::string_view ReasonDescription(Reason reason) {
  switch (reason) {
    case Reason::kConditionMatch: return "Matched condition set ";
    case Reason::kNoConditionMatch: return "No matching condition set";
    case Reason::kOutOfRolloutBound: return "Out of rollout bound";
    case Reason::kNoGroupType: return "No group type";
    case Reason::kFlagDisabled: return "Feature flag is disabled";
    case Reason::kMissingDependency: return "Flag cannot be evaluated due to missing dependency";
    case Reason::kDependencyCycle: return "Flag dependencies form a cycle or nest too deep";
    case Reason::kDatabaseError: return "Person or group properties could not be read";
    case Reason::kCohortNotFound: return "A cohort the flag depends on does not exist";
    case Reason::kCohortCycle: return "Cohorts the flag depends on name each other";
  }
  return "";
}

double FlagHash(std::string_view flag_key, std::string_view bucketing_value, std::string_view salt) {
  if (bucketing_value.empty()) return 0;  // as PostHog's flags service: no identifier, bucket 0
  Sha1Digest d = Sha1({flag_key, ".", bucketing_value, salt});
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | d[i];
  n >>= 4;  // the first 15 hex digits
  return static_cast<double>(n) / static_cast<double>(0xFFFFFFFFFFFFFFFULL);
}

std::vector<FlagResult> EvaluateFlags(const std::vector<FlagDefinition>& flags, const EvaluationInput& input) {
  Evaluation evaluation(flags, input);
  std::vector<FlagResult> results;
  results.reserve(flags.size());
  for (size_t i = 0; i < flags.size(); ++i) results.push_back(evaluation.Result(i, 0));
  return results;
}

}  // namespace hedgerow::flags
