// Arrays: array(...) and tuple(...) (what [a, b] and (a, b) parse to), element access,
// search (has, hasAny, hasAll, indexOf, countEqual), reshaping (arraySlice, arrayConcat,
// push/pop, arrayReverse, arrayResize, arrayEnumerate), arrayStringConcat, range and emptyArray*. An
// array's elements take the least supertype of what goes into it. The higher-order functions
// and the reductions over elements are in functions_lambda.cc and functions_array_reduce.cc.

#include "array_values.h"

#include <algorithm>

#include "functions_impl.h"

namespace hedgerow::query {
namespace {

const DataType& Inner(const DataTypePtr& t) { return t->id == TypeId::kNullable ? *t->nested[0] : *t; }
bool NumberLike(const DataType& t) { return t.IsNumber() || t.id == TypeId::kDate || t.id == TypeId::kDateTime; }

class MakeArrayFunction final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype(args));
    return MakeArray(std::move(element));
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<ColumnPtr> elements;
    for (const ColumnPtr& a : args) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr cast, CastColumn(a, result->nested[0]));
      elements.push_back(std::move(cast));
    }
    auto out = MakeEmpty(result);
    auto values = MakeEmpty(result->nested[0]);
    for (size_t r = 0; r < rows; ++r) {
      for (const ColumnPtr& e : elements) AppendRow(*values, *e, r);
      out->offsets.push_back(values->rows);
    }
    out->rows = rows;
    out->nested[0] = std::move(values);
    return ColumnPtr(std::move(out));
  }
};

class MakeTupleFunction final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.empty()) return WrongArgumentCount("tuple", 0, "at least 1");
    return MakeTuple(args);
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    auto out = std::make_shared<Column>();
    out->type = result;
    out->rows = rows;
    for (const ColumnPtr& a : args) {
      ColumnPtr element = a;
      if (a->is_const) {  // elements are whole columns
        auto stored = std::make_shared<Column>(*a);
        stored->rows = rows;
        element = Materialize(stored);
      }
      out->nested.push_back(std::move(element));
    }
    return ColumnPtr(std::move(out));
  }
};

// arrayElement(arr, i), arr[i]: 1-based, negative from the end; out of range gives the
// element type's default (NULL for Nullable elements).
class ArrayElement final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount("arrayElement", args.size(), "2");
    if (args[0]->id != TypeId::kArray) return Status::InvalidArgument("First argument for function arrayElement must be array.");
    if (!args[1]->IsInteger()) return Status::InvalidArgument("Second argument for function arrayElement must be integer.");
    // NULL's elements (Array(Nothing)) read as NULLs.
    if (args[0]->nested[0]->id == TypeId::kNothing) return MakeNullable(args[0]->nested[0]);
    return args[0]->nested[0];
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& a = *args[0];
    std::vector<int64_t> index = NumbersAs<int64_t>(*args[1], rows);
    const bool is_unsigned_64 = args[1]->type->id == TypeId::kUInt64;
    if (a.nested[0]->type->id == TypeId::kNothing) return ColumnPtr(DefaultColumn(result, rows));
    // Picks an element per row, or the default appended after the elements.
    auto defaulted = MakeEmpty(a.nested[0]->type);
    AppendRow(*defaulted, *DefaultColumn(a.nested[0]->type, 1), 0);
    std::vector<uint64_t> picks(rows);
    const uint64_t missing = a.nested[0]->rows;
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t begin = ArrayBegin(a, r), size = ArrayEnd(a, r) - begin;
      const int64_t i = index[r];
      if (is_unsigned_64 && i < 0) {
        picks[r] = missing;
      } else if (i > 0 && static_cast<uint64_t>(i) <= size) {
        picks[r] = begin + static_cast<uint64_t>(i) - 1;
      } else if (i < 0 && static_cast<uint64_t>(-(i + 1)) < size) {
        picks[r] = begin + size - static_cast<uint64_t>(-(i + 1)) - 1;
      } else {
        picks[r] = missing;
      }
    }
    auto all = std::make_shared<Column>(*a.nested[0]);
    AppendRow(*all, *defaulted, 0);
    return TakeRows(*all, picks);
  }
};

enum class Search { kHas, kIndexOf, kCountEqual };

