#include "hedgerow/cluster/migrate.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cluster_ddl.h"
#include "hedgerow/query/executor.h"
#include "hedgerow/query/parser.h"
#include "row_binary.h"

namespace hedgerow::cluster {
namespace {

constexpr size_t kGranulesPerInsert = 16;  // up to ~128k rows or ~16 MB a request

// The progress file: one "target table/shard/partition/part" line per part copied, where the
// target names the node, cluster and database, so that a copy to another cluster starts over.
std::set<std::string> ReadProgress(const std::string& path, const std::string& target) {
  std::set<std::string> done;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > target.size() && line.compare(0, target.size(), target) == 0 && line[target.size()] == ' ') {
      done.insert(line.substr(target.size() + 1));
    }
  }
  return done;
}

Status RecordProgress(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(fmt::format("migrate: cannot write {}", path));
  std::string text = line + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : Status::IOError(fmt::format("migrate: cannot write {}", path));
}

// SELECT count(), sum(cityHash64(<every column as text>)) FROM <table> [FINAL]: the same text
// runs on the store and on the cluster. Times go as Unix seconds, since 18.16 keeps seconds
// only. FINAL for the ReplacingMergeTree tables: each side merges their duplicates (older
// versions, a part copied twice) in its own time, and FINAL makes that time not matter.
std::string ChecksumSql(const store::TableSchema& schema, const std::string& from) {
  std::string values;
  for (const store::ColumnDef& c : schema.columns) {
    if (!values.empty()) values += ", '\\t', ";
    std::string column = QuoteIdentifier(c.name);
    switch (c.type) {
      case store::Type::kString: values += column; break;
      case store::Type::kDateTime:
      case store::Type::kDateTime64: values += "toString(toUnixTimestamp(" + column + "))"; break;
      default: values += "toString(" + column + ")"; break;
    }
  }
  return fmt::format("SELECT count(), toString(sum(cityHash64(concat({})))) FROM {}{}", values, from,
                     schema.engine == store::Engine::kReplacingMergeTree ? " FINAL" : "");
}

Status CopyPart(const store::Part& part, const store::TableSchema& schema, const ClusterStore& cluster,
                const ServerVersion& version, uint64_t& rows) {
  std::vector<std::string> columns;
  std::string names;
  for (const store::ColumnDef& c : schema.columns) {
    columns.push_back(c.name);
    names += (names.empty() ? "" : ", ") + QuoteIdentifier(c.name);
  }
  const std::string table = schema.sharded ? "writable_events" : schema.name;
  const std::string sql = fmt::format("INSERT INTO {}.{} ({}) FORMAT RowBinary", QuoteIdentifier(cluster.database()),
                                      QuoteIdentifier(table), names);
  for (size_t first = 0; first < part.meta().granules; first += kGranulesPerInsert) {
    size_t end = std::min<size_t>(part.meta().granules, first + kGranulesPerInsert);
    HEDGEROW_ASSIGN_OR_RETURN(store::Block block, part.Read(columns, first, end));
    std::string body;
    AppendRowBinary(block, version, body);
    HEDGEROW_RETURN_IF_ERROR(
        RunOnNode(cluster.query_node(), {.sql = sql, .body = body, .settings = {{"insert_distributed_sync", "1"}}}).status());
    rows += block.rows();
  }
  return Status::Ok();
}

// count() and the checksum of a checksum query's answer: one row, two columns.
Result<std::pair<uint64_t, std::string>> CountAndChecksum(const query::QueryResult& result) {
  if (result.rows != 1 || result.columns.size() != 2) return Status::Internal("migrate: a checksum query answered no row");
  return std::pair<uint64_t, std::string>(result.columns[0]->Get<uint64_t>(0), std::string(result.columns[1]->StringAt(0)));
}

}  // namespace

Result<std::vector<TableMigration>> MigrateStore(const store::Store& store, log::Log& log, const ClusterStore& cluster,
                                                 const std::string& progress_file,
                                                 const std::function<void(const std::string&)>& report) {
  HEDGEROW_ASSIGN_OR_RETURN(ServerVersion version, ParseServerVersion(cluster.version() + ".0"));
  const std::string target =
      fmt::format("{}/{}/{}", cluster.query_node().Name(), cluster.cluster_name(), cluster.database());
  std::set<std::string> done = ReadProgress(progress_file, target);
  std::vector<TableMigration> out;
  for (const auto& table : store.tables()) {
    const store::TableSchema& schema = table->schema();
    TableMigration m{.table = schema.name};
    for (const std::shared_ptr<store::Part>& part : table->AllParts()) {
      const store::PartMeta& meta = part->meta();
      std::string key = fmt::format("{}/{}/{}/{}", schema.name, meta.shard, meta.partition, meta.name.ToString());
      if (done.count(key) != 0) {
        ++m.parts_skipped;
        continue;
      }
      uint64_t copied = 0;
      HEDGEROW_RETURN_IF_ERROR(CopyPart(*part, schema, cluster, version, copied));
      HEDGEROW_RETURN_IF_ERROR(RecordProgress(progress_file, target + " " + key));
      ++m.parts_copied;
      report(fmt::format("copied {} ({} rows)", key, copied));
    }
    // Verification: the same query on both sides.
    const std::string local_sql = ChecksumSql(schema, schema.name);
    HEDGEROW_ASSIGN_OR_RETURN(query::Statement statement, query::ParseStatement(local_sql));
    HEDGEROW_ASSIGN_OR_RETURN(query::QueryResult local, query::ExecuteStatement(statement, {.store = &store}));
    HEDGEROW_ASSIGN_OR_RETURN(auto ours, CountAndChecksum(local));
    m.rows = ours.first;
    m.checksum = ours.second;
    const std::string remote_sql =
        ChecksumSql(schema, QuoteIdentifier(cluster.database()) + "." + QuoteIdentifier(schema.name)) + " FORMAT TabSeparated";
    HEDGEROW_ASSIGN_OR_RETURN(std::string theirs, RunOnNode(cluster.query_node(), {.sql = remote_sql}));
    size_t tab = theirs.find('\t');
    if (tab == std::string::npos) return Status::Internal("migrate: the cluster's checksum answer is malformed: " + theirs);
    m.cluster_rows = std::strtoull(theirs.substr(0, tab).c_str(), nullptr, 10);
    m.cluster_checksum = theirs.substr(tab + 1, theirs.find('\n') - tab - 1);
    if (!m.verified()) {
      out.push_back(std::move(m));
      continue;  // no offsets committed: the sinks would skip rows the cluster lacks
    }
    // The sinks go on after what the parts hold.
    std::vector<log::OffsetCommit> commits;
    // As the store's consumer resumes: from the later of its committed offset and the parts'
    // (records past the parts were undecodable, or their parts dropped by retention).
    std::map<uint32_t, uint64_t> offsets = table->LogOffsets();
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<log::PartitionInfo> partitions, log.Partitions(schema.topic));
    for (const log::PartitionInfo& p : partitions) {
      HEDGEROW_ASSIGN_OR_RETURN(std::optional<log::Offset> committed,
                                log.Committed(store::ConsumerGroupName(schema), schema.topic, p.partition));
      uint64_t next = std::max<uint64_t>(offsets[p.partition], committed.value_or(0));
      if (next > 0) commits.push_back({SinkGroupName(schema), schema.topic, p.partition, next});
    }
    HEDGEROW_RETURN_IF_ERROR(log.RegisterGroup(SinkGroupName(schema), schema.topic));
    if (!commits.empty()) HEDGEROW_RETURN_IF_ERROR(log.Commit(std::move(commits)));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace hedgerow::cluster
