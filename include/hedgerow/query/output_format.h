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
// (TSVWithNames), CSV, CSVWithNames, JSON, JSONCompact, JSONEachRow, JSONCompactEachRow,
// Pretty and PrettyCompact.
// As ClickHouse writes them: 64-bit integers quoted in JSON formats, nan and inf as null,
// dates and times as strings, NULL as \N in text formats and null in JSON ones.
// InvalidArgument "Unknown format X" for any other.
Result<FormattedResult> FormatResult(const QueryResult& result, std::string_view format);
// Whether FormatResult writes `format`: a query naming another is refused before it runs.
bool IsOutputFormat(std::string_view format);

// One value as JSON: NULL as null, nan and inf as null, dates, times and UUIDs as strings,
// arrays and tuples as arrays; 64-bit integers quoted when `quote_64bit` (ClickHouse's
// default, as JavaScript cannot hold them), as numbers otherwise (PostHog's query API).
void AppendJsonValue(std::string& out, const Column& column, size_t row, bool quote_64bit);

}  // namespace hedgerow::query
