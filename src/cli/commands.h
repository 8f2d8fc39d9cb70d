#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hedgerow/common/config.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::cli {

// Exit codes of every command: 0 done, 1 failed at run time, 2 bad usage or configuration
// (the message says what to fix).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Command {
  const char* name;
  const char* usage;
  const char* summary;
  std::vector<OptionSpec> (*options)();
  int (*run)(const std::vector<std::string>& args);
};

// Every command, in the order `hedgerow --help` lists them.
const std::vector<Command>& Commands();

// The command named `name`; it must exist.
const Command& FindCommand(std::string_view name);

// Every option of every command: the config file may hold any of them.
std::vector<OptionSpec> AllOptions();

// Loads the command's options from flags, environment and --config; on error prints one
// line to stderr and returns nullopt (the caller exits kExitUsage).
std::optional<Config> LoadConfigOrReport(const Command& command, const std::vector<std::string>& args);

// --data-dir for the commands that inspect or manage a server's data directory.
OptionSpec DataDirOption();
// --project ID: the project a management command works on (default 1).
OptionSpec ProjectOption();
// meta.sqlite of --data-dir, for the management commands; null (the error reported, naming
// `command`) when there is none or it cannot be opened.
std::unique_ptr<meta::MetaStore> OpenMetaOrReport(const Config& config, std::string_view command);

// Prints "hedgerow: <message>" to stderr.
void ReportError(const std::string& message);

std::vector<OptionSpec> ServeOptions();
int RunServe(const std::vector<std::string>& args);
int RunVersion(const std::vector<std::string>& args);
std::vector<OptionSpec> LogOptions();
std::vector<OptionSpec> AppsOptions();
int RunApps(const std::vector<std::string>& args);
std::vector<OptionSpec> FlagsOptions();
int RunFlags(const std::vector<std::string>& args);
std::vector<OptionSpec> QueryOptions();
int RunQuery(const std::vector<std::string>& args);
std::vector<OptionSpec> ExpectOptions();
std::vector<OptionSpec> BackupOptions();
std::vector<OptionSpec> DeletePersonOptions();
int RunDeletePerson(const std::vector<std::string>& args);
std::vector<OptionSpec> MigrateOptions();
int RunMigrate(const std::vector<std::string>& args);
std::vector<OptionSpec> ExportOptions();
int RunExport(const std::vector<std::string>& args);
int RunBackup(const std::vector<std::string>& args);
std::vector<OptionSpec> RestoreOptions();
int RunRestore(const std::vector<std::string>& args);
int RunExpect(const std::vector<std::string>& args);
int RunLog(const std::vector<std::string>& args);
std::vector<OptionSpec> StoreOptions();
int RunStore(const std::vector<std::string>& args);

}  // namespace hedgerow::cli
