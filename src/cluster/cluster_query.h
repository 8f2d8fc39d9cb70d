#pragma once

#include "cluster_ddl.h"
#include "hedgerow/cluster/clickhouse_node.h"
#include "hedgerow/query/executor.h"

namespace hedgerow::cluster {

// SELECTs on the cluster: printed scoped to the context's team (cluster_sql.h), run on the
// query node with the context's limits as ClickHouse's settings (max_execution_time,
// max_memory_usage, max_result_rows), answered in Native and read into the engine's columns,
// so that every surface formats the answer as it does for the embedded store.
class ClusterQuery final : public query::RemoteEngine {
 public:
  ClusterQuery(ClickHouseNode node, std::string database, ServerVersion version)
      : node_(std::move(node)), database_(std::move(database)), version_(version) {}

  Result<query::QueryResult> ExecuteSelect(const query::SelectUnion& select,
                                           const query::QueryContext& context) const override;

 private:
  ClickHouseNode node_;
  std::string database_;
  ServerVersion version_;
};

}  // namespace hedgerow::cluster
