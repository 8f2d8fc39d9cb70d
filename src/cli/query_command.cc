// hedgerow query "SQL": runs a query on a running server through its query API and prints
// the result as a table, JSON, JSON lines, CSV or TSV.

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "api_client.h"
#include "commands.h"
#include "hedgerow/common/json.h"

namespace hedgerow::cli {
namespace {

void PrintPretty(const rapidjson::Value& columns, const rapidjson::Value& rows) {
  std::vector<size_t> width;
  for (const auto& c : columns.GetArray()) width.push_back(CellText(c).size());
  for (const auto& row : rows.GetArray()) {
    for (size_t i = 0; i < row.Size() && i < width.size(); ++i) width[i] = std::max(width[i], CellText(row[i]).size());
  }
  auto line = [&](auto cell) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string text = cell(i);
      out += (i ? " | " : "") + text + std::string(width[i] - std::min(width[i], text.size()), ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line([&](size_t i) { return CellText(columns[static_cast<rapidjson::SizeType>(i)]); });
  line([&](size_t i) { return std::string(width[i], '-'); });
  for (const auto& row : rows.GetArray()) line([&](size_t i) { return CellText(row[static_cast<rapidjson::SizeType>(i)]); });
}

std::string Csv(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Tsv(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

}  // namespace

std::vector<OptionSpec> QueryOptions() {
  std::vector<OptionSpec> options = ApiClientOptions("query");
  options.push_back({.name = "format", .section = "query", .default_value = "pretty", .help = "output format",
                     .choices = {"pretty", "json", "jsonl", "csv", "tsv"}, .value_name = "FORMAT"});
  return options;
}

int RunQuery(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("query"), args);
  if (!config) return kExitUsage;
  if (config->positional().size() != 1) {
    ReportError("query: expected one SQL statement, quoted: hedgerow query \"SELECT count() FROM events\"");
    return kExitUsage;
  }
  Result<ApiTarget> target = ApiTargetFrom(*config);
  if (!target.ok()) {
    ReportError("query: " + target.status().message());
    return kExitUsage;
  }
  Result<QueryAnswer> answer = RunRemoteQuery(*target, config->positional()[0]);
  if (!answer.ok()) {
    ReportError("query: " + answer.status().message());
    return kExitFailure;
  }
  const rapidjson::Value& columns = answer->columns();
  const rapidjson::Value& rows = answer->results();
  const std::string format = config->GetString("format");
  if (format == "json") {
    std::printf("%s\n", answer->body.c_str());
  } else if (format == "pretty") {
    PrintPretty(columns, rows);
  } else {
    if (format != "jsonl") {
      std::string header;
      for (const auto& c : columns.GetArray()) header += (header.empty() ? "" : format == "csv" ? "," : "\t") + (format == "csv" ? Csv(CellText(c)) : Tsv(CellText(c)));
      std::printf("%s\n", header.c_str());
    }
    for (const auto& row : rows.GetArray()) {
      std::string line = format == "jsonl" ? "{" : "";
      for (rapidjson::SizeType i = 0; i < row.Size() && i < columns.Size(); ++i) {
        if (format == "jsonl") {
          if (i > 0) line += ',';
          AppendJsonString(line, CellText(columns[i]));
          line += ':' + WriteJson(row[i]);
        } else if (format == "csv") {
          line += (i ? "," : "") + (row[i].IsNumber() ? CellText(row[i]) : Csv(CellText(row[i])));
        } else {
          line += (i ? "\t" : "") + Tsv(CellText(row[i]));
        }
      }
      std::printf("%s\n", (format == "jsonl" ? line + "}" : line).c_str());
    }
  }
  return kExitOk;
}

}  // namespace hedgerow::cli
