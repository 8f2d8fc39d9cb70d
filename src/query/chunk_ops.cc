#include "chunk_ops.h"

#include <cstring>

#include <fmt/format.h>

#include "dispatch.h"
#include "functions_impl.h"

namespace hedgerow::query {
namespace {

template <size_t W>
void GatherFixed(const uint8_t* from, const std::vector<uint32_t>& rows, uint8_t* to) {
  for (uint32_t r : rows) {
    if (r == kDefaultRow) {
      std::memset(to, 0, W);
    } else {
      std::memcpy(to, from + static_cast<size_t>(r) * W, W);
    }
    to += W;
  }
}

void GatherInto(Column& out, const Column& c, const std::vector<uint32_t>& rows) {
  out.rows = rows.size();
  switch (c.type->id) {
    case TypeId::kNothing: return;
    case TypeId::kString: {
      size_t bytes = 0;
      for (uint32_t r : rows) bytes += r == kDefaultRow ? 0 : c.StringAt(r).size();
      out.chars.resize(bytes);
      out.offsets.resize(rows.size());
      char* to = out.chars.data();
      for (size_t i = 0; i < rows.size(); ++i) {
        if (rows[i] != kDefaultRow) {
          std::string_view v = c.StringAt(rows[i]);
          std::memcpy(to, v.data(), v.size());
          to += v.size();
        }
        out.offsets[i] = static_cast<uint64_t>(to - out.chars.data());
      }
      return;
    }
    case TypeId::kNullable: {
      out.nulls.resize(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) out.nulls[i] = rows[i] == kDefaultRow ? 1 : c.nulls[rows[i]];
      auto values = MakeEmpty(c.nested[0]->type);
      GatherInto(*values, *c.nested[0], rows);
      out.nested[0] = std::move(values);
      return;
    }
    case TypeId::kArray: {
      // Through the element indexes: one gather of the elements.
      std::vector<uint32_t> elements;
      out.offsets.resize(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        if (rows[i] != kDefaultRow) {
          uint64_t begin = rows[i] == 0 ? 0 : c.offsets[rows[i] - 1];
          for (uint64_t e = begin; e < c.offsets[rows[i]]; ++e) elements.push_back(static_cast<uint32_t>(e));
        }
        out.offsets[i] = elements.size();
      }
      auto values = MakeEmpty(c.nested[0]->type);
      GatherInto(*values, *c.nested[0], elements);
      out.nested[0] = std::move(values);
      return;
    }
    case TypeId::kTuple:
      for (size_t i = 0; i < c.nested.size(); ++i) {
        auto element = MakeEmpty(c.nested[i]->type);
        GatherInto(*element, *c.nested[i], rows);
        out.nested[i] = std::move(element);
      }
      return;
    default: {
      const size_t width = FixedValueWidth(*c.type);
      out.fixed.resize(rows.size() * width);
      switch (width) {
        case 1: GatherFixed<1>(c.fixed.data(), rows, out.fixed.data()); break;
        case 2: GatherFixed<2>(c.fixed.data(), rows, out.fixed.data()); break;
        case 4: GatherFixed<4>(c.fixed.data(), rows, out.fixed.data()); break;
        case 8: GatherFixed<8>(c.fixed.data(), rows, out.fixed.data()); break;
        default: GatherFixed<16>(c.fixed.data(), rows, out.fixed.data()); break;
      }
    }
  }
}

}  // namespace

ColumnPtr Gather(const ColumnPtr& c, const std::vector<uint32_t>& rows) {
  if (c->is_const) {
    auto out = std::make_shared<Column>(*c);
    out->rows = rows.size();
    return out;
  }
  auto out = MakeEmpty(c->type);
  GatherInto(*out, *c, rows);
  return out;
}

Chunk GatherChunk(const Chunk& chunk, const std::vector<uint32_t>& rows) {
  Chunk out;
  out.names = chunk.names;
  out.rows = rows.size();
  for (const ColumnPtr& c : chunk.columns) out.columns.push_back(Gather(c, rows));
  return out;
}

Result<std::vector<uint32_t>> SelectedRows(const ColumnPtr& mask, size_t rows) {
  const bool nullable = mask->type->id == TypeId::kNullable;
  const Column& values = nullable ? *mask->nested[0] : *mask;
  if (!values.type->IsNumber() && values.type->id != TypeId::kNothing) {
    return Status::InvalidArgument(fmt::format("Illegal type {} of column for filter", mask->type->Name()));
  }
  std::vector<uint32_t> keep;
  if (values.type->id == TypeId::kNothing) return keep;  // NULL
  if (mask->is_const) {
    if (NumberAt(values, 0) != 0 && !mask->IsNullAt(0)) {
      keep.resize(rows);
      for (size_t r = 0; r < rows; ++r) keep[r] = static_cast<uint32_t>(r);
    }
    return keep;
  }
  keep.reserve(rows);
  DispatchNumber(values.type->id, [&](auto tag) {
    using T = decltype(tag);
    const T* v = values.Data<T>();
    for (size_t r = 0; r < rows; ++r) {
      if (v[r] != 0 && !(nullable && mask->nulls[r] != 0)) keep.push_back(static_cast<uint32_t>(r));
    }
    return 0;
  });
  return keep;
}

Result<Chunk> Filter(const Chunk& chunk, const ColumnPtr& mask) {
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<uint32_t> keep, SelectedRows(mask, chunk.rows));
  if (keep.size() == chunk.rows) return chunk;
  return GatherChunk(chunk, keep);
}

