// hedgerow backup DIR (a running server writes an online backup) and hedgerow restore DIR
// (into a new data dir, server stopped). What a backup holds: include/hedgerow/server/backup.h.

#include <rapidjson/document.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "api_client.h"
#include "commands.h"
#include "hedgerow/common/json.h"
#include "hedgerow/server/backup.h"

namespace hedgerow::cli {

std::vector<OptionSpec> BackupOptions() { return ApiClientOptions("backup"); }

int RunBackup(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("backup"), args);
  if (!config) return kExitUsage;
  if (config->positional().size() != 1) {
    ReportError("backup: expected the directory to write, which must not exist: hedgerow backup /backups/2026-12-07");
    return kExitUsage;
  }
  Result<ApiTarget> target = ApiTargetFrom(*config);
  if (!target.ok()) {
    ReportError("backup: " + target.status().message());
    return kExitUsage;
  }
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(config->positional()[0], ec).lexically_normal().string();
  std::string body = R"({"dir":)";
  AppendJsonString(body, dir);
  body += "}";
  Result<ApiReply> reply = Post(*target, "/api/backup/", body);
  if (!reply.ok()) {
    ReportError("backup: " + reply.status().message());
    return kExitFailure;
  }
  rapidjson::Document doc;
  doc.Parse(reply->body.data(), reply->body.size());
  if (reply->status != 200) {
    std::string detail = doc.IsObject() && doc.HasMember("detail") && doc["detail"].IsString() ? doc["detail"].GetString()
                                                                                                 : reply->body;
    ReportError(fmt::format("{} (HTTP {})", detail, reply->status));
    return reply->status == 400 || reply->status == 401 || reply->status == 403 ? kExitUsage : kExitFailure;
  }
  std::printf("%s\n", reply->body.c_str());
  return kExitOk;
}

std::vector<OptionSpec> RestoreOptions() { return {DataDirOption()}; }

int RunRestore(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("restore"), args);
  if (!config) return kExitUsage;
  if (config->positional().size() != 1) {
    ReportError("restore: expected the backup directory: hedgerow restore /backups/2026-12-07 --data-dir ./data");
    return kExitUsage;
  }
  const std::string data_dir = config->GetString("data-dir");
  Status restored = server::RestoreBackup(config->positional()[0], data_dir);
  if (!restored.ok()) {
    ReportError(restored.message());
    return restored.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::printf("restored %s into %s; start it with: hedgerow serve --data-dir %s\n", config->positional()[0].c_str(),
              data_dir.c_str(), data_dir.c_str());
  return kExitOk;
}

}  // namespace hedgerow::cli
