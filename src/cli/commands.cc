#include "commands.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

namespace hedgerow::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"serve", "hedgerow serve [OPTIONS]",
       "Runs the server: capture and API on --listen, data in --data-dir.", &ServeOptions, &RunServe},
      {"log", "hedgerow log topics|lag|tail TOPIC [--from OFFSET] [--follow] [--data-dir DIR]",
       "Inspects the log: topics with record counts, consumer lag, or a topic's records as JSON lines.",
       &LogOptions, &RunLog},
      {"store", "hedgerow store parts | check | merge [--table T] [--data-dir DIR]",
       "Inspects the store: active parts as JSON lines (like system.parts), a check of every part (checksums, "
       "marks, meta.json; exits 0 when every part is whole, 1 when any is damaged, 2 on bad usage), "
       "or merges each partition's parts (server stopped).",
       &StoreOptions, &RunStore},
      {"apps", "hedgerow apps list | add KIND [--app-config JSON] | remove ID [--project ID] [--data-dir DIR]",
       "Manages a project's transformation apps: geoip, user_agent, property_filter, property_remover, "
       "property_renamer, taxonomy, first_time_event.",
       &AppsOptions, &RunApps},
      {"flags",
       "hedgerow flags list | create KEY | set KEY | delete KEY [--rollout PCT] [--filters JSON] [--name NAME] "
       "[--active true|false] [--project ID] [--data-dir DIR]",
       "Manages a project's feature flags (as /api/projects/:id/feature_flags/ does); a running server serves "
       "the change within a second. create without --filters or --rollout makes a flag on for everyone.",
       &FlagsOptions, &RunFlags},
      {"query", "hedgerow query [--url http://HOST:PORT] [--api-key phx_...] [--format pretty|json|jsonl|csv|tsv] \"SQL\"",
       "Runs a query on a running server (its query API) and prints the result; exit 1 naming the error.",
       &QueryOptions, &RunQuery},
      {"expect",
       "hedgerow expect [--url URL] [--api-key phx_...] --event NAME [--where SQL] [--count N] [--timeout 10s]",
       "Waits until a running server has at least N events named NAME (meeting --where): exit 0 when they are "
       "there, 1 with what it saw when the timeout passes, 2 on bad usage. For an app's tests.",
       &ExpectOptions, &RunExpect},
      {"backup", "hedgerow backup DIR [--url URL] [--api-key phx_...]",
       "Has the running server write a consistent online backup to DIR (a new directory on its machine): the "
       "log's checkpoint, meta and persons, hard links of the store's parts.",
       &BackupOptions, &RunBackup},
      {"restore", "hedgerow restore DIR [--data-dir DIR]",
       "Copies a backup into a new, empty data dir (server stopped); start the server on it afterwards.",
       &RestoreOptions, &RunRestore},
      {"export", "hedgerow export [--format jsonl|csv] [--project ID] [--data-dir DIR] \"SQL\"",
       "Runs a query on the data dir's store in this process (whether or not a server runs on it; no row limit) "
       "and writes every row to stdout as JSON lines or CSV with a header.",
       &ExportOptions, &RunExport},
      {"migrate", "hedgerow migrate --to-clickhouse URL[,URL] --clickhouse-cluster NAME [--data-dir DIR]",
       "Copies the data dir's store into a ClickHouse cluster (server stopped; resumable), verifies row counts and "
       "checksums, and sets the log offsets the cluster's sinks go on from: then serve --store-backend clickhouse.",
       &MigrateOptions, &RunMigrate},
      {"delete-person", "hedgerow delete-person DISTINCT_ID [--url URL] [--api-key phx_...] [--project ID]",
       "Deletes the person a distinct id belongs to, all its distinct ids and all its events, on a running server "
       "(GDPR). Events of those ids captured later make a new person.",
       &DeletePersonOptions, &RunDeletePerson},
      {"version", "hedgerow version", "Prints the version.",
       [] { return std::vector<OptionSpec>{}; }, &RunVersion},
  };
  return kCommands;
}

const Command& FindCommand(std::string_view name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return c;
  }
  std::abort();  // a command asked for itself by a name not in the table: a bug
}

std::vector<OptionSpec> AllOptions() {
  std::vector<OptionSpec> all;
  for (const Command& c : Commands()) {
    for (OptionSpec& o : c.options()) {
      bool seen = false;
      for (const OptionSpec& a : all) seen = seen || a.name == o.name;
      if (!seen) all.push_back(std::move(o));
    }
  }
  return all;
}

OptionSpec ProjectOption() {
  return {.name = "project", .section = "apps", .default_value = "1", .help = "project to manage",
          .type = OptionType::kInt, .min = 1, .value_name = "ID"};
}

std::unique_ptr<meta::MetaStore> OpenMetaOrReport(const Config& config, std::string_view command) {
  std::string path = (std::filesystem::path(config.GetString("data-dir")) / "meta.sqlite").string();
  if (!std::filesystem::exists(path)) {
    ReportError(fmt::format("{}: no meta.sqlite in \"{}\" (is --data-dir right?)", command, config.GetString("data-dir")));
    return nullptr;
  }
  auto meta = meta::MetaStore::Open(path);
  if (!meta.ok()) {
    ReportError(meta.status().message());
    return nullptr;
  }
  return std::move(*meta);
}

OptionSpec DataDirOption() {
  return {.name = "data-dir", .section = "server", .default_value = "./data",
          .help = "data directory of the server", .value_name = "DIR"};
}

void ReportError(const std::string& message) {
  std::fprintf(stderr, "hedgerow: %s\n", message.c_str());
}

std::optional<Config> LoadConfigOrReport(const Command& command, const std::vector<std::string>& args) {
  std::vector<OptionSpec> own = command.options();
  std::vector<OptionSpec> all = AllOptions();
  Result<Config> config = Config::Load(own, all, command.name, args, ProcessEnvironment());
  if (!config.ok()) {
    ReportError(config.status().message());
    return std::nullopt;
  }
  return std::move(config).value();
}

int RunVersion(const std::vector<std::string>& args) {
  if (!args.empty()) {
    ReportError(fmt::format("version takes no arguments, got \"{}\"", args[0]));
    return kExitUsage;
  }
  std::printf("hedgerow %s\n", HEDGEROW_VERSION);
  return kExitOk;
}

}  // namespace hedgerow::cli
