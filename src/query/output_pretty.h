#pragma once

#include <string>

#include "hedgerow/query/executor.h"

namespace hedgerow::query {

// The result as ClickHouse's Pretty (`compact` false) or PrettyCompact table.
std::string FormatPretty(const QueryResult& result, bool compact);

}  // namespace hedgerow::query
