// Text functions besides functions_string.cc's: lengthUTF8, lowerUTF8, upperUTF8,
// replaceOne, replaceAll (and replace), splitByChar, splitByString, trimLeft, trimRight,
// trimBoth (ltrim, rtrim, trim). Regular expressions are in functions_regexp.cc and URLs in
// functions_url.cc; this file registers them too.

#include <clocale>
#include <cwctype>
#include <locale.h>

#include "functions_text.h"

namespace hedgerow::query {
namespace {

enum class Kind { kLengthUtf8, kLowerUtf8, kUpperUtf8, kReplaceOne, kReplaceAll, kSplitByChar, kSplitByString,
                  kTrimLeft, kTrimRight, kTrimBoth };

// Decodes one UTF-8 sequence at s[i] (no checks beyond the lengths): its code point and
// length, or length 0 for a byte that starts none.
uint32_t DecodeUtf8(std::string_view s, size_t i, size_t& length) {
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k])); };
  const uint32_t c = b(0);
  length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (length == 0 || i + length > s.size()) return length = 0, 0;
  for (size_t k = 1; k < length; ++k) {
    if ((b(k) & 0xC0) != 0x80) return length = 0, 0;
  }
  switch (length) {
    case 1: return c;
    case 2: return (c & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (c & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (c & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

size_t Utf8Length(uint32_t code_point) { return code_point < 0x80 ? 1 : code_point < 0x800 ? 2 : code_point < 0x10000 ? 3 : 4; }

void AppendUtf8(uint32_t code_point, std::string& out) {
  const size_t n = Utf8Length(code_point);
  static constexpr unsigned char kLead[] = {0, 0, 0xC0, 0xE0, 0xF0};
  char bytes[4];
  for (size_t k = n; k-- > 1;) {
    bytes[k] = static_cast<char>(0x80 | (code_point & 0x3F));
    code_point >>= 6;
  }
  bytes[0] = static_cast<char>(n == 1 ? code_point : (kLead[n] | code_point));
  out.append(bytes, n);
}

// Unicode case mapping from glibc's C.UTF-8 tables. As ClickHouse's lowerUTF8/upperUTF8, a
// character changes only when its mapping has the same UTF-8 length; invalid bytes stay.
void ChangeCaseUtf8(std::string_view s, bool lower, std::string& out) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      out += lower ? (c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point = DecodeUtf8(s, i, length);
    if (length == 0) {
      out += c;
      ++i;
      continue;
    }
    uint32_t mapped = code_point;
    if (utf8 != nullptr) {
      const auto wide = static_cast<wint_t>(code_point);
      mapped = static_cast<uint32_t>(lower ? towlower_l(wide, utf8) : towupper_l(wide, utf8));
    }
    if (Utf8Length(mapped) == length) {
      AppendUtf8(mapped, out);
    } else {
      out.append(s.substr(i, length));
    }
    i += length;
  }
}

class TextFunction final : public Function {
 public:
  TextFunction(const char* name, Kind kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    size_t min = 1, max = 1;
    switch (kind_) {
      case Kind::kReplaceOne:
      case Kind::kReplaceAll: min = max = 3; break;
      case Kind::kSplitByChar:
      case Kind::kSplitByString: min = max = 2; break;
      case Kind::kTrimLeft:
      case Kind::kTrimRight:
      case Kind::kTrimBoth: max = 2; break;  // the optional characters to trim (newer ClickHouse)
      default: break;
    }
    if (args.size() < min || args.size() > max) {
      return WrongArgumentCount(name_, args.size(), min == max ? std::to_string(min) : fmt::format("{} or {}", min, max));
    }
    for (const DataTypePtr& a : args) {
      if (a->id != TypeId::kString) return IllegalTypes(name_, args);
    }
    switch (kind_) {
      case Kind::kLengthUtf8: return MakeType(TypeId::kUInt64);
      case Kind::kSplitByChar:
      case Kind::kSplitByString: return MakeArray(MakeType(TypeId::kString));
      default: return MakeType(TypeId::kString);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& s = *args[0];
    if (kind_ == Kind::kLengthUtf8) {
      // Characters as ClickHouse counts them: the bytes that are not UTF-8 continuations.
      std::vector<uint64_t> out(rows);
      for (size_t r = 0; r < rows; ++r) {
        for (char c : s.StringAt(r)) out[r] += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }
      return NumberColumn(result, out);
    }
    if (kind_ == Kind::kSplitByChar || kind_ == Kind::kSplitByString) return Split(args, result, rows);
    auto out = MakeEmpty(result);
    out->offsets.reserve(rows);
    std::string trim_set = " ";
    if (args.size() == 2) trim_set = std::string(args[1]->StringAt(0));
    for (size_t r = 0; r < rows; ++r) {
      std::string_view v = s.StringAt(r);
      switch (kind_) {
        case Kind::kLowerUtf8:
        case Kind::kUpperUtf8: ChangeCaseUtf8(v, kind_ == Kind::kLowerUtf8, out->chars); break;
        case Kind::kReplaceOne:
        case Kind::kReplaceAll: Replace(v, args[1]->StringAt(r), args[2]->StringAt(r), out->chars); break;
        default: {  // ClickHouse trims spaces (' ') only, unless told which characters
          if (args.size() == 2 && !args[1]->is_const) trim_set = std::string(args[1]->StringAt(r));
          size_t begin = 0, end = v.size();
          if (kind_ != Kind::kTrimRight) {
            begin = v.find_first_not_of(trim_set);
            if (begin == std::string_view::npos) begin = v.size();
          }
          if (kind_ != Kind::kTrimLeft) {
            while (end > begin && trim_set.find(v[end - 1]) != std::string::npos) --end;
          }
          out->chars.append(v.substr(begin, end - begin));
        }
      }
      out->offsets.push_back(out->chars.size());
    }
    out->rows = rows;
    return ColumnPtr(std::move(out));
  }

 private:
  // An empty needle replaces nothing (newer ClickHouse; 18.16 refuses it).
  void Replace(std::string_view v, std::string_view needle, std::string_view replacement, std::string& out) const {
    if (needle.empty()) {
      out.append(v);
      return;
    }
    size_t from = 0;
    for (size_t at; (at = v.find(needle, from)) != std::string_view::npos;) {
      out.append(v.substr(from, at - from));
      out.append(replacement);
      from = at + needle.size();
      if (kind_ == Kind::kReplaceOne) break;
    }
    out.append(v.substr(from));
  }

  // splitByChar(separator, s) and splitByString(separator, s): the separator is a constant,
  // one byte for splitByChar; an empty one splits splitByString's strings into bytes.
  Result<ColumnPtr> Split(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const {
    if (!args[0]->is_const) {
      return Status::InvalidArgument(fmt::format("Illegal column of first argument of function {}: must be constant", name_));
    }
    const std::string_view separator = args[0]->StringAt(0);
    if (kind_ == Kind::kSplitByChar && separator.size() != 1) {
      return Status::InvalidArgument("Illegal separator for function splitByChar. Must be exactly one byte.");
    }
    const Column& s = *args[1];
    auto out = MakeEmpty(result);
    auto parts = MakeEmpty(result->nested[0]);
    out->offsets.reserve(rows);
    auto add = [&](std::string_view part) {
      parts->chars.append(part);
      parts->offsets.push_back(parts->chars.size());
      ++parts->rows;
    };
    for (size_t r = 0; r < rows; ++r) {
      std::string_view v = s.StringAt(r);
      if (separator.empty()) {
        for (size_t i = 0; i < v.size(); ++i) add(v.substr(i, 1));
      } else {
        size_t from = 0;
        for (size_t at; (at = v.find(separator, from)) != std::string_view::npos; from = at + separator.size()) {
          add(v.substr(from, at - from));
        }
        add(v.substr(from));
      }
      out->offsets.push_back(parts->rows);
    }
    out->rows = rows;
    out->nested[0] = std::move(parts);
    return ColumnPtr(std::move(out));
  }

  const char* name_;
  Kind kind_;
};

}  // namespace

void RegisterTextFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Kind> kFunctions[] = {
      {"lengthUTF8", Kind::kLengthUtf8},   {"lowerUTF8", Kind::kLowerUtf8},       {"upperUTF8", Kind::kUpperUtf8},
      {"replaceOne", Kind::kReplaceOne},   {"replaceAll", Kind::kReplaceAll},     {"replace", Kind::kReplaceAll},
      {"splitByChar", Kind::kSplitByChar}, {"splitByString", Kind::kSplitByString}, {"trimLeft", Kind::kTrimLeft},
      {"ltrim", Kind::kTrimLeft},          {"trimRight", Kind::kTrimRight},       {"rtrim", Kind::kTrimRight},
      {"trimBoth", Kind::kTrimBoth},       {"trim", Kind::kTrimBoth}};
  for (const auto& [name, kind] : kFunctions) functions.emplace(name, std::make_unique<TextFunction>(name, kind));
  RegisterRegexpFunctions(functions);
  RegisterUrlFunctions(functions);
}

}  // namespace hedgerow::query
