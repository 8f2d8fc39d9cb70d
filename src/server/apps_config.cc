#include "apps_config.h"

#include <rapidjson/document.h>

#include <charconv>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/ingest/apps.h"

namespace hedgerow::server {

Status ApplyAppsConfig(meta::MetaStore& meta, std::string_view json) {
  if (JsonNestsDeeperThan(json)) {
    return Status::InvalidArgument(fmt::format("apps: the JSON nests deeper than {} levels", kMaxJsonDepth));
  }
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument("apps: expected a JSON object of project id to a list of apps");
  }
  std::vector<std::pair<int64_t, std::vector<meta::AppConfig>>> projects;
  for (const auto& project : doc.GetObject()) {
    std::string_view id_text(project.name.GetString(), project.name.GetStringLength());
    int64_t project_id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), project_id);
    if (ec != std::errc() || end != id_text.data() + id_text.size() || project_id <= 0) {
      return Status::InvalidArgument(fmt::format("apps: \"{}\" is not a project id", id_text));
    }
    if (!project.value.IsArray()) {
      return Status::InvalidArgument(fmt::format("apps: project {}: expected a list of apps", project_id));
    }
    std::vector<meta::AppConfig> apps;
    for (const auto& entry : project.value.GetArray()) {
      size_t position = apps.size() + 1;
      if (!entry.IsObject() || !entry.HasMember("kind") || !entry["kind"].IsString()) {
        return Status::InvalidArgument(fmt::format("apps: project {}, app {}: expected {{\"kind\":..., \"config\":{{...}}}}",
                                                   project_id, position));
      }
      meta::AppConfig app{.project_id = project_id, .kind = entry["kind"].GetString()};
      if (auto it = entry.FindMember("config"); it != entry.MemberEnd()) app.config = WriteJson(it->value);
      auto built = ingest::MakeApp(app.kind, app.config);
      if (!built.ok()) {
        return Status::InvalidArgument(
            fmt::format("apps: project {}, app {} ({}): {}", project_id, position, app.kind, built.status().message()));
      }
      apps.push_back(std::move(app));
    }
    projects.emplace_back(project_id, std::move(apps));
  }
  for (const auto& [project_id, apps] : projects) {
    Status s = meta.ReplaceApps(project_id, apps);
    if (s.code() == StatusCode::kNotFound) return Status::InvalidArgument("apps: " + s.message());
    HEDGEROW_RETURN_IF_ERROR(s);
    LogInfo("server", "apps configured", {{"project_id", project_id}, {"apps", static_cast<uint64_t>(apps.size())}});
  }
  return Status::Ok();
}

}  // namespace hedgerow::server
