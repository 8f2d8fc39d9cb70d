#pragma once

// A parsed SELECT printed as SQL for the cluster, scoped to one project: every store table
// it reads becomes `(SELECT * FROM db.table [FINAL] WHERE team_id = N) AS name`, so no text
// of the query can reach another team's rows, as the local planner guarantees. Joins and IN
// with a subquery are GLOBAL: their right side runs once on the query node (where the
// unsharded tables are) and goes to every shard.

#include <cstdint>
#include <string>

#include "cluster_ddl.h"
#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"

namespace hedgerow::cluster {

struct SqlScope {
  int64_t team_id = 0;
  std::string database = "default";
  ServerVersion version;
};

// kInvalidArgument in ClickHouse's words for a table the project may not read (system
// tables but `one`, table functions but `numbers`, unknown tables) and for what the cluster
// cannot be asked yet (a WITH subquery used as a table).
Result<std::string> PrintScopedSelect(const query::SelectUnion& select, const SqlScope& scope);

}  // namespace hedgerow::cluster
