// hedgerow expect --event NAME [--where SQL] [--count N] [--timeout 10s]: waits until a running
// server has the events an app's test expects, so a test suite can assert on its analytics.

#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "api_client.h"
#include "commands.h"
#include "hedgerow/query/parser.h"

namespace hedgerow::cli {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};

// "10s", "500ms", "2m" or a number of seconds; nullopt for anything else.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || value < 0) return std::nullopt;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  double ms = unit == "ms" ? value : unit == "s" || unit.empty() ? value * 1000 : unit == "m" ? value * 60000 : -1;
  if (ms < 0 || ms > 86400000.0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

// The first cell of the first row as a number (a count() answer).
std::optional<uint64_t> Count(const QueryAnswer& answer) {
  const rapidjson::Value& rows = answer.results();
  if (rows.Empty() || !rows[0].IsArray() || rows[0].Empty()) return std::nullopt;
  const rapidjson::Value& v = rows[0][0];
  if (v.IsUint64()) return v.GetUint64();
  if (v.IsString()) return std::stoull(v.GetString());  // UInt64 as a string, as some formats give it
  return std::nullopt;
}

// What the server has, for the failure message: the count without --where and the latest events.
void ReportWhatWasSeen(const ApiTarget& target, const std::string& event, bool has_where) {
  if (has_where) {
    if (auto all = RunRemoteQuery(target, "SELECT count() FROM events WHERE event = " + query::QuoteStringLiteral(event)); all.ok()) {
      if (auto n = Count(*all)) std::fprintf(stderr, "  %llu event(s) named \"%s\" without --where\n", static_cast<unsigned long long>(*n), event.c_str());
    }
  }
  auto latest = RunRemoteQuery(target, "SELECT event, distinct_id, timestamp, properties FROM events "
                                       "ORDER BY timestamp DESC LIMIT 5");
  if (!latest.ok()) return;
  if (latest->results().Empty()) {
    std::fprintf(stderr, "  the project has no events at all\n");
    return;
  }
  std::fprintf(stderr, "  the latest events of the project:\n");
  for (const auto& row : latest->results().GetArray()) {
    std::string properties = CellText(row[3]);
    if (properties.size() > 200) properties = properties.substr(0, 200) + "...";
    std::fprintf(stderr, "    %s  %s  distinct_id=%s  %s\n", CellText(row[2]).c_str(), CellText(row[0]).c_str(),
                 CellText(row[1]).c_str(), properties.c_str());
  }
}

}  // namespace

std::vector<OptionSpec> ExpectOptions() {
  std::vector<OptionSpec> options = ApiClientOptions("expect");
  options.push_back({.name = "event", .section = "expect", .default_value = "", .help = "the event's name (required)",
                     .value_name = "NAME"});
  options.push_back({.name = "where", .section = "expect", .default_value = "",
                     .help = "a HogQL condition the events must meet too, e.g. \"properties.plan = 'pro'\"",
                     .value_name = "SQL"});
  options.push_back({.name = "count", .section = "expect", .default_value = "1", .help = "how many such events at least",
                     .type = OptionType::kInt, .min = 1, .value_name = "N"});
  options.push_back({.name = "timeout", .section = "expect", .default_value = "10s",
                     .help = "how long to wait: 500ms, 10s, 2m", .value_name = "DURATION"});
  return options;
}

int RunExpect(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("expect"), args);
  if (!config) return kExitUsage;
  if (!config->positional().empty()) {
    ReportError(fmt::format("expect takes no arguments, got \"{}\"", config->positional()[0]));
    return kExitUsage;
  }
  const std::string event = config->GetString("event");
  if (event.empty()) {
    ReportError("expect: --event NAME is required");
    return kExitUsage;
  }
  std::optional<std::chrono::milliseconds> timeout = ParseDuration(config->GetString("timeout"));
  if (!timeout) {
    ReportError(fmt::format("expect: --timeout must be a duration such as 500ms, 10s or 2m, got \"{}\"",
                            config->GetString("timeout")));
    return kExitUsage;
  }
  Result<ApiTarget> target = ApiTargetFrom(*config);
  if (!target.ok()) {
    ReportError("expect: " + target.status().message());
    return kExitUsage;
  }
  const std::string where = config->GetString("where");
  const uint64_t wanted = static_cast<uint64_t>(config->GetInt("count"));
  std::string sql = "SELECT count() FROM events WHERE event = " + query::QuoteStringLiteral(event);
  if (!where.empty()) sql += " AND (" + where + ")";

  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  uint64_t seen = 0;
  Status last = Status::Ok();
  while (true) {
    Result<QueryAnswer> answer = RunRemoteQuery(*target, sql);
    if (answer.ok()) {
      last = Status::Ok();
      seen = Count(*answer).value_or(0);
      if (seen >= wanted) {
        std::printf("expect: %llu event(s) named \"%s\"%s\n", static_cast<unsigned long long>(seen), event.c_str(),
                    where.empty() ? "" : fmt::format(" where {}", where).c_str());
        return kExitOk;
      }
    } else if (answer.status().code() == StatusCode::kInvalidArgument) {
      // The server refused the query: a --where it cannot read, or a key it does not know.
      ReportError("expect: " + answer.status().message());
      return kExitUsage;
    } else {
      last = answer.status();  // not up yet, or restarting: tried again until the deadline
    }
    if (std::chrono::steady_clock::now() + kPollInterval > deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (!last.ok()) {
    ReportError("expect: " + last.message());
    return kExitFailure;
  }
  ReportError(fmt::format("expect: wanted {} event(s) named \"{}\"{} within {}, saw {}", wanted, event,
                          where.empty() ? "" : " where " + where, config->GetString("timeout"), seen));
  ReportWhatWasSeen(*target, event, !where.empty());
  return kExitFailure;
}

}  // namespace hedgerow::cli
