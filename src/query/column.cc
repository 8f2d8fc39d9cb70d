#include "hedgerow/query/column.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "dispatch.h"
#include "functions_date.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::query {
namespace {

// The literal as a T, when it holds one exactly.
template <class T>
bool LiteralAs(const Literal& literal, T& out) {
  if (const auto* b = std::get_if<bool>(&literal)) {
    out = static_cast<T>(*b);
    return true;
  }
  if (const auto* i = std::get_if<int64_t>(&literal)) {
    if constexpr (std::is_floating_point_v<T>) {
      out = static_cast<T>(*i);
      return true;
    } else {
      if (*i < 0 && std::is_unsigned_v<T>) return false;
      if (*i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          (*i > 0 && static_cast<uint64_t>(*i) > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
        return false;
      }
      out = static_cast<T>(*i);
      return true;
    }
  }
  if (const auto* u = std::get_if<uint64_t>(&literal)) {
    if constexpr (!std::is_floating_point_v<T>) {
      if (*u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    }
    out = static_cast<T>(*u);
    return true;
  }
  if (const auto* d = std::get_if<double>(&literal)) {
    if constexpr (std::is_floating_point_v<T>) {
      out = static_cast<T>(*d);
      return true;
    }
  }
  return false;
}

// ClickHouse writes floats as ECMAScript's Number.prototype.toString does (its
// DoubleConverter settings), but without '+' in exponents: 0.1, 1e21, 1e-7, 123.456.
template <class T>
std::string FormatFloat(T value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  bool negative = text[0] == '-';
  if (negative) text.remove_prefix(1);
  size_t e = text.find('e');
  std::string digits(1, text[0]);
  if (e > 1) digits.append(text.substr(2, e - 2));  // after "d."
  int exponent = std::stoi(std::string(text.substr(e + 1)));
  const int k = static_cast<int>(digits.size()), n = exponent + 1;
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += "e" + std::to_string(n - 1);
  }
  return out;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string FormatDateTime(int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  return fmt::format("{} {:02}:{:02}:{:02}", FormatDate(days), rest / 3600, rest / 60 % 60, rest % 60);
}

// `quoted`: inside an array or tuple, where strings are 'quoted'.
void AppendEscaped(std::string& out, std::string_view s, bool quoted) {
  if (quoted) out += '\'';
  for (char c : s) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\0': out += "\\0"; break;
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      default: out += c; break;
    }
  }
  if (quoted) out += '\'';
}

void AppendValue(std::string& out, const Column& c, size_t row, bool quoted) {
  const size_t r = c.At(row);
  switch (c.type->id) {
    case TypeId::kNothing: out += quoted ? "NULL" : "\\N"; return;
    case TypeId::kNullable:
      if (c.nulls[r]) {
        out += quoted ? "NULL" : "\\N";
      } else {
        AppendValue(out, *c.nested[0], r, quoted);
      }
      return;
    case TypeId::kString: AppendEscaped(out, c.StringAt(row), quoted); return;
    case TypeId::kDate: {
      std::string text = FormatDate(c.Get<uint16_t>(row));
      AppendEscaped(out, text, quoted);
      return;
    }
    case TypeId::kDateTime:  // on the wall clock of the type's zone
      AppendEscaped(out, FormatDateTime(dates::LocalSeconds(c.type->timezone, c.Get<uint32_t>(row))), quoted);
      return;
    case TypeId::kDateTime64: {
      int64_t v = c.Get<int64_t>(row), unit = 1;
      for (uint32_t i = 0; i < c.type->scale; ++i) unit *= 10;
      int64_t seconds = v >= 0 ? v / unit : (v - unit + 1) / unit;
      std::string text = FormatDateTime(dates::LocalSeconds(c.type->timezone, seconds));
      if (c.type->scale > 0) text += fmt::format(".{:0{}}", v - seconds * unit, c.type->scale);
      AppendEscaped(out, text, quoted);
      return;
    }
    case TypeId::kUuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), c.fixed.data() + r * 16, 16);
      AppendEscaped(out, u.ToString(), quoted);
      return;
    }
    case TypeId::kArray: {
      const Column& elements = *c.nested[0];
      uint64_t begin = r == 0 ? 0 : c.offsets[r - 1];
      out += '[';
      for (uint64_t i = begin; i < c.offsets[r]; ++i) {
        if (i > begin) out += ',';
        AppendValue(out, elements, i, true);
      }
      out += ']';
      return;
    }
    case TypeId::kInterval: out += std::to_string(c.Get<int64_t>(row)); return;
    case TypeId::kTuple:
      out += '(';
      for (size_t i = 0; i < c.nested.size(); ++i) {
        if (i > 0) out += ',';
        AppendValue(out, *c.nested[i], r, true);
      }
      out += ')';
      return;
    default:
      DispatchNumber(c.type->id, [&](auto tag) {
        using T = decltype(tag);
        T v = c.Get<T>(row);
        if constexpr (std::is_floating_point_v<T>) {
          out += FormatFloat(v);
        } else if constexpr (sizeof(T) == 1) {
          out += std::to_string(static_cast<int>(v));
        } else {
          out += std::to_string(v);
        }
        return 0;
      });
  }
}

}  // namespace

std::shared_ptr<Column> MakeColumn(DataTypePtr type, size_t rows) {
  auto c = std::make_shared<Column>();
  c->rows = rows;
  c->fixed.resize(rows * FixedValueWidth(*type));
  c->type = std::move(type);
  return c;
}

