#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hedgerow/common/sqlite.h"
#include "hedgerow/common/status.h"

namespace hedgerow::meta {

// A project (PostHog's "team"): events are scoped to it by its api_token.
struct Project {
  int64_t id = 0;
  std::string name;
  std::string api_token;  // phc_..., public: SDKs embed it in web pages
  bool anonymize_ips = false;
  int64_t created_at = 0;  // µs since epoch
};

// A transformation app of a project (PostHog's plugins): `kind` names the app, `config` is
// its JSON settings. Apps run in `position` order.
struct AppConfig {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t position = 0;
  std::string kind;
  std::string config = "{}";
};

// A feature flag as stored (PostHog's posthog_featureflag). `filters` is its JSON (condition
// groups, variants, payloads), checked by the flags module before it is written.
struct FeatureFlagRow {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string key;
  std::string name;
  std::string filters = "{}";
  bool active = true;
  bool deleted = false;  // soft delete, as PostHog's: the key is free again
  bool ensure_experience_continuity = false;
  int64_t version = 1;  // bumped by every update
  int64_t created_at = 0;  // µs since epoch
  int64_t updated_at = 0;
};

// A cohort (posthog_cohort): dynamic ones are a property group (`filters`, JSON, as flags'
// local evaluation ships it); static ones a list of person uuids (cohort_people).
struct CohortRow {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  std::string filters;  // empty for a static cohort
  bool is_static = false;
  int64_t created_at = 0;
};

// A signed-in browser of the web UI. The cookie holds the session's id; meta.sqlite holds
// only its SHA-256, as it does for personal API keys.
struct UiSession {
  int64_t project_id = 0;
  std::string csrf_token;  // the UI sends it back in X-CSRF-Token with every write
  int64_t expires_at = 0;  // µs since epoch
};

// What Bootstrap did, so the caller can say it once in the startup log.
struct BootstrapOutcome {
  Project project;                  // project 1
  bool created_project = false;     // first start on this data dir
  bool token_ignored = false;       // a token was given that differs from the stored one
  bool added_personal_api_key = false;
};

// meta.sqlite: projects, personal API keys (stored as unsalted SHA-256, like PostHog's
// "sha256$<hex>"), and later flags and app configuration. Schema changes are numbered
// migrations applied in order at Open.
// Thread-safe: one connection behind a mutex (the tables are small and rarely written).
class MetaStore {
 public:
  // Opens or creates the database at `path` and applies pending migrations. kCorruption if
  // it is not a database; kInvalidArgument if it was written by a newer hedgerow.
  static Result<std::unique_ptr<MetaStore>> Open(const std::string& path);

  // First start on an empty data dir: creates project 1 "Default project" with
  // `project_token` (a random phc_ token when empty) and the default apps (geoip). Later starts keep the stored project:
  // the data dir is the truth, and a different token is reported as ignored. A non-empty
  // `personal_api_key` not yet known is added. Running it again with the same values changes
  // nothing.
  Result<BootstrapOutcome> Bootstrap(std::string_view project_token,
                                     std::string_view personal_api_key);

  // nullopt when no project has this token. Served from memory (every capture request
  // asks): projects are loaded at Open and change only through this class.
  std::optional<Project> FindProjectByToken(std::string_view token) const;

  // The project with this id; nullopt when there is none.
  Result<std::optional<Project>> FindProjectById(int64_t id);

  // Turns IP anonymization of a project on or off. kNotFound for an unknown project.
  Status SetAnonymizeIps(int64_t project_id, bool anonymize);

  // The apps of a project in run order.
  Result<std::vector<AppConfig>> Apps(int64_t project_id);
  // Appends an app to the end of a project's chain (fills id and position).
  Status AddApp(AppConfig& app);
  // kNotFound when no app has this id.
  Status RemoveApp(int64_t app_id);
  // Makes `apps` (kind and config each) the project's apps, in that order, in one
  // transaction: the declarative form a config file gives. kNotFound for an unknown project.
  Status ReplaceApps(int64_t project_id, const std::vector<AppConfig>& apps);
  // Changes whenever this or another process changed meta.sqlite (SQLite's data_version plus
  // this process's own writes): a cheap way for caches to know when to reload.
  Result<int64_t> ChangeCounter();

  // True when `raw_key` is a stored personal API key.
  Result<bool> IsPersonalApiKey(std::string_view raw_key);
  // The project a personal API key reads; nullopt for an unknown key. Each key belongs to
  // exactly one project (the bootstrap key to project 1): queries it runs see that
  // project's rows only.
  Result<std::optional<int64_t>> ProjectOfPersonalApiKey(std::string_view raw_key);
  // Adds a key for `project_id` (kNotFound for an unknown project); a key already stored is
  // left as it is, for whichever project it was added.
  Status AddPersonalApiKey(std::string_view raw_key, int64_t project_id);
  // A new project with the next id and this token (a random phc_ token when empty), and the
  // default apps (geoip), as PostHog turns its GeoIP app on for new projects. kInvalidArgument when another project has the token.
  Result<Project> CreateProject(std::string_view name, std::string_view project_token);

