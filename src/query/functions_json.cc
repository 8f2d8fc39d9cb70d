// ClickHouse's JSON functions: JSONHas, JSONLength, JSONType, JSONExtractInt/UInt/Float/Bool/
// String/Raw and JSONExtractKeys. Every one takes a JSON
// string and then a path: a string argument descends into that key of an object, an integer
// into that element of an array (or member of an object), 1-based, negative from the end.
// A missing key, a value of the wrong type or JSON simdjson refuses gives the type's default
// ('' or 0), never an error, as in ClickHouse. JSONType returns its Enum8's names as String.
// TODO: JSONExtract(json, ..., 'Type') needs the type's name when the result type is decided,
// and Function::ReturnType sees argument types only (CAST needs the same).
//
// ClickHouse parses the whole document (simdjson's DOM); we use simdjson's On-Demand API,
// which reads only what the path needs: twice as fast on PostHog's properties, where one
// key is read from a kilobyte of JSON. The difference: JSON that is malformed after the value
// read (`{"a":1,}`) still gives the value here, the default in ClickHouse; malformed UTF-8
// and unterminated strings anywhere give the default in both.

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "functions_impl.h"
#include "json_reader.h"

namespace hedgerow::query {
namespace {

namespace od = simdjson::ondemand;

enum class Kind { kHas, kLength, kType, kInt, kUInt, kFloat, kBool, kString, kRaw, kKeys };

// A number from JSON as ClickHouse's tryGetNumericValueFromJSONElement converts it: integers
// and doubles when they fit (doubles truncated toward zero), strings holding a number
// ("42", "1.5e3"); not booleans, not null.
template <class T, class V>
bool NumberOf(V& v, T& out) {
  od::json_type type;
  if (v.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    return ParseJsonNumberString(s, out);
  }
  if (type != od::json_type::number) return false;
  od::number_type number;
  if (v.get_number_type().get(number)) {
    double d;  // an integer past 64 bits: simdjson reads it as a double
    return !v.get_double().get(d) && FitNumber(d, out);
  }
  switch (number) {
    case od::number_type::signed_integer: {
      int64_t i;
      return !v.get_int64().get(i) && FitNumber(i, out);
    }
    case od::number_type::unsigned_integer: {
      uint64_t u;
      return !v.get_uint64().get(u) && FitNumber(u, out);
    }
    default: {
      double d;
      return !v.get_double().get(d) && FitNumber(d, out);
    }
  }
}

// The name ClickHouse's JSONType gives (its Enum8's names; we return them as String).
template <class V>
bool TypeName(V& v, std::string_view& out) {
  od::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case od::json_type::array: out = "Array"; return true;
    case od::json_type::object: out = "Object"; return true;
    case od::json_type::string: out = "String"; return true;
    case od::json_type::boolean: out = "Bool"; return true;
    case od::json_type::null: out = "Null"; return true;
    case od::json_type::number: {
      od::number_type number;
      if (v.get_number_type().get(number)) {
        out = "Double";
      } else {
        out = number == od::number_type::signed_integer     ? "Int64"
              : number == od::number_type::unsigned_integer ? "UInt64"
                                                            : "Double";
      }
      return true;
    }
  }
  return false;
}

template <class V>
bool Length(V& v, uint64_t& out) {
  od::json_type type;
  if (v.type().get(type)) return false;
  size_t n = 0;
  if (type == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a) || a.count_elements().get(n)) return false;
  } else if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o) || o.count_fields().get(n)) return false;
  } else {
    return false;
  }
  out = n;
  return true;
}

template <class V>
bool Keys(V& v, Column& keys) {
  od::object o;
  if (v.get_object().get(o)) return false;
  size_t before = keys.chars.size(), count = keys.offsets.size();
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      keys.chars.resize(before);
      keys.offsets.resize(count);
      return false;
    }
    keys.chars.append(key);
    keys.offsets.push_back(keys.chars.size());
  }
  return true;
}

