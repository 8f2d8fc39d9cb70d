// The cluster's share of operations: a person's deletion (GDPR) and events retention, as
// mutations and partition drops on the nodes.

#include <map>

#include <fmt/format.h>

#include "cluster_ddl.h"
#include "hedgerow/cluster/cluster_store.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/thread_priority.h"
#include "hedgerow/query/parser.h"
#include "hedgerow/store/schema.h"

namespace hedgerow::cluster {
namespace {

constexpr std::chrono::milliseconds kMutationPoll{100};

uint64_t FirstNumber(const std::string& answer) { return std::strtoull(answer.c_str(), nullptr, 10); }

// Days since 1970-01-01 of the first day of the month after `yyyymm`, in microseconds.
int64_t MonthEndMicros(uint32_t yyyymm) {
  int64_t y = yyyymm / 100, m = yyyymm % 100 + 1;
  if (m == 13) {
    m = 1;
    ++y;
  }
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (era * 146097 + doe - 719468) * 86400LL * 1000000;
}

}  // namespace

Result<std::vector<std::string>> ClusterStore::DistinctIdsOf(int64_t team_id, const Uuid& person) const {
  // In hex: a distinct id may hold a newline or a tab.
  HEDGEROW_ASSIGN_OR_RETURN(
      std::string answer,
      RunOnNode(query_node(), {.sql = fmt::format("SELECT hex(distinct_id) FROM {}.person_distinct_id2 FINAL WHERE team_id = {} "
                                                  "AND person_id = toUUID('{}') FORMAT TabSeparatedRaw",
                                                  QuoteIdentifier(options_.database), team_id, person.ToString())}));
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
  std::vector<std::string> ids;
  for (size_t at = 0; at < answer.size();) {
    size_t end = answer.find('\n', at);
    if (end == std::string::npos) end = answer.size();
    if ((end - at) % 2 != 0) return Status::Internal("clickhouse: a malformed hex distinct id");
    std::string id;
    for (size_t i = at; i + 1 < end; i += 2) id += static_cast<char>(nibble(answer[i]) * 16 + nibble(answer[i + 1]));
    ids.push_back(std::move(id));
    at = end + 1;
  }
  return ids;
}

Status ClusterStore::MutateAndWait(const ClickHouseNode& node, const std::string& table, const std::string& sql,
                                   std::chrono::steady_clock::time_point deadline) const {
  HEDGEROW_RETURN_IF_ERROR(RunOnNode(node, {.sql = sql}).status());
  // 18.16 has no mutations_sync: poll system.mutations until the node applied it.
  const std::string pending = fmt::format("SELECT count() FROM system.mutations WHERE database = {} AND table = {} AND is_done = 0",
                                          query::QuoteStringLiteral(options_.database), query::QuoteStringLiteral(table));
  while (true) {
    HEDGEROW_ASSIGN_OR_RETURN(std::string left, RunOnNode(node, {.sql = pending}));
    if (FirstNumber(left) == 0) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable(fmt::format("clickhouse {}: the deletion in {} is still running; it finishes by itself",
                                             node.Name(), table));
    }
    std::this_thread::sleep_for(kMutationPoll);
  }
}

Result<ClusterPersonDeletion> ClusterStore::DeletePersonRows(int64_t team_id, const Uuid& person,
                                                             const std::vector<std::string>& distinct_ids,
                                                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string db = QuoteIdentifier(options_.database);
  std::string ids = "''";  // IN () is not ClickHouse
  for (const std::string& id : distinct_ids) ids += ", " + query::QuoteStringLiteral(id);
  const std::string uuid = fmt::format("toUUID('{}')", person.ToString());
  const std::string by_person_or_id =
      fmt::format("team_id = {} AND (person_id = {} OR distinct_id IN ({}))", team_id, uuid, ids);
  const std::string by_person = fmt::format("team_id = {} AND id = {}", team_id, uuid);
  ClusterPersonDeletion deleted;
  auto count = [&](const ClickHouseNode& node, const std::string& table, const std::string& where) -> Result<uint64_t> {
    HEDGEROW_ASSIGN_OR_RETURN(std::string n,
                              RunOnNode(node, {.sql = fmt::format("SELECT count() FROM {}.{} WHERE {}", db, table, where)}));
    return FirstNumber(n);
  };
  for (const ClickHouseNode& node : options_.nodes) {
    HEDGEROW_ASSIGN_OR_RETURN(uint64_t events, count(node, "sharded_events", by_person_or_id));
    deleted.events += events;
    if (events > 0) {
      HEDGEROW_RETURN_IF_ERROR(MutateAndWait(
          node, "sharded_events", fmt::format("ALTER TABLE {}.sharded_events DELETE WHERE {}", db, by_person_or_id), deadline));
    }
  }
  const ClickHouseNode& first = query_node();
  HEDGEROW_ASSIGN_OR_RETURN(deleted.person_rows, count(first, "person", by_person));
  if (deleted.person_rows > 0) {
    HEDGEROW_RETURN_IF_ERROR(
        MutateAndWait(first, "person", fmt::format("ALTER TABLE {}.person DELETE WHERE {}", db, by_person), deadline));
  }
  HEDGEROW_ASSIGN_OR_RETURN(deleted.distinct_id_rows, count(first, "person_distinct_id2", by_person_or_id));
  if (deleted.distinct_id_rows > 0) {
    HEDGEROW_RETURN_IF_ERROR(MutateAndWait(
        first, "person_distinct_id2",
        fmt::format("ALTER TABLE {}.person_distinct_id2 DELETE WHERE {}", db, by_person_or_id), deadline));
  }
  return deleted;
}

