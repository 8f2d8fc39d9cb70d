// visitParamExtractString/Int/UInt/Float/Bool/Raw and visitParamHas, and their newer names
// simpleJSON*: ClickHouse's fast reading of one field without parsing the JSON. The field is
// the first `"name":` anywhere in the string, at any depth, even inside a string value; its
// value is read from the byte after the colon (no whitespace allowed), to the end of the
// string. What cannot be read there gives '' or 0.

#include <cstring>

#include "hedgerow/common/json.h"
#include "functions_impl.h"
#include "json_reader.h"

namespace hedgerow::query {
namespace {

enum class Kind { kHas, kInt, kUInt, kFloat, kBool, kString, kRaw };

// ClickHouse's tryReadIntText without overflow checks, as ExtractNumericType calls it: an
// optional opening quote ("42" reads as 42), signs and digits up to the first other byte.
template <class T>
T ReadInt(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && v[i] == '"') ++i;
  if (i == v.size()) return 0;
  uint64_t magnitude = 0;
  bool negative = false;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (c == '+') continue;
    if (c == '-') {
      if (!std::is_signed_v<T>) return 0;
      negative = true;
    } else if (c >= '0' && c <= '9') {
      magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
    } else {
      break;
    }
  }
  return static_cast<T>(negative ? 0 - magnitude : magnitude);
}

// ClickHouse's tryReadFloatText: the longest number at the start (after an optional quote;
// no '+').
double ReadFloat(std::string_view v) {
  if (!v.empty() && v[0] == '"') v.remove_prefix(1);
  double d = 0;
  auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), d);
  return error == std::errc() ? d : 0;
}

// Four hex digits at v[at], as ClickHouse's unhex4 reads them (no check that they are hex).
uint32_t Unhex4(std::string_view v, size_t at) {
  uint32_t code = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = v[i];
    uint32_t digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
    code = code * 16 + digit;
  }
  return code;
}

// ClickHouse's readJSONStringInto: a quoted string at the start of `v`, unescaped (\uXXXX
// with surrogate pairs, unknown escapes as the character itself). False when there is no
// string there or it is not closed.
bool ReadJsonString(std::string_view v, std::string& out) {
  if (v.empty() || v[0] != '"') return false;
  for (size_t i = 1; i < v.size();) {
    size_t stop = v.find_first_of("\"\\", i);
    if (stop == std::string_view::npos) return false;
    out.append(v.substr(i, stop - i));
    if (v[stop] == '"') return true;
    i = stop + 1;
    if (i == v.size()) return false;
    char e = v[i++];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (i + 4 > v.size()) return false;
        uint32_t code = Unhex4(v, i);
        i += 4;
        if (code >= 0xD800 && code <= 0xDBFF) {
          if (i + 6 > v.size() || v[i] != '\\' || v[i + 1] != 'u') return false;
          uint32_t low = Unhex4(v, i + 2);
          i += 6;
          if (low < 0xDC00 || low > 0xDFFF) {
            out += '\0';  // ClickHouse's answer to a broken pair
            break;
          }
          code = 0x10000 + (code - 0xD800) * 1024 + (low - 0xDC00);
        }
        AppendUtf8(out, code);
        break;
      }
      default: out += e;  // \" \\ \/ and unknown escapes
    }
  }
  return false;
}

// ClickHouse's ExtractRaw: up to the first ',' or '}' outside brackets and quotes, as it
// tracks them: one stack of expected closers, where brackets inside strings are counted too
// (its quirk, kept) and \" is skipped. A value still open at the end of the string gives ''
// (clickhouse-server 18.16's answer).
void ReadRaw(std::string_view v, std::string& out, std::string& expects) {
  expects.clear();
  size_t i = 0;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (!expects.empty() && c == expects.back()) {
      expects.pop_back();
      continue;
    }
    switch (c) {
      case '[': expects += ']'; break;
      case '{': expects += '}'; break;
      case '"': expects += '"'; break;
      case '\\':
        if (i + 1 < v.size() && v[i + 1] == '"') ++i;
        break;
      default:
        if (expects.empty() && (c == ',' || c == '}')) {
          out.append(v.substr(0, i));
          return;
        }
    }
  }
  if (expects.empty()) out.append(v);
}