// has, indexOf and countEqual: NULL is a value here (has([NULL], NULL) is 1).
class ArraySearch final : public Function {
 public:
  ArraySearch(const char* name, Search kind) : name_(name), kind_(kind) {}
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
    if (args[0]->id != TypeId::kArray) {
      return Status::InvalidArgument(fmt::format("First argument for function {} must be an array.", name_));
    }
    const DataType& element = Inner(args[0]->nested[0]);
    const DataType& value = Inner(args[1]);
    const bool comparable = element.id == TypeId::kNothing || value.id == TypeId::kNothing ||
                            (NumberLike(element) && NumberLike(value)) || element.Name() == value.Name();
    if (!comparable) {
      return Status::InvalidArgument(fmt::format(
          "Types of array and 2nd argument of function {} must be identical up to nullability or numeric types. "
          "Passed: {} and {}.",
          name_, args[0]->Name(), args[1]->Name()));
    }
    return MakeType(kind_ == Search::kHas ? TypeId::kUInt8 : TypeId::kUInt64);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& a = *args[0];
    const Column& elements = *a.nested[0];
    std::vector<uint64_t> out(rows, 0);
    if (elements.type->IsNumber() && args[1]->type->IsNumber()) {
      // Numbers of any two types: compared as long doubles (exact for 64-bit integers).
      const std::vector<long double> wanted = NumbersAs<long double>(*args[1], rows);
      DispatchNumber(elements.type->id, [&](auto tag) {
        const auto* values = elements.Data<decltype(tag)>();
        for (size_t r = 0; r < rows; ++r) {
          const uint64_t begin = ArrayBegin(a, r), end = ArrayEnd(a, r);
          for (uint64_t i = begin; i < end; ++i) {
            if (static_cast<long double>(values[i]) != wanted[r]) continue;
            if (kind_ == Search::kCountEqual) {
              ++out[r];
              continue;
            }
            out[r] = kind_ == Search::kHas ? 1 : i - begin + 1;
            break;
          }
        }
        return 0;
      });
    } else {
      Generic(a, *args[1], rows, out);
    }
    if (kind_ != Search::kHas) return NumberColumn(result, out);
    return NumberColumn(result, std::vector<uint8_t>(out.begin(), out.end()));
  }

 private:
  void Generic(const Column& a, const Column& needle, size_t rows, std::vector<uint64_t>& out) const {
    const Column& elements = *a.nested[0];
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t begin = ArrayBegin(a, r), end = ArrayEnd(a, r);
      for (uint64_t i = begin; i < end; ++i) {
        if (!ValuesEqual(elements, i, needle, r)) continue;
        if (kind_ == Search::kCountEqual) {
          ++out[r];
          continue;
        }
        out[r] = kind_ == Search::kHas ? 1 : i - begin + 1;
        break;
      }
    }
  }

  const char* name_;
  Search kind_;
};

// hasAny(a, b): some element of b is in a; hasAll(a, b): every one is.
class ArrayContains final : public Function {
 public:
  ArrayContains(const char* name, bool all) : name_(name), all_(all) {}
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
    if (args[0]->id != TypeId::kArray || args[1]->id != TypeId::kArray) return IllegalTypes(name_, args);
    return MakeType(TypeId::kUInt8);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column &a = *args[0], &b = *args[1];
    std::vector<uint8_t> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      bool answer = all_;
      for (uint64_t j = ArrayBegin(b, r); j < ArrayEnd(b, r) && answer == all_; ++j) {
        bool found = false;
        for (uint64_t i = ArrayBegin(a, r); i < ArrayEnd(a, r) && !found; ++i) found = ValuesEqual(*a.nested[0], i, *b.nested[0], j);
        answer = found;
      }
      out[r] = answer;
    }
    return NumberColumn(result, out);
  }

 private:
  const char* name_;
  bool all_;
};

