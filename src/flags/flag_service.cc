#include "hedgerow/flags/flag_service.h"

#include <algorithm>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"

namespace hedgerow::flags {
namespace {

constexpr auto kRecheckInterval = std::chrono::milliseconds(100);

// Stored properties into `doc`; an empty object when they are not a bounded JSON object
// (they were checked on the way in, so this is only a guard).
void ParseProperties(const std::string& json, rapidjson::Document& doc) {
  if (!JsonNestsDeeperThan(json)) doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
}

const rapidjson::Value* ObjectOrNull(const rapidjson::Value* v) { return v != nullptr && v->IsObject() ? v : nullptr; }

}  // namespace

void FlagService::Invalidate() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  checked_ = {};
}

Result<std::shared_ptr<const ProjectFlags>> FlagService::Flags(int64_t project_id) {
  auto now = std::chrono::steady_clock::now();
  {
    // Every /flags request asks: served under a shared lock while nothing is due.
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = cache_.find(project_id);
    if (now - checked_ < kRecheckInterval && it != cache_.end()) return it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (now - checked_ >= kRecheckInterval) {
    HEDGEROW_ASSIGN_OR_RETURN(int64_t counter, meta_->ChangeCounter());
    if (counter != counter_) cache_.clear();
    counter_ = counter;
    checked_ = now;
  }
  if (auto it = cache_.find(project_id); it != cache_.end()) return it->second;
  HEDGEROW_ASSIGN_OR_RETURN(auto loaded, Load(project_id));
  cache_[project_id] = loaded;
  return loaded;
}

Result<std::shared_ptr<const ProjectFlags>> FlagService::Load(int64_t project_id) {
  auto project = std::make_shared<ProjectFlags>();
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<meta::FeatureFlagRow> rows, meta_->FeatureFlags(project_id));
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<meta::CohortRow> cohorts, meta_->Cohorts(project_id));
  std::string version;  // what the ETag digests: every flag's and cohort's identity and version
  for (const meta::FeatureFlagRow& row : rows) {
    version += fmt::format("f{}.{}.{};", row.id, row.version, row.updated_at);
    Result<FlagDefinition> flag = CompileFlag(row);
    if (!flag.ok()) {
      // Only a write that bypassed the API's checks gets here: skip it, loudly.
      LogWarn("flags", "stored flag does not compile; it is not served",
              {{"project_id", project_id}, {"flag", row.key}, {"error", flag.status().message()}});
      continue;
    }
    project->any_active = project->any_active || row.active;
    project->uses_continuity = project->uses_continuity || (row.active && row.ensure_experience_continuity);
    project->flags.push_back(std::move(*flag));
  }
  for (const meta::CohortRow& row : cohorts) {
    version += fmt::format("c{}.{};", row.id, row.created_at);
    if (row.is_static) {
      project->static_cohort_ids.push_back(row.id);
      continue;
    }
    Result<PropertyGroup> group = CompileCohort(row.filters);
    if (!group.ok()) {
      LogWarn("flags", "stored cohort does not compile; it matches nobody",
              {{"project_id", project_id}, {"cohort_id", row.id}, {"error", group.status().message()}});
      continue;
    }
    project->cohorts.emplace(row.id, std::move(*group));
    project->cohort_filters.emplace(row.id, row.filters);
  }
  for (const FlagDefinition& flag : project->flags) {
    for (const Condition& c : flag.conditions) {
      for (const PropertyFilter& f : c.properties) {
        project->uses_group_properties = project->uses_group_properties || f.type == FilterType::kGroup;
        project->uses_person = project->uses_person || f.type == FilterType::kPerson || f.type == FilterType::kCohort;
      }
    }
    for (int64_t id : flag.cohort_ids) {
      const auto& ids = project->static_cohort_ids;
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) project->uses_static_cohorts = true;
    }
  }
  project->etag = fmt::format("\"{}\"", HexEncode(Sha1({version})).substr(0, 32));
  return std::shared_ptr<const ProjectFlags>(std::move(project));
}

bool FlagService::HasActiveFlags(int64_t project_id) {
  Result<std::shared_ptr<const ProjectFlags>> project = Flags(project_id);
  return project.ok() && (*project)->any_active;
}

