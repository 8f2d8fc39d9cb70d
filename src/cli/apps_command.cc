// hedgerow apps list | add KIND [--app-config JSON] | remove ID: a project's transformation
// apps in meta.sqlite. A running server picks changes up within a second.

#include <charconv>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/http/response.h"
#include "hedgerow/ingest/apps.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::cli {

std::vector<OptionSpec> AppsOptions() {
  return {
      DataDirOption(),
      ProjectOption(),
      {.name = "app-config", .section = "apps", .default_value = "{}", .help = "add: the app's JSON settings",
       .value_name = "JSON"},
  };
}

int RunApps(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("apps"), args);
  if (!config) return kExitUsage;
  const auto& pos = config->positional();
  bool ok_shape = !pos.empty() && ((pos[0] == "list" && pos.size() == 1) || (pos[0] == "add" && pos.size() == 2) ||
                                   (pos[0] == "remove" && pos.size() == 2));
  if (!ok_shape) {
    ReportError("apps: expected \"list\", \"add KIND\" or \"remove ID\"; see hedgerow apps --help");
    return kExitUsage;
  }
  std::unique_ptr<meta::MetaStore> meta = OpenMetaOrReport(*config, "apps");
  if (!meta) return kExitFailure;
  const int64_t project = config->GetInt("project");
  if (pos[0] == "list") {
    auto apps = meta->Apps(project);
    if (!apps.ok()) {
      ReportError(apps.status().message());
      return kExitFailure;
    }
    for (const meta::AppConfig& a : *apps) {
      std::printf("{\"id\":%lld,\"project_id\":%lld,\"position\":%lld,\"kind\":%s,\"config\":%s}\n",
                  static_cast<long long>(a.id), static_cast<long long>(a.project_id),
                  static_cast<long long>(a.position), http::JsonQuote(a.kind).c_str(), a.config.c_str());
    }
    return kExitOk;
  }
  if (pos[0] == "add") {
    // Refuse what the pipeline would have to skip: check the app builds from its config.
    auto check = ingest::MakeApp(pos[1], config->GetString("app-config"));
    if (!check.ok()) {
      ReportError(check.status().message());
      return kExitUsage;
    }
    meta::AppConfig app{0, project, 0, pos[1], config->GetString("app-config")};
    Status s = meta->AddApp(app);
    if (!s.ok()) {
      ReportError(s.message());
      return s.code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
    }
    std::printf("{\"id\":%lld,\"position\":%lld}\n", static_cast<long long>(app.id), static_cast<long long>(app.position));
    return kExitOk;
  }
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(pos[1].data(), pos[1].data() + pos[1].size(), id);
  if (ec != std::errc() || ptr != pos[1].data() + pos[1].size()) {
    ReportError(fmt::format("apps: \"{}\" is not an app id", pos[1]));
    return kExitUsage;
  }
  Status s = meta->RemoveApp(id);
  if (!s.ok()) {
    ReportError(s.message());
    return s.code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
  }
  return kExitOk;
}

}  // namespace hedgerow::cli