// arraySlice(arr, offset[, length]): offset from 1, negative from the end, 0 gives []; a
// negative length stops that many elements before the end; a NULL offset or length is
// ignored.
class ArraySlice final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2 && args.size() != 3) return WrongArgumentCount("arraySlice", args.size(), "2 or 3");
    if (args[0]->id != TypeId::kArray) return Status::InvalidArgument("First argument for function arraySlice must be an array");
    for (size_t i = 1; i < args.size(); ++i) {
      if (!Inner(args[i]).IsInteger() && Inner(args[i]).id != TypeId::kNothing) return IllegalTypes("arraySlice", args);
    }
    return args[0];
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& a = *args[0];
    auto read = [&](size_t arg, size_t r, int64_t& out) {
      const Column& c = *args[arg];
      if (c.type->id == TypeId::kNothing || c.IsNullAt(r)) return false;
      const Column& values = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
      out = NumbersAs<int64_t>(values, values.rows)[values.At(c.At(r))];
      return true;
    };
    std::vector<uint64_t> picks, offsets(rows);
    for (size_t r = 0; r < rows; ++r) {
      const int64_t begin = static_cast<int64_t>(ArrayBegin(a, r)), size = static_cast<int64_t>(ArrayEnd(a, r)) - begin;
      int64_t offset = 1, length = 0;
      if (!read(1, r, offset)) offset = 1;
      const bool has_length = args.size() == 3 && read(2, r, length);
      // In 128 bits: an offset or length near the 64-bit limits must not overflow.
      __int128 from = offset > 0 ? __int128{offset} - 1 : offset < 0 ? __int128{size} + offset : size;
      __int128 to = !has_length ? size : length >= 0 ? from + length : __int128{size} + length;
      if (offset == 0) from = to = 0;
      from = std::clamp<__int128>(from, 0, size);
      to = std::clamp<__int128>(to, from, size);
      for (__int128 i = from; i < to; ++i) picks.push_back(static_cast<uint64_t>(begin + i));
      offsets[r] = picks.size();
    }
    return MakeArrayColumn(result, std::move(offsets), TakeRows(*a.nested[0], picks));
  }
};

enum class Reshape { kConcat, kPushBack, kPushFront, kPopBack, kPopFront, kReverse };

// arrayConcat(a, ...), arrayPushBack/Front(a, x), arrayPopBack/Front(a), arrayReverse(a).
class ArrayReshape final : public Function {
 public:
  ArrayReshape(const char* name, Reshape kind) : name_(name), kind_(kind) {}
  bool UseDefaultNulls() const override { return kind_ != Reshape::kPushBack && kind_ != Reshape::kPushFront; }
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    const bool push = kind_ == Reshape::kPushBack || kind_ == Reshape::kPushFront;
    if (kind_ == Reshape::kConcat ? args.empty() : args.size() != (push ? 2u : 1u)) {
      return WrongArgumentCount(name_, args.size(), kind_ == Reshape::kConcat ? "at least 1" : push ? "2" : "1");
    }
    std::vector<DataTypePtr> elements;
    for (size_t i = 0; i < args.size(); ++i) {
      if (push && i == 1) {
        elements.push_back(args[1]);
      } else if (args[i]->id != TypeId::kArray) {
        return Status::InvalidArgument(fmt::format("Argument {} for function {} must be an array", i + 1, name_));
      } else {
        elements.push_back(args[i]->nested[0]);
      }
    }
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype(elements));
    return MakeArray(std::move(element));
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const DataTypePtr& element = result->nested[0];
    std::vector<ColumnPtr> arrays;
    ColumnPtr value;
    for (size_t i = 0; i < args.size(); ++i) {
      if (i == 1 && (kind_ == Reshape::kPushBack || kind_ == Reshape::kPushFront)) {
        HEDGEROW_ASSIGN_OR_RETURN(value, CastColumn(args[1], element));
      } else {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr cast, CastArray(args[i], element));
        arrays.push_back(std::move(cast));
      }
    }
    // The pushed values go after all array elements in one combined element column.
    auto all = std::make_shared<Column>(*arrays[0]->nested[0]);
    std::vector<uint64_t> starts = {0};
    for (size_t k = 1; k < arrays.size(); ++k) {
      starts.push_back(all->rows);
      for (uint64_t i = 0; i < arrays[k]->nested[0]->rows; ++i) AppendRow(*all, *arrays[k]->nested[0], i);
    }
    const uint64_t pushed_from = all->rows;
    if (value) {
      for (size_t r = 0; r < (value->is_const ? 1 : rows); ++r) AppendRow(*all, *value, r);
    }
    std::vector<uint64_t> picks, offsets(rows);
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t begin = ArrayBegin(*arrays[0], r), end = ArrayEnd(*arrays[0], r);
      const uint64_t pushed = pushed_from + (value && !value->is_const ? r : 0);
      switch (kind_) {
        case Reshape::kConcat:
          for (size_t k = 0; k < arrays.size(); ++k) {
            for (uint64_t i = ArrayBegin(*arrays[k], r); i < ArrayEnd(*arrays[k], r); ++i) picks.push_back(starts[k] + i);
          }
          break;
        case Reshape::kPushFront: picks.push_back(pushed); [[fallthrough]];
        case Reshape::kReverse:
        case Reshape::kPushBack:
        case Reshape::kPopBack:
        case Reshape::kPopFront: {
          uint64_t from = begin + (kind_ == Reshape::kPopFront && end > begin ? 1 : 0);
          uint64_t to = end - (kind_ == Reshape::kPopBack && end > begin ? 1 : 0);
          if (kind_ == Reshape::kReverse) {
            for (uint64_t i = to; i > from; --i) picks.push_back(i - 1);
          } else {
            for (uint64_t i = from; i < to; ++i) picks.push_back(i);
          }
          if (kind_ == Reshape::kPushBack) picks.push_back(pushed);
          break;
        }
      }
      offsets[r] = picks.size();
    }
    return MakeArrayColumn(result, std::move(offsets), TakeRows(*all, picks));
  }

 private:
  const char* name_;
  Reshape kind_;
};