  // Feature flags of a project that are not deleted, by id.
  Result<std::vector<FeatureFlagRow>> FeatureFlags(int64_t project_id);
  // A project's flag by id, deleted or not; nullopt when it has none with this id.
  Result<std::optional<FeatureFlagRow>> FeatureFlag(int64_t project_id, int64_t flag_id);
  // Adds a flag (fills id, version, created_at, updated_at). kNotFound for an unknown
  // project; kInvalidArgument when a flag that is not deleted has the key.
  Status InsertFeatureFlag(FeatureFlagRow& flag);
  // Writes every field but id, project_id and created_at; bumps version and updated_at (both
  // filled in). kNotFound when the project has no such flag; kInvalidArgument for a key taken.
  Status UpdateFeatureFlag(FeatureFlagRow& flag);

  Result<std::vector<CohortRow>> Cohorts(int64_t project_id);
  // Adds a cohort (fills id, created_at). kNotFound for an unknown project.
  Status InsertCohort(CohortRow& cohort);
  // Adds people (person uuids) to a static cohort. kNotFound when it is not a static cohort.
  Status AddCohortPeople(int64_t cohort_id, const std::vector<std::string>& person_uuids);
  // The static cohorts of `cohort_ids` that hold the person.
  Result<std::vector<int64_t>> StaticCohortsOf(std::string_view person_uuid, const std::vector<int64_t>& cohort_ids);

  // Experience continuity (posthog_featureflaghashkeyoverride): the hash key each flag of
  // `flag_keys` uses for a distinct id, when one was pinned.
  Result<std::unordered_map<std::string, std::string>> HashKeyOverrides(int64_t project_id, std::string_view distinct_id);
  // Pins `hash_key` for the flags of `flag_keys` that have none for the distinct id yet.
  Status AddHashKeyOverrides(int64_t project_id, std::string_view distinct_id, std::string_view hash_key,
                             const std::vector<std::string>& flag_keys);

  // Web UI sessions (module ui). Starts one for `project_id` ending at `expires_at` and
  // returns its id (for the cookie) with the session. Ended sessions are removed first, and
  // past kMaxUiSessions of the project its oldest go: sign-ins cannot grow the table without
  // bound, and those of one project never end another's.
  static constexpr int64_t kMaxUiSessions = 1000;
  Result<std::pair<std::string, UiSession>> CreateUiSession(int64_t project_id, int64_t expires_at);
  // The session with this id that has not ended at `now`; nullopt otherwise.
  Result<std::optional<UiSession>> FindUiSession(std::string_view session_id, int64_t now);
  Status DeleteUiSession(std::string_view session_id);
  // Ends every session of the project but `except_session_id`'s ("" for none).
  Status DeleteUiSessions(int64_t project_id, std::string_view except_session_id);
  // The admin password's stored hash; "" before the first run set one.
  Result<std::string> AdminPasswordHash();
  // Stores the hash. With `only_if_unset` (the first run's form) nothing changes when a hash
  // is already stored, and the result says whether this call stored it.
  Result<bool> SetAdminPasswordHash(std::string_view hash, bool only_if_unset);

  // The highest migration applied.
  Result<int> SchemaVersion();

 private:
  explicit MetaStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status Migrate();
  // Project whose `column` equals `text`, or `number` when `text` is empty. Holds mu_.
  Result<std::optional<Project>> QueryProject(std::string_view column, std::string_view text,
                                              int64_t number);
  Status InsertPersonalApiKey(std::string_view raw_key, int64_t project_id, bool& added);
  // The apps a new project starts with, as PostHog's: geoip. Holds mu_, inside a transaction.
  Status InsertDefaultApps(int64_t project_id);
  Status LoadProjectCache();
  // Holds mu_. kInvalidArgument when a flag other than `except_id` that is not deleted has `key`.
  Status CheckFlagKeyFree(int64_t project_id, std::string_view key, int64_t except_id);
  void CacheProject(const Project& project);

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
  int64_t local_changes_ = 0;     // guarded by mu_

  mutable std::shared_mutex cache_mu_;
  std::unordered_map<std::string, Project> projects_by_token_;  // guarded by cache_mu_
};

// "sha256$" + hex SHA-256, the stored form of a personal API key.
std::string HashPersonalApiKey(std::string_view raw_key);

// A new project token: "phc_" and 43 random alphanumerics, like PostHog's.
std::string GenerateProjectToken();

}  // namespace hedgerow::meta