class JsonFunction final : public Function {
 public:
  JsonFunction(const char* name, Kind kind) : name_(name), kind_(kind) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (args.empty()) return WrongArgumentCount(name_, args.size(), "at least 1");
    if (args[0]->id != TypeId::kString) return IllegalTypes(name_, args);
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i]->id != TypeId::kString && !args[i]->IsInteger()) return IllegalTypes(name_, args);
    }
    switch (kind_) {
      case Kind::kHas:
      case Kind::kBool: return MakeType(TypeId::kUInt8);
      case Kind::kLength:
      case Kind::kUInt: return MakeType(TypeId::kUInt64);
      case Kind::kInt: return MakeType(TypeId::kInt64);
      case Kind::kFloat: return MakeType(TypeId::kFloat64);
      case Kind::kKeys: return MakeArray(MakeType(TypeId::kString));
      default: return MakeType(TypeId::kString);
    }
  }

  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>& args, const DataTypePtr& result, size_t rows) const override {
    const Column& json = *args[0];
    JsonPath path(args);
    JsonDocuments documents;
    od::document doc;
    // Calls `visit(node)` on the value the path leads to in row r; false when there is none.
    auto at = [&](size_t r, auto&& visit) {
      return documents.Open(json.StringAt(r), doc) && path.Visit(doc, r, visit);
    };
    switch (kind_) {
      case Kind::kHas:
        return Numbers<uint8_t>(result, rows, [&](size_t r, uint8_t& out) {
          return out = at(r, [](auto&) { return true; });
        });
      case Kind::kLength:
        return Numbers<uint64_t>(result, rows, [&](size_t r, uint64_t& out) {
          return at(r, [&](auto& v) { return Length(v, out); });
        });
      case Kind::kInt:
        return Numbers<int64_t>(result, rows, [&](size_t r, int64_t& out) {
          return at(r, [&](auto& v) { return NumberOf(v, out); });
        });
      case Kind::kUInt:
        return Numbers<uint64_t>(result, rows, [&](size_t r, uint64_t& out) {
          return at(r, [&](auto& v) { return NumberOf(v, out); });
        });
      case Kind::kFloat:
        return Numbers<double>(result, rows, [&](size_t r, double& out) {
          return at(r, [&](auto& v) { return NumberOf(v, out); });
        });
      case Kind::kBool:
        // true/false, and integers as != 0 (ClickHouse's JSONExtractBoolImpl); not doubles.
        return Numbers<uint8_t>(result, rows, [&](size_t r, uint8_t& out) {
          return at(r, [&](auto& v) {
            od::json_type type;
            if (v.type().get(type)) return false;
            if (type == od::json_type::boolean) {
              bool b;
              return !v.get_bool().get(b) && (out = b, true);
            }
            od::number_type number;
            if (type != od::json_type::number || v.get_number_type().get(number)) return false;
            if (number == od::number_type::unsigned_integer) return out = 1, true;
            int64_t i;
            return number == od::number_type::signed_integer && !v.get_int64().get(i) && (out = i != 0, true);
          });
        });
      case Kind::kType:
        return Strings(result, rows, [&](size_t r, std::string& chars) {
          return at(r, [&](auto& v) {
            std::string_view name;
            return TypeName(v, name) && (chars.append(name), true);
          });
        });
      case Kind::kString:
        return Strings(result, rows, [&](size_t r, std::string& chars) {
          return at(r, [&](auto& v) {
            std::string_view s;
            return !v.get_string().get(s) && (chars.append(s), true);
          });
        });
      case Kind::kRaw:
        return Strings(result, rows, [&](size_t r, std::string& chars) {
          return at(r, [&](auto& v) { return WriteJsonValue(v, chars); });
        });
      case Kind::kKeys: {
        auto out = MakeEmpty(result);
        auto keys = MakeEmpty(result->nested[0]);
        out->offsets.reserve(rows);
        for (size_t r = 0; r < rows; ++r) {
          at(r, [&](auto& v) { return Keys(v, *keys); });
          out->offsets.push_back(keys->offsets.size());
        }
        keys->rows = keys->offsets.size();
        out->rows = rows;
        out->nested[0] = std::move(keys);
        return ColumnPtr(std::move(out));
      }
    }
    return Status::Internal("json: unknown function kind");
  }

 private:
  // A number column filled by `read(row, value)`; rows it refuses get 0.
  template <class T, class Read>
  static ColumnPtr Numbers(const DataTypePtr& type, size_t rows, Read&& read) {
    std::vector<T> values(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (!read(r, values[r])) values[r] = 0;
    }
    return NumberColumn(type, values);
  }

  // A string column filled by `write(row, chars)` appending to chars; rows it refuses get ''
  // (whatever they appended is dropped).
  template <class Write>
  static ColumnPtr Strings(const DataTypePtr& type, size_t rows, Write&& write) {
    auto out = MakeEmpty(type);
    out->offsets.reserve(rows);
    for (size_t r = 0; r < rows; ++r) {
      size_t before = out->chars.size();
      if (!write(r, out->chars)) out->chars.resize(before);
      out->offsets.push_back(out->chars.size());
    }
    out->rows = rows;
    return ColumnPtr(std::move(out));
  }

  const char* name_;
  Kind kind_;
};

}  // namespace

void RegisterJsonFunctions(FunctionMap& functions) {
  static const std::pair<const char*, Kind> kFunctions[] = {
      {"JSONHas", Kind::kHas},           {"JSONLength", Kind::kLength},       {"JSONType", Kind::kType},
      {"JSONExtractInt", Kind::kInt},    {"JSONExtractUInt", Kind::kUInt},    {"JSONExtractFloat", Kind::kFloat},
      {"JSONExtractBool", Kind::kBool},  {"JSONExtractString", Kind::kString}, {"JSONExtractRaw", Kind::kRaw},
      {"JSONExtractKeys", Kind::kKeys}};
  for (const auto& [name, kind] : kFunctions) functions.emplace(name, std::make_unique<JsonFunction>(name, kind));
  RegisterVisitParamFunctions(functions);
}

}  // namespace hedgerow::query
