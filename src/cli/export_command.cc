// hedgerow export --format jsonl|csv "SQL": runs a query on a data dir's store in this process
// (no server needed, no row limit) and writes the whole result to stdout.

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/hogql.h"
#include "hedgerow/query/output_format.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/store.h"

namespace hedgerow::cli {
namespace {

// A running server may merge a part away while this process reads it (kNotFound): the store
// is opened again on what is then on disk, a few times.
constexpr int kAttempts = 3;

}  // namespace

std::vector<OptionSpec> ExportOptions() {
  return {DataDirOption(), ProjectOption(),
          {.name = "format", .section = "export", .default_value = "jsonl", .help = "output format",
           .choices = {"jsonl", "csv"}, .value_name = "FORMAT"}};
}

int RunExport(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("export"), args);
  if (!config) return kExitUsage;
  if (config->positional().size() != 1) {
    ReportError("export: expected one SQL statement, quoted: hedgerow export --format csv \"SELECT * FROM events\"");
    return kExitUsage;
  }
  const std::string store_dir = (std::filesystem::path(config->GetString("data-dir")) / "store").string();
  if (!std::filesystem::exists(store_dir)) {
    ReportError(fmt::format("export: no store in {}: is --data-dir the server's data directory?", config->GetString("data-dir")));
    return kExitFailure;
  }
  Result<query::Statement> statement = query::ParseStatement(config->positional()[0]);
  if (statement.ok() && statement->select) {
    if (Status sugar = query::ApplyHogQLSugar(*statement->select); !sugar.ok()) statement = sugar;
  }
  if (!statement.ok()) {
    ReportError("export: " + statement.status().message());
    return kExitUsage;
  }
  const std::string format = config->GetString("format") == "csv" ? "CSVWithNames" : "JSONEachRow";
  Status last = Status::Ok();
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto store = store::Store::Open({.dir = store_dir, .shards = 0, .read_only = true}, nullptr);
    if (!store.ok()) {
      ReportError("export: " + store.status().message());
      return kExitFailure;
    }
    query::QueryContext context{.store = store->get(), .team_id = config->GetInt("project")};
    Result<query::QueryResult> result = query::ExecuteStatement(*statement, context);
    if (!result.ok() && result.status().code() == StatusCode::kNotFound) {
      last = result.status();
      continue;
    }
    if (!result.ok()) {
      ReportError("export: " + result.status().message());
      return kExitUsage;
    }
    Result<query::FormattedResult> out = query::FormatResult(*result, format);
    if (!out.ok()) {
      ReportError("export: " + out.status().message());
      return kExitFailure;
    }
    if (std::fwrite(out->body.data(), 1, out->body.size(), stdout) != out->body.size() || std::fflush(stdout) != 0) {
      ReportError("export: cannot write the output");
      return kExitFailure;
    }
    return kExitOk;
  }
  ReportError("export: the server kept merging the parts being read; try again: " + last.message());
  return kExitFailure;
}

}  // namespace hedgerow::cli
