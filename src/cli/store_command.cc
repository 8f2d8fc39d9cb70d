// hedgerow store parts | check | merge: the store's system.parts, a check of every part's
// files (CheckPart), and OPTIMIZE. parts and check read the immutable parts whether or not a
// server is running; merge rewrites parts, so it takes the data dir's lock (the server must
// be stopped).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/server/data_dir_lock.h"
#include "hedgerow/store/part_check.h"
#include "hedgerow/store/store.h"

namespace hedgerow::cli {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void PrintPart(const store::PartMeta& m) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("table");
  w.String(m.table.c_str());
  w.Key("shard");
  w.Uint(m.shard);
  w.Key("partition");
  w.String(m.partition.c_str());
  w.Key("name");
  w.String(m.name.ToString().c_str());
  w.Key("rows");
  w.Uint64(m.rows);
  w.Key("bytes_on_disk");
  w.Uint64(m.bytes_on_disk);
  w.Key("level");
  w.Uint(m.name.level);
  w.EndObject();
  std::printf("%s\n", buffer.GetString());
}

// The tables the command covers: all, or the one --table names.
Result<std::vector<store::Table*>> Selected(const store::Store& store, const std::string& name) {
  std::vector<store::Table*> out;
  for (const auto& t : store.tables()) {
    if (name.empty() || t->schema().name == name) out.push_back(t.get());
  }
  if (out.empty()) {
    std::string known;
    for (const auto& t : store.tables()) known += (known.empty() ? "" : ", ") + t->schema().name;
    return Status::InvalidArgument(fmt::format("store: no table \"{}\" (tables: {})", name, known));
  }
  return out;
}

// Exits kExitOk when every part is whole, kExitFailure when any is damaged. Parts are read
// one block at a time, so the check's memory does not grow with part size; a server may run
// meanwhile, and parts it merges away under the check are counted apart, not as damaged.
int Check(const std::vector<store::Table*>& tables) {
  size_t checked = 0, damaged = 0, merged_away = 0, warnings = 0;
  uint64_t bytes = 0;
  for (store::Table* t : tables) {
    for (const auto& [path, status] : t->damaged()) {
      ReportError(fmt::format("damaged part {}: {}", path, status.message()));
      ++damaged;
    }
    for (const auto& part : t->AllParts()) {
      ++checked;
      store::PartCheck check = store::CheckPart(part->dir(), t->schema());
      bytes += check.bytes_read;
      for (const std::string& warning : check.warnings) {
        ReportError(fmt::format("warning: part {}: {}", part->dir(), warning));
        ++warnings;
      }
      if (check.outcome == store::PartCheck::Outcome::kMergedAway) {
        ++merged_away;
      } else if (check.outcome == store::PartCheck::Outcome::kDamaged) {
        ReportError(fmt::format("damaged part {}: {}", part->dir(), check.damage.message()));
        ++damaged;
      }
    }
  }
  std::printf("checked %zu parts (%llu bytes), %zu damaged, %zu merged away during the check, %zu warnings\n", checked,
              static_cast<unsigned long long>(bytes), damaged, merged_away, warnings);
  return damaged == 0 ? kExitOk : kExitFailure;
}

}  // namespace

std::vector<OptionSpec> StoreOptions() {
  return {
      DataDirOption(),
      {.name = "table", .section = "store", .default_value = "", .help = "only this table (default: all)",
       .value_name = "TABLE"},
  };
}

int RunStore(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("store"), args);
  if (!config) return kExitUsage;
  const auto& pos = config->positional();
  if (pos.size() != 1 || (pos[0] != "parts" && pos[0] != "check" && pos[0] != "merge")) {
    ReportError("store: expected \"parts\", \"check\" or \"merge\"; see hedgerow store --help");
    return kExitUsage;
  }
  std::string data_dir = config->GetString("data-dir");
  std::string dir = (std::filesystem::path(data_dir) / "store").string();
  if (!std::filesystem::exists(dir)) {
    ReportError(fmt::format("no store in {}: is --data-dir the server's data directory?", data_dir));
    return kExitFailure;
  }
  const bool merge = pos[0] == "merge";
  std::unique_ptr<server::DataDirLock> lock;
  if (merge) {
    auto acquired = server::DataDirLock::Acquire(data_dir);
    if (!acquired.ok()) {
      ReportError(fmt::format("store merge rewrites parts and needs the server stopped: {}", acquired.status().message()));
      return kExitFailure;
    }
    lock = std::move(*acquired);
  }
  auto store = store::Store::Open({.dir = dir, .shards = 0, .read_only = !merge}, nullptr);
  if (!store.ok()) {
    ReportError(store.status().message());
    return kExitFailure;
  }
  auto tables = Selected(**store, config->GetString("table"));
  if (!tables.ok()) {
    ReportError(tables.status().message());
    return kExitUsage;
  }
  if (pos[0] == "check") return Check(*tables);
  for (store::Table* t : *tables) {
    if (Status s = merge ? t->MergeAll() : Status::Ok(); !s.ok()) {
      ReportError(s.message());
      return kExitFailure;
    }
    for (const auto& part : t->AllParts()) PrintPart(part->meta());
  }
  return kExitOk;
}

}  // namespace hedgerow::cli