Result<uint64_t> ClusterStore::DropEventPartitionsBefore(int64_t cutoff_micros) const {
  uint64_t dropped = 0;
  for (const ClickHouseNode& node : options_.nodes) {
    HEDGEROW_ASSIGN_OR_RETURN(
        std::string partitions,
        RunOnNode(node, {.sql = fmt::format("SELECT DISTINCT partition FROM system.parts WHERE database = {} AND "
                                            "table = 'sharded_events' AND active FORMAT TabSeparatedRaw",
                                            query::QuoteStringLiteral(options_.database))}));
    for (size_t at = 0; at < partitions.size();) {
      size_t end = partitions.find('\n', at);
      if (end == std::string::npos) end = partitions.size();
      const std::string partition = partitions.substr(at, end - at);
      at = end + 1;
      uint32_t yyyymm = static_cast<uint32_t>(FirstNumber(partition));
      if (yyyymm < 190001 || MonthEndMicros(yyyymm) > cutoff_micros) continue;
      HEDGEROW_RETURN_IF_ERROR(RunOnNode(node, {.sql = fmt::format("ALTER TABLE {}.sharded_events DROP PARTITION {}",
                                                                   QuoteIdentifier(options_.database), yyyymm)})
                                   .status());
      LogInfo("cluster", "dropped a month of events (retention)", {{"node", node.Name()}, {"partition", partition}});
      ++dropped;
    }
  }
  return dropped;
}

Result<std::vector<ClusterTableStats>> ClusterStore::TableStats() const {
  std::map<std::string, ClusterTableStats> tables;
  for (const store::TableSchema& schema : store::PostHogTables()) tables[schema.name].table = schema.name;
  for (const ClickHouseNode& node : options_.nodes) {
    HEDGEROW_ASSIGN_OR_RETURN(
        std::string answer,
        RunOnNode(node, {.sql = fmt::format("SELECT table, count(), sum(rows), sum(bytes_on_disk) FROM system.parts "
                                            "WHERE database = {} AND active GROUP BY table FORMAT TabSeparatedRaw",
                                            query::QuoteStringLiteral(options_.database)),
                         .timeout = std::chrono::seconds(10)}));
    for (size_t at = 0; at < answer.size();) {
      size_t end = answer.find('\n', at);
      if (end == std::string::npos) end = answer.size();
      std::string_view line(answer.data() + at, end - at);
      at = end + 1;
      std::vector<std::string_view> fields;
      for (size_t from = 0; from <= line.size();) {
        size_t tab = std::min(line.find('\t', from), line.size());
        fields.push_back(line.substr(from, tab - from));
        from = tab + 1;
      }
      if (fields.size() != 4) continue;
      std::string name(fields[0] == "sharded_events" ? "events" : fields[0]);
      auto it = tables.find(name);
      if (it == tables.end()) continue;  // not one of ours
      it->second.parts += FirstNumber(std::string(fields[1]));
      it->second.rows += FirstNumber(std::string(fields[2]));
      it->second.bytes_on_disk += FirstNumber(std::string(fields[3]));
    }
  }
  std::vector<ClusterTableStats> out;
  for (auto& [name, stats] : tables) out.push_back(std::move(stats));
  return out;
}

void ClusterStore::RetentionLoop() {
  NameCurrentThread("cluster-retention");
  while (true) {
    const int64_t cutoff = NowMicros() - int64_t{options_.events_retention_days} * 86400 * 1000000;
    if (Result<uint64_t> dropped = DropEventPartitionsBefore(cutoff); !dropped.ok()) {
      LogWarn("cluster", "retention failed; tried again later", {{"error", dropped.status().message()}});
    }
    std::unique_lock<std::mutex> lock(stop_mu_);
    if (stop_cv_.wait_for(lock, options_.retention_interval, [this] { return stopping_; })) return;
  }
}

}  // namespace hedgerow::cluster
