// Strings: length, lower, upper, concat, empty, notEmpty, substring, position, startsWith,
// endsWith, and LIKE in its four forms. Lengths and positions count bytes, as ClickHouse's
// (lengthUTF8 and positionUTF8 count characters); lower and upper change ASCII letters only.

#include <algorithm>
#include <cctype>

#include "functions_impl.h"

namespace hedgerow::query {
namespace {

std::shared_ptr<Column> StringColumn(const DataTypePtr& type, size_t rows) {
  auto c = MakeColumn(type, 0);
  c->rows = rows;
  c->offsets.reserve(rows);
  return c;
}

enum class Kind { kLength, kLower, kUpper, kConcat, kEmpty, kNotEmpty, kSubstring, kPosition, kStartsWith,
                  kEndsWith, kLike, kNotLike, kILike, kNotILike };

class StringFunction final : public Function {
 public:
  StringFunction(const char* name, Kind kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    auto strings = [&](size_t from, size_t to) {
      for (size_t i = from; i < to && i < args.size(); ++i) {
        if (args[i]->id != TypeId::kString) return false;
      }
      return true;
    };
    switch (kind_) {
      case Kind::kLength:
      case Kind::kEmpty:
      case Kind::kNotEmpty:
        if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
        if (!strings(0, 1) && args[0]->id != TypeId::kArray) return IllegalTypes(name_, args);
        return MakeType(kind_ == Kind::kLength ? TypeId::kUInt64 : TypeId::kUInt8);
      case Kind::kLower:
      case Kind::kUpper:
        if (args.size() != 1) return WrongArgumentCount(name_, args.size(), "1");
        if (!strings(0, 1)) return IllegalTypes(name_, args);
        return MakeType(TypeId::kString);
      case Kind::kConcat:
        if (args.size() < 2) return WrongArgumentCount(name_, args.size(), "at least 2");
        if (!strings(0, args.size())) return IllegalTypes(name_, args);
        return MakeType(TypeId::kString);
      case Kind::kSubstring:
        if (args.size() != 2 && args.size() != 3) return WrongArgumentCount(name_, args.size(), "2 or 3");
        if (!strings(0, 1) || !args[1]->IsInteger() || (args.size() == 3 && !args[2]->IsInteger())) {
          return IllegalTypes(name_, args);
        }
        return MakeType(TypeId::kString);
      case Kind::kPosition:
        if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
        if (!strings(0, 2)) return IllegalTypes(name_, args);
        return MakeType(TypeId::kUInt64);
      default:
        if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
        if (!strings(0, 2)) return IllegalTypes(name_, args);
        return MakeType(TypeId::kUInt8);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& s = *args[0];
    if (result->id == TypeId::kString) {
      auto out = StringColumn(result, rows);
      std::vector<int64_t> from, count;
      if (kind_ == Kind::kSubstring) {
        from = NumbersAs<int64_t>(*args[1], rows);
        if (args.size() == 3) count = NumbersAs<int64_t>(*args[2], rows);
      }
      for (size_t r = 0; r < rows; ++r) {
        std::string_view v = s.StringAt(r);
        switch (kind_) {
          case Kind::kLower:
          case Kind::kUpper:
            for (char c : v) {
              unsigned char u = static_cast<unsigned char>(c);
              out->chars += static_cast<char>(kind_ == Kind::kLower ? std::tolower(u) : std::toupper(u));
            }
            break;
          case Kind::kConcat:
            for (const ColumnPtr& a : args) out->chars.append(a->StringAt(r));
            break;
          default: {  // substring: 1-based; a negative start counts from the end; 0 gives ''
            int64_t n = static_cast<int64_t>(v.size());
            int64_t start = from[r] > 0 ? from[r] - 1 : from[r] < 0 ? n + from[r] : n;
            int64_t end = count.empty() ? n : start + count[r];
            if (!count.empty() && count[r] < 0) end = n + count[r];
            start = std::clamp<int64_t>(start, 0, n);
            end = std::clamp<int64_t>(end, start, n);
            out->chars.append(v.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
          }
        }
        out->offsets.push_back(out->chars.size());
      }
      return ColumnPtr(std::move(out));
    }
    if (kind_ == Kind::kLength || kind_ == Kind::kPosition) {
      std::vector<uint64_t> out(rows);
      for (size_t r = 0; r < rows; ++r) {
        if (kind_ == Kind::kLength) {
          out[r] = s.type->id == TypeId::kArray ? (s.offsets[s.At(r)] - (s.At(r) == 0 ? 0 : s.offsets[s.At(r) - 1]))
                                                : s.StringAt(r).size();
        } else {
          size_t at = s.StringAt(r).find(args[1]->StringAt(r));
          out[r] = at == std::string_view::npos ? 0 : at + 1;
        }
      }
      return NumberColumn(result, out);
    }
    std::vector<uint8_t> out(rows);
    for (size_t r = 0; r < rows; ++r) {
      bool truth = false;
      switch (kind_) {
        case Kind::kEmpty:
        case Kind::kNotEmpty: {
          bool empty = s.type->id == TypeId::kArray ? s.offsets[s.At(r)] == (s.At(r) == 0 ? 0 : s.offsets[s.At(r) - 1])
                                                    : s.StringAt(r).empty();
          truth = kind_ == Kind::kEmpty ? empty : !empty;
          break;
        }
        case Kind::kStartsWith: truth = s.StringAt(r).substr(0, args[1]->StringAt(r).size()) == args[1]->StringAt(r); break;
        case Kind::kEndsWith: {
          std::string_view v = s.StringAt(r), suffix = args[1]->StringAt(r);
          truth = v.size() >= suffix.size() && v.substr(v.size() - suffix.size()) == suffix;
          break;
        }
        default: {
          bool fold = kind_ == Kind::kILike || kind_ == Kind::kNotILike;
          bool negate = kind_ == Kind::kNotLike || kind_ == Kind::kNotILike;
          truth = MatchLike(s.StringAt(r), args[1]->StringAt(r), fold) != negate;
        }
      }
      out[r] = truth;
    }
    return NumberColumn(result, out);
  }

 private:
  const char* name_;
  Kind kind_;
};

}  // namespace

// Iterative, with one backtracking point (the last %).
bool MatchLike(std::string_view text, std::string_view pattern, bool fold_case) {
  auto same = [&](char a, char b) {
    return fold_case ? std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)) : a == b;
  };
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      bool escaped = pattern[p] == '\\' && p + 1 < pattern.size();
      char want = escaped ? pattern[p + 1] : pattern[p];
      if ((!escaped && want == '_') || same(want, text[t])) {
        p += escaped ? 2 : 1;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

void RegisterStringFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Kind> kFunctions[] = {
      {"length", Kind::kLength},         {"lower", Kind::kLower},       {"upper", Kind::kUpper},
      {"concat", Kind::kConcat},         {"empty", Kind::kEmpty},       {"notEmpty", Kind::kNotEmpty},
      {"substring", Kind::kSubstring},   {"position", Kind::kPosition}, {"startsWith", Kind::kStartsWith},
      {"endsWith", Kind::kEndsWith},     {"like", Kind::kLike},         {"notLike", Kind::kNotLike},
      {"ilike", Kind::kILike},           {"notILike", Kind::kNotILike}};
  for (const auto& [name, kind] : kFunctions) functions.emplace(name, std::make_unique<StringFunction>(name, kind));
}

}  // namespace hedgerow::query
