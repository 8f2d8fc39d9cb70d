#include "team_resolver.h"

#include "hedgerow/common/log.h"

namespace hedgerow::server {

std::optional<ingest::Team> TeamResolver::Resolve(std::string_view token) {
  std::optional<meta::Project> project = meta_->FindProjectByToken(token);
  if (!project) return std::nullopt;
  return ingest::Team{project->id, project->anonymize_ips, AppsOf(project->id)};
}

std::shared_ptr<const ingest::AppChain> TeamResolver::AppsOf(int64_t project_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now >= next_check_) {
    next_check_ = now + std::chrono::seconds(1);
    Result<int64_t> changes = meta_->ChangeCounter();
    if (changes.ok() && *changes != seen_changes_) {
      seen_changes_ = *changes;
      chains_.clear();
    }
  }
  auto it = chains_.find(project_id);
  if (it != chains_.end()) return it->second;
  auto chain = std::make_shared<ingest::AppChain>();
  Result<std::vector<meta::AppConfig>> configs = meta_->Apps(project_id);
  if (!configs.ok()) {
    LogWarn("ingest", "cannot read apps; running without them", {{"project_id", project_id},
                                                                  {"error", configs.status().ToString()}});
  } else {
    for (const meta::AppConfig& config : *configs) {
      Result<std::unique_ptr<ingest::App>> app = ingest::MakeApp(config.kind, config.config, resources_);
      if (!app.ok()) {
        LogWarn("ingest", "skipping a misconfigured app", {{"project_id", project_id}, {"app_id", config.id},
                                                           {"error", app.status().message()}});
        continue;
      }
      chain->apps.push_back(std::move(app).value());
    }
  }
  std::shared_ptr<const ingest::AppChain> result = chain->apps.empty() ? nullptr : std::move(chain);
  chains_[project_id] = result;
  return result;
}

}  // namespace hedgerow::server
