#include "array_values.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "functions_impl.h"
#include "hedgerow/query/functions.h"

namespace hedgerow::query {
namespace {

bool NumberLike(const DataType& t) { return t.IsNumber() || t.id == TypeId::kDate || t.id == TypeId::kDateTime || t.id == TypeId::kDateTime64; }

bool IsNullValue(const Column& c, size_t i) { return c.type->id == TypeId::kNothing || c.IsNullAt(i); }

}  // namespace

Status TooManyElements(std::string_view function, uint64_t elements) {
  return Status::InvalidArgument(fmt::format(
      "A call to function {} would produce {} array elements, which is greater than the allowed maximum of {}", function,
      elements, kMaxArrayElements));
}

bool ValuesEqual(const Column& a, size_t i, const Column& b, size_t j) {
  const bool a_null = IsNullValue(a, i), b_null = IsNullValue(b, j);
  if (a_null || b_null) return a_null && b_null;
  if (a.type->id == TypeId::kNullable) return ValuesEqual(*a.nested[0], a.At(i), b, j);
  if (b.type->id == TypeId::kNullable) return ValuesEqual(a, i, *b.nested[0], b.At(j));
  const DataType &ta = *a.type, &tb = *b.type;
  if (NumberLike(ta) && NumberLike(tb)) return NumberAt(a, i) == NumberAt(b, j);
  if (ta.id != tb.id) return false;
  switch (ta.id) {
    case TypeId::kString: return a.StringAt(i) == b.StringAt(j);
    case TypeId::kUuid: return std::memcmp(a.fixed.data() + a.At(i) * 16, b.fixed.data() + b.At(j) * 16, 16) == 0;
    case TypeId::kArray: {
      const uint64_t ab = ArrayBegin(a, i), bb = ArrayBegin(b, j), size = ArrayEnd(a, i) - ab;
      if (ArrayEnd(b, j) - bb != size) return false;
      for (uint64_t k = 0; k < size; ++k) {
        if (!ValuesEqual(*a.nested[0], ab + k, *b.nested[0], bb + k)) return false;
      }
      return true;
    }
    case TypeId::kTuple:
      if (a.nested.size() != b.nested.size()) return false;
      for (size_t k = 0; k < a.nested.size(); ++k) {
        if (!ValuesEqual(*a.nested[k], a.At(i), *b.nested[k], b.At(j))) return false;
      }
      return true;
    default: return false;
  }
}

int CompareValues(const Column& c, size_t i, size_t j, int nan_last) {
  if (c.type->id == TypeId::kNothing) return 0;
  if (c.type->id == TypeId::kNullable) {
    const bool ni = c.IsNullAt(i), nj = c.IsNullAt(j);
    if (ni || nj) return ni && nj ? 0 : ni ? nan_last : -nan_last;
    return CompareValues(*c.nested[0], c.At(i), c.At(j), nan_last);
  }
  switch (c.type->id) {
    case TypeId::kString: {
      int r = c.StringAt(i).compare(c.StringAt(j));
      return (r > 0) - (r < 0);
    }
    case TypeId::kUuid: {
      int r = std::memcmp(c.fixed.data() + c.At(i) * 16, c.fixed.data() + c.At(j) * 16, 16);
      return (r > 0) - (r < 0);
    }
    case TypeId::kArray: {
      const uint64_t bi = ArrayBegin(c, i), bj = ArrayBegin(c, j);
      const uint64_t si = ArrayEnd(c, i) - bi, sj = ArrayEnd(c, j) - bj;
      for (uint64_t k = 0; k < std::min(si, sj); ++k) {
        if (int r = CompareValues(*c.nested[0], bi + k, bj + k, nan_last)) return r;
      }
      return (si > sj) - (si < sj);
    }
    case TypeId::kTuple:
      for (const ColumnPtr& element : c.nested) {
        if (int r = CompareValues(*element, c.At(i), c.At(j), nan_last)) return r;
      }
      return 0;
    default: {
      if (c.type->IsFloat()) {
        const long double x = NumberAt(c, i), y = NumberAt(c, j);
        const bool nx = std::isnan(x), ny = std::isnan(y);
        if (nx || ny) return nx && ny ? 0 : nx ? nan_last : -nan_last;
        return (x > y) - (x < y);
      }
      const long double x = NumberAt(c, i), y = NumberAt(c, j);
      return (x > y) - (x < y);
    }
  }
}

ColumnPtr TakeRows(const Column& c, const std::vector<uint64_t>& rows) {
  auto out = std::make_shared<Column>();
  out->type = c.type;
  out->rows = rows.size();
  switch (c.type->id) {
    case TypeId::kNothing: break;
    case TypeId::kString:
      out->offsets.reserve(rows.size());
      for (uint64_t r : rows) {
        out->chars.append(c.StringAt(r));
        out->offsets.push_back(out->chars.size());
      }
      break;
    case TypeId::kNullable: {
      std::vector<uint64_t> stored(rows.size());
      out->nulls.resize(rows.size());
      for (size_t k = 0; k < rows.size(); ++k) {
        stored[k] = c.At(rows[k]);
        out->nulls[k] = c.nulls[stored[k]];
      }
      out->nested.push_back(TakeRows(*c.nested[0], stored));
      break;
    }
    case TypeId::kArray: {
      std::vector<uint64_t> elements;
      out->offsets.reserve(rows.size());
      for (uint64_t r : rows) {
        for (uint64_t i = ArrayBegin(c, r); i < ArrayEnd(c, r); ++i) elements.push_back(i);
        out->offsets.push_back(elements.size());
      }
      out->nested.push_back(TakeRows(*c.nested[0], elements));
      break;
    }
    case TypeId::kTuple: {
      std::vector<uint64_t> stored(rows.size());
      for (size_t k = 0; k < rows.size(); ++k) stored[k] = c.At(rows[k]);
      for (const ColumnPtr& element : c.nested) out->nested.push_back(TakeRows(*element, stored));
      break;
    }
    default: {
      const size_t width = FixedValueWidth(*c.type);
      out->fixed.resize(rows.size() * width);
      // One loop per width, so that each copy is a load and a store, not a memcpy call.
      auto copy = [&](auto tag) {
        using W = decltype(tag);
        auto* to = reinterpret_cast<W*>(out->fixed.data());
        const auto* from = reinterpret_cast<const W*>(c.fixed.data());
        if (c.is_const) {
          std::fill(to, to + rows.size(), from[0]);
        } else {
          for (size_t k = 0; k < rows.size(); ++k) to[k] = from[rows[k]];
        }
      };
      switch (width) {
        case 1: copy(uint8_t{}); break;
        case 2: copy(uint16_t{}); break;
        case 4: copy(uint32_t{}); break;
        case 8: copy(uint64_t{}); break;
        default:
          for (size_t k = 0; k < rows.size(); ++k) {
            std::memcpy(out->fixed.data() + k * width, c.fixed.data() + c.At(rows[k]) * width, width);
          }
      }
    }
  }
  return out;
}

ColumnPtr MakeArrayColumn(const DataTypePtr& type, std::vector<uint64_t> offsets, ColumnPtr elements) {
  auto out = std::make_shared<Column>();
  out->type = type;
  out->rows = offsets.size();
  out->offsets = std::move(offsets);
  out->nested.push_back(std::move(elements));
  return out;
}

Result<ColumnPtr> CastArray(const ColumnPtr& array, const DataTypePtr& element) {
  if (array->nested[0]->type->id != TypeId::kNothing) return CastColumn(array, MakeArray(element));
  auto out = std::make_shared<Column>(*array);
  out->type = MakeArray(element);
  out->nested[0] = MakeEmpty(element);
  return ColumnPtr(std::move(out));
}

ColumnPtr SortArrays(const Column& values, const Column* keys, bool descending) {
  const Column& order = keys != nullptr ? *keys->nested[0] : *values.nested[0];
  const Column& by = keys != nullptr ? *keys : values;
  std::vector<uint64_t> picks, offsets(values.rows);
  if (order.type->IsNumber() && !order.is_const) {
    // Numbers: compared in their own type, NaNs last in both directions.
    DispatchNumber(order.type->id, [&](auto tag) {
      using T = decltype(tag);
      const T* key = order.Data<T>();
      auto before = [&](T x, T y) {
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
        }
        return descending ? x > y : x < y;
      };
      std::vector<uint64_t> positions;
      for (size_t r = 0; r < values.rows; ++r) {
        const uint64_t begin = ArrayBegin(values, r), end = ArrayEnd(values, r), key_begin = ArrayBegin(by, r);
        positions.resize(end - begin);
        std::iota(positions.begin(), positions.end(), 0);
        auto less = [&](uint64_t x, uint64_t y) { return before(key[key_begin + x], key[key_begin + y]); };
        if (positions.size() <= 32) {
          // Insertion sort: stable, and no buffer to allocate per row as stable_sort has.
          for (size_t i = 1; i < positions.size(); ++i) {
            for (size_t j = i; j > 0 && less(positions[j], positions[j - 1]); --j) std::swap(positions[j], positions[j - 1]);
          }
        } else {
          std::stable_sort(positions.begin(), positions.end(), less);
        }
        for (uint64_t p : positions) picks.push_back(begin + p);
        offsets[r] = picks.size();
      }
      return 0;
    });
    return MakeArrayColumn(values.type, std::move(offsets), TakeRows(*values.nested[0], picks));
  }
  for (size_t r = 0; r < values.rows; ++r) {
    const uint64_t begin = ArrayBegin(values, r), end = ArrayEnd(values, r), key_begin = ArrayBegin(by, r);
    std::vector<uint64_t> positions(end - begin);
    std::iota(positions.begin(), positions.end(), 0);
    std::stable_sort(positions.begin(), positions.end(), [&](uint64_t x, uint64_t y) {
      return descending ? CompareValues(order, key_begin + x, key_begin + y, -1) > 0
                        : CompareValues(order, key_begin + x, key_begin + y, 1) < 0;
    });
    for (uint64_t p : positions) picks.push_back(begin + p);
    offsets[r] = picks.size();
  }
  return MakeArrayColumn(values.type, std::move(offsets), TakeRows(*values.nested[0], picks));
}

}  // namespace hedgerow::query
