#pragma once

// A project's flags as /flags evaluates them: definitions compiled once and cached until
// meta.sqlite changes, person and group properties read through the persons store's cache,
// experience-continuity overrides pinned on first sight of $anon_distinct_id.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "hedgerow/common/status.h"
#include "hedgerow/flags/definition.h"
#include "hedgerow/flags/evaluator.h"
#include "hedgerow/meta/meta_store.h"
#include "hedgerow/persons/person_store.h"

namespace hedgerow::flags {

// One project's compiled flags and cohorts: immutable, shared by the requests using it.
struct ProjectFlags {
  std::vector<FlagDefinition> flags;  // not deleted, by id
  std::unordered_map<int64_t, PropertyGroup> cohorts;  // dynamic cohorts
  std::unordered_map<int64_t, std::string> cohort_filters;  // their JSON, for local evaluation
  std::vector<int64_t> static_cohort_ids;
  bool uses_static_cohorts = false;
  bool uses_continuity = false;
  bool uses_group_properties = false;  // a condition filters on group properties
  // A condition filters on person properties, or on a cohort (cohorts are person
  // properties too, and static ones need the person's uuid): else no person is looked up.
  bool uses_person = false;
  bool any_active = false;
  std::string etag;  // changes whenever a flag or cohort does
};

// A /flags request, decoded (client-api.md §3.1).
struct FlagsRequest {
  int64_t project_id = 0;
  std::string distinct_id;
  std::string anon_distinct_id;  // empty when not sent
  const rapidjson::Value* person_properties = nullptr;  // object or null
  std::vector<std::pair<std::string, std::string>> groups;  // group type name -> key
  const rapidjson::Value* group_properties = nullptr;  // {type: {prop: value}} or null
  std::vector<std::string> flag_keys;  // only these; empty for all
};

struct FlagsResponse {
  std::shared_ptr<const ProjectFlags> snapshot;  // keeps `flags` alive
  std::vector<const FlagDefinition*> flags;
  std::vector<FlagResult> results;  // one per flags[i]
  // A lookup failed (persons store, meta): the flags that needed it are `failed`.
  bool errors = false;
};

class FlagService {
 public:
  // Both must outlive the service.
  FlagService(meta::MetaStore* meta, persons::PersonStore* persons) : meta_(meta), persons_(persons) {}

  // The project's flags, reloaded when meta.sqlite changed (looked at no more than every
  // 100 ms; Invalidate() makes the next call look).
  Result<std::shared_ptr<const ProjectFlags>> Flags(int64_t project_id);
  void Invalidate();
  // Whether the project has an active flag (the remote config's hasFeatureFlags); false when
  // its flags cannot be read.
  bool HasActiveFlags(int64_t project_id);

  Result<FlagsResponse> Evaluate(const FlagsRequest& request);

  // The project's group types by index, for local evaluation's group_type_mapping.
  std::vector<std::string> GroupTypes(int64_t project_id) { return persons_->GroupTypes(project_id); }

 private:
  Result<std::shared_ptr<const ProjectFlags>> Load(int64_t project_id);

  meta::MetaStore* const meta_;
  persons::PersonStore* const persons_;
  std::shared_mutex mu_;
  std::unordered_map<int64_t, std::shared_ptr<const ProjectFlags>> cache_;  // guarded by mu_
  int64_t counter_ = -1;  // meta's ChangeCounter() the cache was loaded at; guarded by mu_
  std::chrono::steady_clock::time_point checked_{};  // guarded by mu_
};

}  // namespace hedgerow::flags