Result<FlagsResponse> FlagService::Evaluate(const FlagsRequest& request) {
  FlagsResponse response;
  HEDGEROW_ASSIGN_OR_RETURN(response.snapshot, Flags(request.project_id));
  const ProjectFlags& project = *response.snapshot;

  EvaluationInput input;
  input.distinct_id = request.distinct_id;
  input.now_us = NowMicros();
  input.cohorts = &project.cohorts;
  input.static_cohort_ids = &project.static_cohort_ids;
  bool lookup_failed = false;

  rapidjson::Document stored_person;
  stored_person.SetObject();
  Result<std::optional<persons::Person>> person =
      project.uses_person ? persons_->ReadPerson(request.project_id, request.distinct_id)
                          : Result<std::optional<persons::Person>>(std::nullopt);
  if (!person.ok()) {
    lookup_failed = true;
    LogWarn("flags", "person lookup failed", {{"project_id", request.project_id}, {"error", person.status().message()}});
  } else if (*person) {
    ParseProperties((*person)->properties, stored_person);
    if (project.uses_static_cohorts) {
      Result<std::vector<int64_t>> in = meta_->StaticCohortsOf((*person)->uuid.ToString(), project.static_cohort_ids);
      if (in.ok()) input.static_cohorts_in = std::move(*in);
      lookup_failed = lookup_failed || !in.ok();
    }
  }
  rapidjson::Document base;  // PostHog always adds the distinct id as a person property
  base.SetObject();
  base.AddMember("distinct_id", rapidjson::StringRef(request.distinct_id.data(), request.distinct_id.size()),
                 base.GetAllocator());
  input.person = PropertySource(ObjectOrNull(request.person_properties), &stored_person, &base, true);

  std::vector<std::string> types = persons_->GroupTypes(request.project_id);
  std::vector<rapidjson::Document> stored_groups;  // only when a flag reads group properties
  stored_groups.reserve(project.uses_group_properties ? request.groups.size() : 0);
  for (const auto& [type, key] : request.groups) {
    if (key.empty()) continue;  // an empty key names no group
    auto found = std::find(types.begin(), types.end(), type);
    if (found == types.end()) continue;
    size_t index = static_cast<size_t>(found - types.begin());
    GroupInput& g = input.groups[index];
    g.present = true;
    g.key = key;
    const rapidjson::Value* stored = nullptr;
    if (project.uses_group_properties) {  // otherwise only the key matters: no read
      Result<std::optional<persons::Group>> group = persons_->ReadGroup(request.project_id, static_cast<int>(index), key);
      lookup_failed = lookup_failed || !group.ok();
      if (group.ok() && *group) {
        rapidjson::Document& doc = stored_groups.emplace_back();
        ParseProperties((*group)->properties, doc);
        stored = &doc;
      }
    }
    const rapidjson::Value* overrides = nullptr;
    if (ObjectOrNull(request.group_properties) != nullptr) {
      auto it = request.group_properties->FindMember(rapidjson::StringRef(type.data(), type.size()));
      if (it != request.group_properties->MemberEnd()) overrides = ObjectOrNull(&it->value);
    }
    g.properties = PropertySource(overrides, stored);
  }

  std::unordered_map<std::string, std::string> hash_keys;
  if (project.uses_continuity) {
    Result<std::unordered_map<std::string, std::string>> pinned = meta_->HashKeyOverrides(request.project_id, request.distinct_id);
    if (pinned.ok()) hash_keys = std::move(*pinned);
    lookup_failed = lookup_failed || !pinned.ok();
    if (pinned.ok() && !request.anon_distinct_id.empty() && request.anon_distinct_id != request.distinct_id) {
      // The first request that links the anonymous id pins its buckets for this distinct id.
      std::vector<std::string> unpinned;
      for (const FlagDefinition& flag : project.flags) {
        if (flag.row.ensure_experience_continuity && hash_keys.count(flag.row.key) == 0) unpinned.push_back(flag.row.key);
      }
      if (!unpinned.empty()) {
        Status added = meta_->AddHashKeyOverrides(request.project_id, request.distinct_id, request.anon_distinct_id, unpinned);
        if (added.ok()) {
          for (const std::string& key : unpinned) hash_keys.emplace(key, request.anon_distinct_id);
        }
        lookup_failed = lookup_failed || !added.ok();
      }
    }
    input.hash_key_overrides = &hash_keys;
  }

  std::vector<FlagResult> all = EvaluateFlags(project.flags, input);
  response.flags.reserve(project.flags.size());
  response.results.reserve(project.flags.size());
  for (size_t i = 0; i < project.flags.size(); ++i) {
    const FlagDefinition& flag = project.flags[i];
    if (!request.flag_keys.empty() &&
        std::find(request.flag_keys.begin(), request.flag_keys.end(), flag.row.key) == request.flag_keys.end()) {
      continue;
    }
    FlagResult r = std::move(all[i]);
    if (lookup_failed && flag.row.active) {
      // What the flag would need could not be read: say so rather than guess (client-api.md §3.7).
      r = FlagResult();
      r.reason = Reason::kDatabaseError;
      r.failed = true;
    }
    response.errors = response.errors || r.failed;
    response.flags.push_back(&flag);
    response.results.push_back(std::move(r));
  }
  return response;
}

}  // namespace hedgerow::flags