int CompareValues(const Column& c, size_t a, size_t b) {
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  switch (v.type->id) {
    case TypeId::kString: return v.StringAt(a).compare(v.StringAt(b));
    case TypeId::kUuid: return std::memcmp(v.fixed.data() + v.At(a) * 16, v.fixed.data() + v.At(b) * 16, 16);
    case TypeId::kNothing: return 0;
    case TypeId::kArray: {
      uint64_t ab = v.At(a) == 0 ? 0 : v.offsets[v.At(a) - 1], ae = v.offsets[v.At(a)];
      uint64_t bb = v.At(b) == 0 ? 0 : v.offsets[v.At(b) - 1], be = v.offsets[v.At(b)];
      const Column& e = *v.nested[0];
      for (; ab < ae && bb < be; ++ab, ++bb) {
        bool na = e.IsNullAt(ab), nb = e.IsNullAt(bb);
        if (na || nb) {
          if (na != nb) return na ? 1 : -1;
          continue;
        }
        if (int c2 = CompareValues(e, ab, bb); c2 != 0) return c2;
      }
      return (ae - ab) < (be - bb) ? -1 : (ae - ab) > (be - bb) ? 1 : 0;
    }
    case TypeId::kTuple:
      for (const ColumnPtr& e : v.nested) {
        bool na = e->IsNullAt(a), nb = e->IsNullAt(b);
        if (na || nb) {
          if (na != nb) return na ? 1 : -1;
          continue;
        }
        if (int c2 = CompareValues(*e, a, b); c2 != 0) return c2;
      }
      return 0;
    default: break;
  }
  long double x = NumberAt(v, a), y = NumberAt(v, b);
  if (x < y) return -1;
  if (x > y) return 1;
  // nan sorts after every number, as ClickHouse's (nulls_direction aside).
  bool nx = x != x, ny = y != y;
  return nx == ny ? 0 : nx ? 1 : -1;
}

void AppendKey(std::string& key, const Column& c, size_t row) {
  if (c.IsNullAt(row)) {
    key += '\0';
    return;
  }
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  const size_t r = v.At(row);
  key += '\1';
  switch (v.type->id) {
    case TypeId::kString: {
      std::string_view s = v.StringAt(r);
      uint64_t n = s.size();
      key.append(reinterpret_cast<const char*>(&n), sizeof n).append(s);
      return;
    }
    case TypeId::kNothing: return;
    case TypeId::kArray: {
      uint64_t begin = r == 0 ? 0 : v.offsets[r - 1];
      uint64_t n = v.offsets[r] - begin;
      key.append(reinterpret_cast<const char*>(&n), sizeof n);
      for (uint64_t e = begin; e < v.offsets[r]; ++e) AppendKey(key, *v.nested[0], e);
      return;
    }
    case TypeId::kTuple:
      for (const ColumnPtr& e : v.nested) AppendKey(key, *e, r);
      return;
    default: {
      size_t width = FixedValueWidth(*v.type);
      key.append(reinterpret_cast<const char*>(v.fixed.data() + r * width), width);
    }
  }
}

void AppendChunk(Chunk& to, const Chunk& from) {
  if (to.columns.empty()) {
    // Deep copies the collector owns (nested columns too), so that appends may grow them.
    to.names = from.names;
    for (const ColumnPtr& c : from.columns) to.columns.push_back(MakeEmpty(c->type));
  }
  for (size_t i = 0; i < from.columns.size(); ++i) {
    auto& grown = const_cast<Column&>(*to.columns[i]);
    for (size_t r = 0; r < from.rows; ++r) AppendRow(grown, *from.columns[i], r);
  }
  to.rows += from.rows;
}

}  // namespace hedgerow::query
