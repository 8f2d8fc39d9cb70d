#include "hedgerow/query/output_format.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "dispatch.h"
#include "output_pretty.h"
#include "hedgerow/common/json.h"

namespace hedgerow::query {
void AppendJsonValue(std::string& out, const Column& c, size_t row, bool quote_64bit) {
  const size_t r = c.At(row);
  switch (c.type->id) {
    case TypeId::kNothing: out += "null"; return;
    case TypeId::kNullable:
      if (c.nulls[r]) {
        out += "null";
      } else {
        AppendJsonValue(out, *c.nested[0], r, quote_64bit);
      }
      return;
    case TypeId::kString: AppendJsonString(out, c.StringAt(row)); return;
    case TypeId::kArray: {
      uint64_t begin = r == 0 ? 0 : c.offsets[r - 1];
      out += '[';
      for (uint64_t i = begin; i < c.offsets[r]; ++i) {
        if (i > begin) out += ',';
        AppendJsonValue(out, *c.nested[0], i, quote_64bit);
      }
      out += ']';
      return;
    }
    case TypeId::kTuple:
      out += '[';
      for (size_t i = 0; i < c.nested.size(); ++i) {
        if (i > 0) out += ',';
        AppendJsonValue(out, *c.nested[i], r, quote_64bit);
      }
      out += ']';
      return;
    case TypeId::kInt64:
    case TypeId::kUInt64:
      if (quote_64bit) {
        out += '"' + FormatValue(c, row) + '"';  // beyond JavaScript's 2^53
        return;
      }
      break;
    default: break;
  }
  if (c.type->IsFloat()) {
    double v = c.type->id == TypeId::kFloat32 ? c.Get<float>(row) : c.Get<double>(row);
    out += std::isfinite(v) ? FormatValue(c, row) : "null";
  } else if (c.type->IsNumber()) {
    out += FormatValue(c, row);
  } else {
    AppendJsonString(out, FormatValue(c, row));  // dates, times, UUIDs
  }
}

namespace {

void AppendCsvValue(std::string& out, const Column& c, size_t row) {
  if (c.IsNullAt(row)) {
    out += "\\N";
    return;
  }
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  const size_t r = c.type->id == TypeId::kNullable ? c.At(row) : row;
  if (v.type->IsNumber()) {
    out += FormatValue(v, r);
    return;
  }
  std::string text = v.type->id == TypeId::kString ? std::string(v.StringAt(r)) : FormatValue(v, r);
  out += '"';
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

// Row `r` as a JSON object ({"name":value,...}) or, compact, an array.
void AppendJsonRow(std::string& body, const QueryResult& result, size_t r, bool compact) {
  body += compact ? '[' : '{';
  for (size_t i = 0; i < result.columns.size(); ++i) {
    if (i > 0) body += ',';
    if (!compact) {
      AppendJsonString(body, result.names[i]);
      body += ':';
    }
    AppendJsonValue(body, *result.columns[i], r, true);
  }
  body += compact ? ']' : '}';
}

std::string Meta(const QueryResult& result) {
  std::string out = "[";
  for (size_t i = 0; i < result.names.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"name\":";
    AppendJsonString(out, result.names[i]);
    out += ",\"type\":";
    AppendJsonString(out, result.columns[i]->type->Name());
    out += '}';
  }
  return out + "]";
}

}  // namespace

bool IsOutputFormat(std::string_view format) {
  static constexpr std::string_view kFormats[] = {
      "TabSeparated", "TSV",         "TabSeparatedWithNames", "TSVWithNames",       "CSV",
      "CSVWithNames", "JSONEachRow", "JSONCompactEachRow",    "JSON",               "JSONCompact",
      "Pretty",       "PrettyCompact", "PrettyNoEscapes",     "PrettyCompactNoEscapes"};
  return std::find(std::begin(kFormats), std::end(kFormats), format) != std::end(kFormats);
}

Result<FormattedResult> FormatResult(const QueryResult& result, std::string_view format) {
  if (!IsOutputFormat(format)) return Status::InvalidArgument(fmt::format("Unknown format {}", format));
  FormattedResult out;
  std::string& body = out.body;
  const size_t n = result.columns.size();
  if (format == "TabSeparated" || format == "TSV" || format == "TabSeparatedWithNames" || format == "TSVWithNames") {
    out.content_type = "text/tab-separated-values; charset=UTF-8";
    if (format.find("WithNames") != std::string_view::npos) {
      for (size_t i = 0; i < n; ++i) body += (i ? "\t" : "") + result.names[i];
      body += '\n';
    }
    for (size_t r = 0; r < result.rows; ++r) {
      for (size_t i = 0; i < n; ++i) body += (i ? "\t" : "") + FormatValue(*result.columns[i], r);
      body += '\n';
    }
    if (!result.totals.empty()) {  // after a blank line, as ClickHouse writes them
      body += '\n';
      for (size_t i = 0; i < n; ++i) body += (i ? "\t" : "") + FormatValue(*result.totals[i], 0);
      body += '\n';
    }
    return out;
  }
  if (format == "CSV" || format == "CSVWithNames") {
    out.content_type = "text/csv; charset=UTF-8; header=" + std::string(format == "CSV" ? "absent" : "present");
    if (format == "CSVWithNames") {
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) body += ',';
        body += '"' + result.names[i] + '"';
      }
      body += '\n';
    }
    for (size_t r = 0; r < result.rows; ++r) {
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) body += ',';
        AppendCsvValue(body, *result.columns[i], r);
      }
      body += '\n';
    }
    if (!result.totals.empty()) {
      body += '\n';
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) body += ',';
        AppendCsvValue(body, *result.totals[i], 0);
      }
      body += '\n';
    }
    return out;
  }
  out.content_type = "application/json; charset=UTF-8";
  if (format == "JSONEachRow" || format == "JSONCompactEachRow") {
    const bool compact = format == "JSONCompactEachRow";
    for (size_t r = 0; r < result.rows; ++r) {
      AppendJsonRow(body, result, r, compact);
      body += '\n';
    }
    return out;
  }
  if (format == "JSON" || format == "JSONCompact") {
    const bool compact = format == "JSONCompact";
    body = "{\"meta\":" + Meta(result) + ",\"data\":[";
    for (size_t r = 0; r < result.rows; ++r) {
      if (r > 0) body += ',';
      AppendJsonRow(body, result, r, compact);
    }
    body += ']';
    if (!result.totals.empty()) {
      QueryResult totals{.names = result.names, .columns = result.totals, .rows = 1};
      body += ",\"totals\":";
      AppendJsonRow(body, totals, 0, compact);
    }
    body += fmt::format(",\"rows\":{}}}\n", result.rows);
    return out;
  }
  if (format == "Pretty" || format == "PrettyCompact" || format == "PrettyNoEscapes" || format == "PrettyCompactNoEscapes") {
    out.content_type = "text/plain; charset=UTF-8";
    body = FormatPretty(result, format.find("Compact") != std::string_view::npos);
    return out;
  }
  return Status::Internal(fmt::format("format {} has no writer", format));
}

}  // namespace hedgerow::query
