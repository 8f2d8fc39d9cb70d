// hedgerow flags list | create KEY | set KEY | delete KEY: a project's feature flags in
// meta.sqlite, checked as the flag management API checks them. A running server sees the
// change within its flags cache's recheck interval (100 ms).

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/flags/definition.h"
#include "hedgerow/http/response.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::cli {
namespace {

void PrintFlag(const meta::FeatureFlagRow& f) {
  std::printf("{\"id\":%lld,\"key\":%s,\"name\":%s,\"active\":%s,\"version\":%lld,\"filters\":%s}\n",
              static_cast<long long>(f.id), http::JsonQuote(f.key).c_str(), http::JsonQuote(f.name).c_str(),
              f.active ? "true" : "false", static_cast<long long>(f.version), f.filters.c_str());
}

// --rollout, --filters, --name and --active onto `row`; an error message when one is wrong.
std::optional<std::string> ApplyOptions(const Config& config, meta::FeatureFlagRow& row) {
  if (config.IsSet("filters") && config.IsSet("rollout")) return "give --filters or --rollout, not both";
  if (config.IsSet("rollout")) {
    const std::string& text = config.GetString("rollout");
    char* end = nullptr;
    double pct = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !(pct >= 0 && pct <= 100)) {
      return fmt::format("--rollout must be a percentage from 0 to 100, not \"{}\"", text);
    }
    row.filters = fmt::format(R"({{"groups":[{{"properties":[],"rollout_percentage":{}}}]}})", pct);
  }
  if (config.IsSet("filters")) row.filters = config.GetString("filters");
  if (config.IsSet("name")) row.name = config.GetString("name");
  if (config.IsSet("active")) {
    const std::string& active = config.GetString("active");
    if (active != "true" && active != "false") return "--active must be true or false";
    row.active = active == "true";
  }
  Result<flags::FlagDefinition> compiled = flags::CompileFlag(row);
  Status valid = compiled.ok() ? flags::CheckFlagForWrite(*compiled) : compiled.status();
  if (!valid.ok()) return fmt::format("flag \"{}\": {}", row.key, valid.message());
  return std::nullopt;
}

}  // namespace

std::vector<OptionSpec> FlagsOptions() {
  return {
      DataDirOption(),
      ProjectOption(),
      {.name = "rollout", .section = "flags", .default_value = "",
       .help = "create/set: one condition set for everyone, on for this percentage", .value_name = "PCT"},
      {.name = "filters", .section = "flags", .default_value = "",
       .help = "create/set: the flag's filters as PostHog's API takes them", .value_name = "JSON"},
      {.name = "name", .section = "flags", .default_value = "", .help = "create/set: the flag's name", .value_name = "NAME"},
      {.name = "active", .section = "flags", .default_value = "", .help = "create/set: true or false",
       .value_name = "BOOL"},
  };
}

int RunFlags(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("flags"), args);
  if (!config) return kExitUsage;
  const auto& pos = config->positional();
  const bool list = !pos.empty() && pos[0] == "list" && pos.size() == 1;
  const bool keyed = pos.size() == 2 && (pos[0] == "create" || pos[0] == "set" || pos[0] == "delete");
  if (!list && !keyed) {
    ReportError("flags: expected \"list\", \"create KEY\", \"set KEY\" or \"delete KEY\"; see hedgerow flags --help");
    return kExitUsage;
  }
  std::unique_ptr<meta::MetaStore> meta = OpenMetaOrReport(*config, "flags");
  if (!meta) return kExitFailure;
  const int64_t project = config->GetInt("project");
  auto flags = meta->FeatureFlags(project);
  if (!flags.ok()) {
    ReportError(flags.status().message());
    return kExitFailure;
  }
  if (list) {
    for (const meta::FeatureFlagRow& f : *flags) PrintFlag(f);
    return kExitOk;
  }
  const std::string& key = pos[1];
  meta::FeatureFlagRow row;
  bool found = false;
  for (const meta::FeatureFlagRow& f : *flags) {
    if (f.key == key) row = f, found = true;
  }
  Status written;
  if (pos[0] == "create") {
    if (Status s = flags::CheckFlagKey(key); !s.ok()) {
      ReportError(fmt::format("flags: \"{}\": {}", key, s.message()));
      return kExitUsage;
    }
    row = meta::FeatureFlagRow();
    row.project_id = project;
    row.key = key;
    row.filters = R"({"groups":[{"properties":[],"rollout_percentage":null}]})";
    if (std::optional<std::string> bad = ApplyOptions(*config, row)) {
      ReportError("flags: " + *bad);
      return kExitUsage;
    }
    written = meta->InsertFeatureFlag(row);
  } else if (!found) {
    ReportError(fmt::format("flags: project {} has no flag \"{}\" (see hedgerow flags list)", project, key));
    return kExitUsage;
  } else if (pos[0] == "set") {
    if (std::optional<std::string> bad = ApplyOptions(*config, row)) {
      ReportError("flags: " + *bad);
      return kExitUsage;
    }
    written = meta->UpdateFeatureFlag(row);
  } else {
    row.deleted = true;
    written = meta->UpdateFeatureFlag(row);
  }
  if (!written.ok()) {
    ReportError("flags: " + written.message());
    return written.code() == StatusCode::kInvalidArgument || written.code() == StatusCode::kNotFound ? kExitUsage
                                                                                                     : kExitFailure;
  }
  PrintFlag(row);
  return kExitOk;
}

}  // namespace hedgerow::cli
