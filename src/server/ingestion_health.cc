#include "ingestion_health.h"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "hedgerow/common/json.h"

namespace hedgerow::server {

std::string IngestionHealthJson(log::Log& log, const store::Store& store, const cluster::ClusterStore* cluster) {
  std::string out = R"({"consumers":)";
  Result<std::vector<log::PartitionLag>> lags = log.Lag();
  if (!lags.ok()) {
    out += R"([],"error":)";
    AppendJsonString(out, lags.status().ToString());
  } else {
    struct Sums {
      uint64_t committed = 0, end = 0, lag = 0;
    };
    std::map<std::pair<std::string, std::string>, Sums> sums;  // (group, topic)
    for (const log::PartitionLag& lag : *lags) {
      Sums& s = sums[{lag.group, lag.topic}];
      s.committed += lag.committed;
      s.end += lag.end;
      s.lag += lag.lag();
    }
    char separator = '[';
    for (const auto& [key, s] : sums) {
      out += separator;
      separator = ',';
      out += R"({"group":)";
      AppendJsonString(out, key.first);
      out += R"(,"topic":)";
      AppendJsonString(out, key.second);
      out += fmt::format(R"(,"committed":{},"end":{},"lag":{}}})", s.committed, s.end, s.lag);
    }
    out += separator == '[' ? "[]" : "]";
  }
  struct TableSums {
    uint64_t parts = 0, rows = 0, bytes = 0, damaged = 0;
  };
  std::map<std::string, TableSums> tables;
  if (cluster != nullptr) {
    Result<std::vector<cluster::ClusterTableStats>> stats = cluster->TableStats();
    if (!stats.ok()) {
      out += R"(,"tables":[],"error":)";
      AppendJsonString(out, stats.status().ToString());
      return out + "}";
    }
    for (const cluster::ClusterTableStats& t : *stats) tables[t.table] = {t.parts, t.rows, t.bytes_on_disk, 0};
  } else {
    for (const auto& table : store.tables()) {
      TableSums& t = tables[table->schema().name];
      store::PartList parts = table->AllParts();
      t.parts += parts.size();
      for (const auto& p : parts) {
        t.rows += p->meta().rows;
        t.bytes += p->meta().bytes_on_disk;
      }
      t.damaged += table->damaged().size();
    }
  }
  out += R"(,"tables":[)";
  bool first = true;
  for (const auto& [name, t] : tables) {
    out += first ? R"({"table":)" : R"(,{"table":)";
    first = false;
    AppendJsonString(out, name);
    out += fmt::format(R"(,"parts":{},"rows":{},"bytes_on_disk":{},"damaged_parts":{}}})", t.parts, t.rows, t.bytes,
                       t.damaged);
  }
  out += "]}";
  return out;
}

}  // namespace hedgerow::server