// arrayResize(a, n[, extender]): the first n elements, padded at the end with the extender
// (the element type's default without one); a negative n keeps the last -n, padding at the
// front. 18.16 sets no bound; ours is kMaxArrayElements per block.
class ArrayResize final : public Function {
 public:
  bool UseDefaultNulls() const override { return false; }  // a NULL extender pads with NULLs
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2 && args.size() != 3) return WrongArgumentCount("arrayResize", args.size(), "2 or 3");
    if (args[0]->id != TypeId::kArray) return Status::InvalidArgument("First argument for function arrayResize must be an array");
    if (!args[1]->IsInteger()) {
      return Status::InvalidArgument(fmt::format("Argument 1 for function arrayResize must be integer but it has type {}.", args[1]->Name()));
    }
    if (args.size() == 2) return args[0];
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr element, LeastSupertype({args[0]->nested[0], args[2]}));
    return MakeArray(std::move(element));
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const DataTypePtr& element = result->nested[0];
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr array, CastArray(args[0], element));
    ColumnPtr extender = DefaultColumn(element, 1);
    if (args.size() == 3) {
      HEDGEROW_ASSIGN_OR_RETURN(extender, CastColumn(args[2], element));
    }
    // The extenders go after the elements in one combined element column.
    auto all = std::make_shared<Column>(*array->nested[0]);
    const uint64_t extenders_from = all->rows;
    const bool one_extender = extender->is_const || extender->rows == 1;
    for (size_t r = 0; r < (one_extender ? 1 : rows); ++r) AppendRow(*all, *extender, r);
    std::vector<int64_t> sizes = NumbersAs<int64_t>(*args[1], rows);
    const bool unsigned_64 = args[1]->type->id == TypeId::kUInt64;
    std::vector<uint64_t> picks, offsets(rows);
    for (size_t r = 0; r < rows; ++r) {
      const uint64_t begin = ArrayBegin(*array, r), length = ArrayEnd(*array, r) - begin;
      const uint64_t pad = extenders_from + (one_extender ? 0 : r);
      const __int128 n = unsigned_64 ? __int128{static_cast<uint64_t>(sizes[r])} : __int128{sizes[r]};
      const __int128 wanted = n < 0 ? -n : n;
      if (picks.size() + wanted > kMaxArrayElements) {
        return TooManyElements("arrayResize", static_cast<uint64_t>(std::min<__int128>(picks.size() + wanted, UINT64_MAX)));
      }
      const uint64_t keep = static_cast<uint64_t>(std::min<__int128>(wanted, length));
      const uint64_t padding = static_cast<uint64_t>(wanted) - keep;
      if (n < 0) picks.insert(picks.end(), padding, pad);
      for (uint64_t i = 0; i < keep; ++i) picks.push_back(n < 0 ? begin + length - keep + i : begin + i);
      if (n >= 0) picks.insert(picks.end(), padding, pad);
      offsets[r] = picks.size();
    }
    return MakeArrayColumn(result, std::move(offsets), TakeRows(*all, picks));
  }
};

