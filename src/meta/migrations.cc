#include "migrations.h"

namespace hedgerow::meta {

std::span<const SqliteMigration> MetaMigrations() {
  static const SqliteMigration kMigrations[] = {
      {1, "projects",
       "CREATE TABLE projects ("
       "  id INTEGER PRIMARY KEY,"
       "  name TEXT NOT NULL,"
       "  api_token TEXT NOT NULL UNIQUE,"
       "  anonymize_ips INTEGER NOT NULL DEFAULT 0,"
       "  created_at INTEGER NOT NULL)"},
      {2, "personal_api_keys",
       "CREATE TABLE personal_api_keys ("
       "  id INTEGER PRIMARY KEY,"
       "  label TEXT NOT NULL,"
       "  secure_value TEXT NOT NULL UNIQUE,"
       "  mask_value TEXT NOT NULL,"
       "  created_at INTEGER NOT NULL)"},
      {3, "apps",
       "CREATE TABLE apps ("
       "  id INTEGER PRIMARY KEY,"
       "  project_id INTEGER NOT NULL REFERENCES projects(id),"
       "  position INTEGER NOT NULL,"
       "  kind TEXT NOT NULL,"
       "  config TEXT NOT NULL)"},
      // A key reads one project's data (PostHog's scoped keys): keys made before this belong
      // to project 1, the only project there was.
      {4, "personal_api_keys.project_id",
       "ALTER TABLE personal_api_keys ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1"},
      // PostHog's posthog_featureflag, posthog_cohort, posthog_cohortpeople and
      // posthog_featureflaghashkeyoverride (keyed here by distinct id, not person).
      {5, "feature_flags",
       "CREATE TABLE feature_flags ("
       "  id INTEGER PRIMARY KEY,"
       "  project_id INTEGER NOT NULL REFERENCES projects(id),"
       "  key TEXT NOT NULL,"
       "  name TEXT NOT NULL,"
       "  filters TEXT NOT NULL,"
       "  active INTEGER NOT NULL,"
       "  deleted INTEGER NOT NULL,"
       "  ensure_experience_continuity INTEGER NOT NULL,"
       "  version INTEGER NOT NULL,"
       "  created_at INTEGER NOT NULL,"
       "  updated_at INTEGER NOT NULL);"
       "CREATE UNIQUE INDEX feature_flags_live_key ON feature_flags (project_id, key) WHERE deleted = 0;"
       "CREATE TABLE cohorts ("
       "  id INTEGER PRIMARY KEY,"
       "  project_id INTEGER NOT NULL REFERENCES projects(id),"
       "  name TEXT NOT NULL,"
       "  filters TEXT NOT NULL,"
       "  is_static INTEGER NOT NULL,"
       "  created_at INTEGER NOT NULL);"
       "CREATE TABLE cohort_people ("
       "  cohort_id INTEGER NOT NULL REFERENCES cohorts(id),"
       "  person_uuid TEXT NOT NULL,"
       "  PRIMARY KEY (person_uuid, cohort_id)) WITHOUT ROWID;"
       "CREATE TABLE flag_hash_key_overrides ("
       "  project_id INTEGER NOT NULL,"
       "  distinct_id TEXT NOT NULL,"
       "  flag_key TEXT NOT NULL,"
       "  hash_key TEXT NOT NULL,"
       "  PRIMARY KEY (project_id, distinct_id, flag_key)) WITHOUT ROWID;"},
      // The web UI's sign-in: sessions (the cookie's SHA-256, never the cookie) and the
      // first-run admin password (a PBKDF2 hash in Django's format, as PostHog stores them).
      {6, "ui_sessions",
       "CREATE TABLE ui_sessions ("
       "  id_hash TEXT PRIMARY KEY,"
       "  project_id INTEGER NOT NULL REFERENCES projects(id),"
       "  csrf_token TEXT NOT NULL,"
       "  created_at INTEGER NOT NULL,"
       "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
       "CREATE TABLE admin_password ("
       "  id INTEGER PRIMARY KEY CHECK (id = 1),"
       "  hash TEXT NOT NULL,"
       "  updated_at INTEGER NOT NULL);"},
  };
  return kMigrations;
}

}  // namespace hedgerow::meta
