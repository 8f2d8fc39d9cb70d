#pragma once

// ClickHouse's Native format, as its HTTP interface answers `FORMAT Native`: blocks of
// columns, each with its name and type. Read straight into the query engine's columns,
// which are laid out the same way.

#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/query/executor.h"

namespace hedgerow::cluster {

// Every block of `data`, appended in order. An empty answer has no blocks and so no
// columns. kInvalidArgument for a type the query engine does not have (Decimal, Enum,
// FixedString, ...) and for truncated or malformed data; at most `max_rows` rows.
Result<query::QueryResult> ReadNative(std::string_view data, size_t max_rows);

}  // namespace hedgerow::cluster