// arrayEnumerate(a): [1, 2, ..., length(a)] as UInt32.
class ArrayEnumerate final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 1) return WrongArgumentCount("arrayEnumerate", args.size(), "1");
    if (args[0]->id != TypeId::kArray) return IllegalTypes("arrayEnumerate", args);
    return MakeArray(MakeType(TypeId::kUInt32));
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<uint32_t> values;
    std::vector<uint64_t> offsets(rows);
    for (size_t r = 0; r < rows; ++r) {
      for (uint64_t i = ArrayBegin(*args[0], r); i < ArrayEnd(*args[0], r); ++i) {
        values.push_back(static_cast<uint32_t>(i - ArrayBegin(*args[0], r) + 1));
      }
      offsets[r] = values.size();
    }
    return MakeArrayColumn(result, std::move(offsets), NumberColumn(result->nested[0], values));
  }
};

// arrayStringConcat(arr[, separator]): the separator a constant string.
class ArrayStringConcat final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.empty() || args.size() > 2) return WrongArgumentCount("arrayStringConcat", args.size(), "1 or 2");
    if (args[0]->id != TypeId::kArray || args[0]->nested[0]->id != TypeId::kString) {
      return Status::InvalidArgument("First argument for function arrayStringConcat must be array of strings.");
    }
    if (args.size() == 2 && args[1]->id != TypeId::kString) {
      return Status::InvalidArgument("Second argument for function arrayStringConcat must be constant string.");
    }
    return MakeType(TypeId::kString);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    if (args.size() == 2 && !args[1]->is_const) {
      return Status::InvalidArgument("Second argument for function arrayStringConcat must be constant string.");
    }
    const std::string_view separator = args.size() == 2 ? args[1]->StringAt(0) : std::string_view();
    auto out = MakeColumn(result, 0);
    out->rows = rows;
    for (size_t r = 0; r < rows; ++r) {
      for (uint64_t i = ArrayBegin(*args[0], r); i < ArrayEnd(*args[0], r); ++i) {
        if (i > ArrayBegin(*args[0], r)) out->chars.append(separator);
        out->chars.append(args[0]->nested[0]->StringAt(i));
      }
      out->offsets.push_back(out->chars.size());
    }
    return ColumnPtr(std::move(out));
  }
};

// range(end) (18.16: an unsigned integer; the result keeps its type) and range(start, end[,
// step]) (newer ClickHouse: integers, the result their least supertype). Bounded by
// kMaxArrayElements per block.
class Range final : public Function {
 public:
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.empty() || args.size() > 3) return WrongArgumentCount("range", args.size(), "1, 2 or 3");
    for (const DataTypePtr& a : args) {
      if (!a->IsInteger() || (args.size() == 1 && a->IsSigned())) return IllegalTypes("range", args);
    }
    if (args.size() == 1) return MakeArray(args[0]);
    auto type = LeastSupertype(args);
    if (!type.ok()) return IllegalTypes("range", args);
    return MakeArray(*type);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    std::vector<__int128> start(rows, 0), end(rows), step(rows, 1);
    auto read = [&](const Column& c, std::vector<__int128>& out) {
      if (c.type->IsSigned()) {
        std::vector<int64_t> v = NumbersAs<int64_t>(c, rows);
        std::copy(v.begin(), v.end(), out.begin());
      } else {
        std::vector<uint64_t> v = NumbersAs<uint64_t>(c, rows);
        std::copy(v.begin(), v.end(), out.begin());
      }
    };
    read(*args[args.size() == 1 ? 0 : 1], end);
    if (args.size() > 1) read(*args[0], start);
    if (args.size() > 2) read(*args[2], step);
    uint64_t total = 0;
    std::vector<uint64_t> offsets(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (step[r] <= 0) return Status::InvalidArgument("A call to function range with a step of 0 or less");
      const __int128 count = end[r] > start[r] ? (end[r] - start[r] + step[r] - 1) / step[r] : 0;
      if (count > static_cast<__int128>(kMaxArrayElements) || total + static_cast<uint64_t>(count) > kMaxArrayElements) {
        return TooManyElements("range", total + static_cast<uint64_t>(std::min<__int128>(count, UINT64_MAX / 2)));
      }
      total += static_cast<uint64_t>(count);
      offsets[r] = total;
    }
    return DispatchNumber(result->nested[0]->id, [&](auto tag) -> Result<ColumnPtr> {
      using T = decltype(tag);
      std::vector<T> values;
      values.reserve(total);
      for (size_t r = 0; r < rows; ++r) {
        for (__int128 v = start[r]; v < end[r]; v += step[r]) values.push_back(static_cast<T>(v));
      }
      return MakeArrayColumn(result, std::move(offsets), NumberColumn(result->nested[0], values));
    });
  }
};

