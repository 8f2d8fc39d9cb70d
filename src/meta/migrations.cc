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
  };
  return kMigrations;
}

}  // namespace hedgerow::meta
