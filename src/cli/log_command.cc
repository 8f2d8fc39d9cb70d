// hedgerow log topics | lag | tail TOPIC: inspect the log like kafka-topics and kcat, on a
// data dir whether or not a server is running on it (a RocksDB secondary instance reads it
// without taking its lock or writing to it).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/common/json.h"
#include "hedgerow/log/log.h"

namespace hedgerow::cli {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void PrintLine(rapidjson::StringBuffer& buffer) {
  std::fwrite(buffer.GetString(), 1, buffer.GetSize(), stdout);
  std::fputc('\n', stdout);
  buffer.Clear();
}

void WriteString(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

int PrintTopics(log::Log& log) {
  rapidjson::StringBuffer buffer;
  for (const log::TopicConfig& topic : log.Topics()) {
    auto partitions = log.Partitions(topic.name);
    if (!partitions.ok()) {
      ReportError(partitions.status().message());
      return kExitFailure;
    }
    uint64_t records = 0, bytes = 0;
    for (const auto& p : *partitions) {
      records += p.end - p.start;
      bytes += p.bytes;
    }
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("topic");
    WriteString(w, topic.name);
    w.Key("partitions");
    w.Uint(topic.partitions);
    w.Key("records");
    w.Uint64(records);
    w.Key("bytes");
    w.Uint64(bytes);
    w.Key("retention_ms");
    w.Int64(topic.retention_ms);
    w.EndObject();
    PrintLine(buffer);
  }
  return kExitOk;
}

int PrintLag(log::Log& log) {
  auto lag = log.Lag();
  if (!lag.ok()) {
    ReportError(lag.status().message());
    return kExitFailure;
  }
  rapidjson::StringBuffer buffer;
  for (const log::PartitionLag& l : *lag) {
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("group");
    WriteString(w, l.group);
    w.Key("topic");
    WriteString(w, l.topic);
    w.Key("partition");
    w.Uint(l.partition);
    w.Key("committed");
    w.Uint64(l.committed);
    w.Key("end");
    w.Uint64(l.end);
    w.Key("lag");
    w.Uint64(l.lag());
    w.EndObject();
    PrintLine(buffer);
  }
  return kExitOk;
}

// Prints records of every partition from `from[p]` on, advancing `from`.
Status PrintNewRecords(log::Log& log, const std::string& topic, std::vector<log::Offset>& from) {
  rapidjson::StringBuffer buffer;
  for (uint32_t p = 0; p < from.size(); ++p) {
    while (true) {
      Result<log::FetchResult> batch = log.Fetch(topic, p, from[p], 1000, 4 << 20);
      if (!batch.ok() && batch.status().code() == StatusCode::kNotFound) {
        // --from (or a follower that fell behind) points before the log start: resume there.
        auto parts = log.Partitions(topic);
        if (!parts.ok()) return parts.status();
        if (from[p] >= (*parts)[p].start) return batch.status();
        from[p] = (*parts)[p].start;
        continue;
      }
      if (!batch.ok()) return batch.status();
      if (batch->records.empty()) break;
      for (const log::StoredRecord& r : batch->records) {
        JsonWriter w(buffer);
        w.StartObject();
        w.Key("topic");
        WriteString(w, topic);
        w.Key("partition");
        w.Uint(r.partition);
        w.Key("offset");
        w.Uint64(r.offset);
        w.Key("timestamp");
        w.Int64(r.record.timestamp_ms);
        w.Key("key");
        WriteString(w, r.record.key);
        w.Key("value");
        // A JSON value is shown as JSON, anything else as a string, like kcat -J.
        if (IsJson(r.record.value)) {
          w.RawValue(r.record.value.data(), r.record.value.size(), rapidjson::kObjectType);
        } else {
          WriteString(w, r.record.value);
        }
        w.EndObject();
        PrintLine(buffer);
        from[p] = r.offset + 1;
      }
    }
  }
  std::fflush(stdout);
  return Status::Ok();
}

int Tail(log::Log& log, const std::string& topic, log::Offset from_offset, bool follow) {
  auto config = log.Topic(topic);
  if (!config.ok()) {
    ReportError(config.status().message());
    return kExitFailure;
  }
  std::vector<log::Offset> from(config->partitions, from_offset);
  while (true) {
    Status s = PrintNewRecords(log, topic, from);
    if (!s.ok()) {
      ReportError(s.message());
      return kExitFailure;
    }
    if (!follow) return kExitOk;
    // A secondary instance cannot be woken by the server's writes: poll for them.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    s = log.CatchUp();
    if (!s.ok()) {
      ReportError(s.message());
      return kExitFailure;
    }
  }
}

}  // namespace

std::vector<OptionSpec> LogOptions() {
  return {
      DataDirOption(),
      {.name = "from", .section = "log", .default_value = "0", .help = "tail: first offset of each partition",
       .type = OptionType::kInt, .min = 0, .value_name = "OFFSET"},
      {.name = "follow", .section = "log", .default_value = "false", .help = "tail: keep printing new records",
       .type = OptionType::kBool},
  };
}

int RunLog(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("log"), args);
  if (!config) return kExitUsage;
  const auto& pos = config->positional();
  bool tail = !pos.empty() && pos[0] == "tail";
  if (pos.empty() || (pos[0] != "topics" && pos[0] != "lag" && !tail) || (tail && pos.size() != 2) ||
      (!tail && pos.size() != 1)) {
    ReportError("log: expected \"topics\", \"lag\" or \"tail TOPIC\"; see hedgerow log --help");
    return kExitUsage;
  }
  std::string dir = (std::filesystem::path(config->GetString("data-dir")) / "log").string();
  auto log = log::Log::OpenForInspection(dir);
  if (!log.ok()) {
    ReportError(log.status().message());
    return kExitFailure;
  }
  if (pos[0] == "topics") return PrintTopics(**log);
  if (pos[0] == "lag") return PrintLag(**log);
  return Tail(**log, pos[1], static_cast<log::Offset>(config->GetInt("from")), config->GetBool("follow"));
}

}  // namespace hedgerow::cli