// emptyArrayUInt8() ... emptyArrayString(): a constant [] of that element type.
class EmptyArray final : public Function {
 public:
  EmptyArray(std::string name, TypeId element) : name_(std::move(name)), element_(element) {}
  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (!args.empty()) return WrongArgumentCount(name_, args.size(), "0");
    return MakeArray(MakeType(element_));
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>&, const DataTypePtr& result, size_t rows) const override {
    auto out = MakeEmpty(result);
    out->offsets = {0};
    out->rows = rows;
    out->is_const = true;
    return ColumnPtr(std::move(out));
  }

 private:
  std::string name_;
  TypeId element_;
};

}  // namespace

void RegisterArrayReduceFunctions(FunctionMap& functions);  // functions_array_reduce.cc

void RegisterArrayFunctions(FunctionMap& functions) {
  RegisterArrayReduceFunctions(functions);
  functions.emplace("array", std::make_unique<MakeArrayFunction>());
  functions.emplace("tuple", std::make_unique<MakeTupleFunction>());
  functions.emplace("arrayElement", std::make_unique<ArrayElement>());
  functions.emplace("has", std::make_unique<ArraySearch>("has", Search::kHas));
  functions.emplace("indexOf", std::make_unique<ArraySearch>("indexOf", Search::kIndexOf));
  functions.emplace("countEqual", std::make_unique<ArraySearch>("countEqual", Search::kCountEqual));
  functions.emplace("hasAny", std::make_unique<ArrayContains>("hasAny", false));
  functions.emplace("hasAll", std::make_unique<ArrayContains>("hasAll", true));
  functions.emplace("arraySlice", std::make_unique<ArraySlice>());
  static const std::pair<const char*, Reshape> kReshapes[] = {
      {"arrayConcat", Reshape::kConcat},     {"arrayPushBack", Reshape::kPushBack}, {"arrayPushFront", Reshape::kPushFront},
      {"arrayPopBack", Reshape::kPopBack},   {"arrayPopFront", Reshape::kPopFront}, {"arrayReverse", Reshape::kReverse}};
  for (const auto& [name, kind] : kReshapes) functions.emplace(name, std::make_unique<ArrayReshape>(name, kind));
  functions.emplace("arrayResize", std::make_unique<ArrayResize>());
  functions.emplace("arrayEnumerate", std::make_unique<ArrayEnumerate>());
  functions.emplace("arrayStringConcat", std::make_unique<ArrayStringConcat>());
  functions.emplace("range", std::make_unique<Range>());
  static const std::pair<const char*, TypeId> kEmpty[] = {
      {"UInt8", TypeId::kUInt8},     {"UInt16", TypeId::kUInt16},   {"UInt32", TypeId::kUInt32}, {"UInt64", TypeId::kUInt64},
      {"Int8", TypeId::kInt8},       {"Int16", TypeId::kInt16},     {"Int32", TypeId::kInt32},   {"Int64", TypeId::kInt64},
      {"Float32", TypeId::kFloat32}, {"Float64", TypeId::kFloat64}, {"Date", TypeId::kDate},     {"DateTime", TypeId::kDateTime},
      {"String", TypeId::kString}};
  for (const auto& [suffix, id] : kEmpty) {
    std::string name = std::string("emptyArray") + suffix;
    functions.emplace(name, std::make_unique<EmptyArray>(name, id));
  }
}

}  // namespace hedgerow::query
