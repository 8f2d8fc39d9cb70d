// ClickHouse's Pretty and PrettyCompact formats: a table drawn with box characters, numbers
// aligned right, at most 10,000 rows (as ClickHouse's output_format_pretty_max_rows).

#include <algorithm>

#include <fmt/format.h>

#include "output_pretty.h"

namespace hedgerow::query {
namespace {

constexpr size_t kMaxPrettyRows = 10'000;

// Columns a text takes on a terminal: one per UTF-8 code point.
size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

bool RightAligned(const DataType& t) {
  const DataType& v = t.id == TypeId::kNullable ? *t.nested[0] : t;
  return v.IsNumber();
}

}  // namespace

std::string FormatPretty(const QueryResult& result, bool compact) {
  const size_t n = result.columns.size();
  const size_t rows = std::min(result.rows, kMaxPrettyRows);
  std::vector<std::vector<std::string>> cells(rows, std::vector<std::string>(n));
  std::vector<size_t> width(n);
  for (size_t c = 0; c < n; ++c) width[c] = DisplayWidth(result.names[c]);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < n; ++c) {
      cells[r][c] = FormatValue(*result.columns[c], r);
      width[c] = std::max(width[c], DisplayWidth(cells[r][c]));
    }
  }
  auto line = [&](std::string_view left, std::string_view fill, std::string_view middle, std::string_view right) {
    std::string out(left);
    for (size_t c = 0; c < n; ++c) out += Repeat(fill, width[c] + 2) + std::string(c + 1 < n ? middle : right);
    return out + "\n";
  };
  auto row = [&](const std::vector<std::string>& values, std::string_view bar, bool header) {
    std::string out(bar);
    for (size_t c = 0; c < n; ++c) {
      std::string pad(width[c] - DisplayWidth(values[c]), ' ');
      bool right = !header && RightAligned(*result.columns[c]->type);
      out += " " + (right ? pad + values[c] : values[c] + pad) + " " + std::string(bar);
    }
    return out + "\n";
  };
  std::string out;
  if (compact) {
    out = "┌";
    for (size_t c = 0; c < n; ++c) {
      out += "─" + result.names[c] + Repeat("─", width[c] - DisplayWidth(result.names[c]) + 1) + (c + 1 < n ? "┬" : "┐");
    }
    out += "\n";
    for (size_t r = 0; r < rows; ++r) out += row(cells[r], "│", false);
    out += line("└", "─", "┴", "┘");
  } else {
    out = line("┏", "━", "┳", "┓") + row(result.names, "┃", true) + line("┡", "━", "╇", "┩");
    for (size_t r = 0; r < rows; ++r) {
      if (r > 0) out += line("├", "─", "┼", "┤");
      out += row(cells[r], "│", false);
    }
    out += line("└", "─", "┴", "┘");
  }
  if (rows < result.rows) out += fmt::format("  Showed first {}.\n", rows);
  return out;
}

}  // namespace hedgerow::query