Result<ColumnPtr> MakeConstColumn(const Literal& literal, size_t rows, DataTypePtr type) {
  if (type == nullptr) type = LiteralType(literal);
  auto c = std::make_shared<Column>();
  c->type = type;
  c->rows = rows;
  c->is_const = true;
  const bool is_null = std::holds_alternative<Null>(literal);
  auto mismatch = [&] {
    return Status::InvalidArgument(fmt::format("Cannot convert literal {} to {}", FormatLiteral(literal), type->Name()));
  };
  switch (type->id) {
    case TypeId::kNullable: {
      c->nulls.push_back(is_null ? 1 : 0);
      if (is_null) {
        c->nested.push_back(DefaultColumn(type->nested[0], 1));  // a NULL's value slot holds the default
        return ColumnPtr(std::move(c));
      }
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr inner, MakeConstColumn(literal, 1, type->nested[0]));
      auto values = std::make_shared<Column>(*inner);
      values->is_const = false;
      c->nested.push_back(std::move(values));
      return ColumnPtr(std::move(c));
    }
    case TypeId::kString: {
      const auto* s = std::get_if<std::string>(&literal);
      if (s == nullptr) return mismatch();
      c->chars = *s;
      c->offsets.push_back(s->size());
      return ColumnPtr(std::move(c));
    }
    default:
      if (!type->IsNumber()) return mismatch();
      bool ok = DispatchNumber(type->id, [&](auto tag) {
        using T = decltype(tag);
        T v{};
        if (!LiteralAs(literal, v)) return false;
        c->fixed.resize(sizeof(T));
        std::memcpy(c->fixed.data(), &v, sizeof(T));
        return true;
      });
      if (!ok) return mismatch();
      return ColumnPtr(std::move(c));
  }
}

std::shared_ptr<Column> MakeEmpty(const DataTypePtr& type) {
  auto c = std::make_shared<Column>();
  c->type = type;
  if (type->id == TypeId::kNullable || type->id == TypeId::kArray) c->nested.push_back(MakeEmpty(type->nested[0]));
  if (type->id == TypeId::kTuple) {
    for (const DataTypePtr& element : type->nested) c->nested.push_back(MakeEmpty(element));
  }
  return c;
}

std::shared_ptr<Column> DefaultColumn(const DataTypePtr& type, size_t rows) {
  auto c = std::make_shared<Column>();
  c->type = type;
  c->rows = rows;
  switch (type->id) {
    case TypeId::kNullable:
      c->nulls.assign(rows, 1);
      c->nested.push_back(DefaultColumn(type->nested[0], rows));
      break;
    case TypeId::kArray:
      c->offsets.assign(rows, 0);
      c->nested.push_back(MakeEmpty(type->nested[0]));
      break;
    case TypeId::kTuple:
      for (const DataTypePtr& element : type->nested) c->nested.push_back(DefaultColumn(element, rows));
      break;
    case TypeId::kString: c->offsets.assign(rows, 0); break;
    default: c->fixed.assign(rows * FixedValueWidth(*type), 0); break;
  }
  return c;
}

void AppendRow(Column& dst, const Column& src, size_t row) {
  const size_t r = src.At(row);
  ++dst.rows;
  switch (src.type->id) {
    case TypeId::kNothing: return;
    case TypeId::kString:
      dst.chars.append(src.StringAt(row));
      dst.offsets.push_back(dst.chars.size());
      return;
    case TypeId::kNullable:
      dst.nulls.push_back(src.nulls[r]);
      AppendRow(const_cast<Column&>(*dst.nested[0]), *src.nested[0], r);
      return;
    case TypeId::kArray: {
      uint64_t begin = r == 0 ? 0 : src.offsets[r - 1];
      for (uint64_t i = begin; i < src.offsets[r]; ++i) AppendRow(const_cast<Column&>(*dst.nested[0]), *src.nested[0], i);
      dst.offsets.push_back(dst.nested[0]->rows);
      return;
    }
    case TypeId::kTuple:
      for (size_t i = 0; i < src.nested.size(); ++i) AppendRow(const_cast<Column&>(*dst.nested[i]), *src.nested[i], r);
      return;
    default: {
      size_t width = FixedValueWidth(*src.type);
      const uint8_t* from = src.fixed.data() + r * width;
      dst.fixed.insert(dst.fixed.end(), from, from + width);
    }
  }
}

ColumnPtr Materialize(const ColumnPtr& column) {
  if (!column->is_const) return column;
  auto out = MakeEmpty(column->type);
  for (size_t i = 0; i < column->rows; ++i) AppendRow(*out, *column, i);
  return out;
}

long double NumberAt(const Column& c, size_t row) {
  switch (c.type->id) {
    case TypeId::kDate: return c.Get<uint16_t>(row);
    case TypeId::kDateTime: return c.Get<uint32_t>(row);
    case TypeId::kDateTime64: return static_cast<long double>(c.Get<int64_t>(row));
    default: return DispatchNumber(c.type->id, [&](auto tag) { return static_cast<long double>(c.Get<decltype(tag)>(row)); });
  }
}

int Chunk::Find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string FormatValue(const Column& column, size_t row) {
  std::string out;
  AppendValue(out, column, row, false);
  return out;
}

}  // namespace hedgerow::query
