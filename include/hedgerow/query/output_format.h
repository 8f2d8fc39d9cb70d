#pragma once

#include <string>
#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/query/executor.h"

namespace hedgerow::query {

struct FormattedResult {
  std::string body;
  std::string content_type;
};

// A result in one of ClickHouse's output formats: TabSeparated (TSV), TabSeparatedWithNames
// (TSVWithNames), CSV, CSVWithNames, JSON, JSONCompact, JSONEachRow, JSONCompactEachRow.
// As ClickHouse writes them: 64-bit integers quoted in JSON formats, nan and inf as null,
// dates and times as strings, NULL as \N in text formats and null in JSON ones.
// InvalidArgument "Unknown format X" for any other.
Result<FormattedResult> FormatResult(const QueryResult& result, std::string_view format);

}  // namespace hedgerow::query