class VisitParamFunction final : public Function {
 public:
  VisitParamFunction(std::string name, Kind kind) : name_(std::move(name)), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.size() != 2) return WrongArgumentCount(name_, args.size(), "2");
    if (args[0]->id != TypeId::kString || args[1]->id != TypeId::kString) return IllegalTypes(name_, args);
    switch (kind_) {
      case Kind::kHas:
      case Kind::kBool: return MakeType(TypeId::kUInt8);
      case Kind::kInt: return MakeType(TypeId::kInt64);
      case Kind::kUInt: return MakeType(TypeId::kUInt64);
      case Kind::kFloat: return MakeType(TypeId::kFloat64);
      default: return MakeType(TypeId::kString);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    if (!args[1]->is_const) {
      return Status::InvalidArgument(fmt::format("Illegal column of second argument of function {}: must be constant", name_));
    }
    std::string needle = "\"";
    needle += args[1]->StringAt(0);
    needle += "\":";
    const Column& json = *args[0];
    // The text after the first `"name":` in row r, or nullopt-like {nullptr, 0} when absent.
    auto value_at = [&](size_t r, bool& found) {
      std::string_view s = json.StringAt(r);
      const void* at = memmem(s.data(), s.size(), needle.data(), needle.size());
      found = at != nullptr;
      if (!found) return std::string_view();
      size_t from = static_cast<size_t>(static_cast<const char*>(at) - s.data()) + needle.size();
      return s.substr(from);
    };
    bool found = false;
    switch (kind_) {
      case Kind::kHas: return Numbers<uint8_t>(result, rows, [&](size_t r) { return value_at(r, found), found; });
      case Kind::kBool:
        return Numbers<uint8_t>(result, rows, [&](size_t r) { return value_at(r, found).substr(0, 4) == "true"; });
      case Kind::kInt: return Numbers<int64_t>(result, rows, [&](size_t r) { return ReadInt<int64_t>(value_at(r, found)); });
      case Kind::kUInt: return Numbers<uint64_t>(result, rows, [&](size_t r) { return ReadInt<uint64_t>(value_at(r, found)); });
      case Kind::kFloat: return Numbers<double>(result, rows, [&](size_t r) { return ReadFloat(value_at(r, found)); });
      default: break;
    }
    auto out = MakeEmpty(result);
    out->offsets.reserve(rows);
    std::string expects;
    for (size_t r = 0; r < rows; ++r) {
      std::string_view v = value_at(r, found);
      if (kind_ == Kind::kRaw) {
        ReadRaw(v, out->chars, expects);
      } else {
        size_t before = out->chars.size();
        if (!ReadJsonString(v, out->chars)) out->chars.resize(before);
      }
      out->offsets.push_back(out->chars.size());
    }
    out->rows = rows;
    return ColumnPtr(std::move(out));
  }

 private:
  template <class T, class Read>
  static ColumnPtr Numbers(const DataTypePtr& type, size_t rows, Read&& read) {
    std::vector<T> values(rows);
    for (size_t r = 0; r < rows; ++r) values[r] = static_cast<T>(read(r));
    return NumberColumn(type, values);
  }

  const std::string name_;
  Kind kind_;
};

}  // namespace

void RegisterVisitParamFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Kind> kFunctions[] = {
      {"Has", Kind::kHas},         {"ExtractInt", Kind::kInt},       {"ExtractUInt", Kind::kUInt},
      {"ExtractFloat", Kind::kFloat}, {"ExtractBool", Kind::kBool}, {"ExtractString", Kind::kString},
      {"ExtractRaw", Kind::kRaw}};
  for (const auto& [suffix, kind] : kFunctions) {
    for (const char* prefix : {"visitParam", "simpleJSON"}) {
      std::string name = std::string(prefix) + suffix;
      functions.emplace(name, std::make_unique<VisitParamFunction>(name, kind));
    }
  }
}

}  // namespace hedgerow::query
