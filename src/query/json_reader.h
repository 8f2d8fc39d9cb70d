#pragma once

// What the JSON functions share: one simdjson On-Demand parser per call with a padded copy of
// each row, the path of keys and indices ClickHouse's JSON functions take, ClickHouse's
// number conversions and its writing of a value back as JSON (JSONExtractRaw).

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "functions_impl.h"

namespace hedgerow::query {

// hedgerow's bound on JSON nesting. On-Demand does not check simdjson's own depth limit, so
// the one recursive reader here (WriteJsonValue) checks this one.
inline constexpr size_t kMaxJsonDepth = 128;

void RegisterVisitParamFunctions(FunctionMap& functions);

// Parses one row after another with one parser, without a heap allocation per row.
// Not thread-safe: one per call of a function. A document borrows this reader's buffer and
// is valid until the next Open.
class JsonDocuments {
 public:
  JsonDocuments() = default;
  JsonDocuments(const JsonDocuments&) = delete;
  JsonDocuments& operator=(const JsonDocuments&) = delete;

  // Starts reading `json` as `doc`; false when simdjson refuses it at once (invalid UTF-8,
  // an unterminated string, an empty document). Later errors surface as values are read.
  bool Open(std::string_view json, simdjson::ondemand::document& doc);

 private:
  simdjson::ondemand::parser parser_;
  std::unique_ptr<char[]> buffer_;  // the row, then SIMDJSON_PADDING bytes
  size_t capacity_ = 0;
};

// `value` as a T if it is within T's range, as ClickHouse's accurate::convertNumeric (not
// strict): doubles lose their fraction, out of range or NaN is refused.
template <class T, class From>
bool FitNumber(From value, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    out = static_cast<T>(value);
    return true;
  } else if constexpr (std::is_floating_point_v<From>) {
    constexpr double kLow = std::is_signed_v<T> ? -0x1p63 : 0.0;
    constexpr double kHigh = std::is_signed_v<T> ? 0x1p63 : 0x1p64;
    if (!(value >= kLow && value < kHigh)) return false;
    out = static_cast<T>(value);
    return true;
  } else {
    if (!std::in_range<T>(value)) return false;
    out = static_cast<T>(value);
    return true;
  }
}

// A JSON string holding a number ("42", "-1.5e3"), all of it, as ClickHouse's JSONExtract*
// read one: integers as integers, else as a double that must fit.
template <class T>
bool ParseJsonNumberString(std::string_view s, T& out) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  const char* end = s.data() + s.size();
  if constexpr (!std::is_floating_point_v<T>) {
    T i{};
    auto [at, error] = std::from_chars(s.data(), end, i);
    if (error == std::errc() && at == end) return out = i, true;
  }
  double d = 0;
  auto [at, error] = std::from_chars(s.data(), end, d);
  return error == std::errc() && at == end && FitNumber(d, out);
}

// Appends `s` as a JSON string the way ClickHouse's JSON functions write one (writeJSONString
// without escaping '/'): quotes, backslashes and control characters escaped, U+2028 and
// U+2029 as \u2028 and \u2029 for JavaScript, everything else as it is.
void WriteJsonString(std::string_view s, std::string& out);
// Appends a double as ClickHouse writes one (0.1, 100, 1e21).
void WriteJsonDouble(double d, std::string& out);

// Appends `v` (a document or a value) as minified JSON, as ClickHouse's JSONExtractRaw
// re-serializes a parsed value: numbers rewritten (1.0 is 1), strings re-escaped. False,
// leaving a partial value in `out`, when the value is malformed or deeper than kMaxJsonDepth.
template <class V>
bool WriteJsonValue(V& v, std::string& out, size_t depth = 0) {
  namespace od = simdjson::ondemand;
  if (depth >= kMaxJsonDepth) return false;
  od::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case od::json_type::object: {
      od::object o;
      if (v.get_object().get(o)) return false;
      out += '{';
      bool first = true;
      for (auto field : o) {
        od::field f;
        std::string_view key;
        if (std::move(field).get(f) || f.unescaped_key().get(key)) return false;
        if (!first) out += ',';
        first = false;
        WriteJsonString(key, out);
        out += ':';
        if (!WriteJsonValue(f.value(), out, depth + 1)) return false;
      }
      out += '}';
      return true;
    }
    case od::json_type::array: {
      od::array a;
      if (v.get_array().get(a)) return false;
      out += '[';
      bool first = true;
      for (auto element : a) {
        od::value e;
        if (element.get(e)) return false;
        if (!first) out += ',';
        first = false;
        if (!WriteJsonValue(e, out, depth + 1)) return false;
      }
      out += ']';
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s)) return false;
      WriteJsonString(s, out);
      return true;
    }
    case od::json_type::number: {
      od::number_type number;
      char buffer[32];
      std::to_chars_result written{};
      if (v.get_number_type().get(number) || number == od::number_type::floating_point_number) {
        double d;
        if (v.get_double().get(d)) return false;
        WriteJsonDouble(d, out);
        return true;
      }
      if (number == od::number_type::signed_integer) {
        int64_t i;
        if (v.get_int64().get(i)) return false;
        written = std::to_chars(buffer, buffer + sizeof buffer, i);
      } else {
        uint64_t u;
        if (v.get_uint64().get(u)) return false;
        written = std::to_chars(buffer, buffer + sizeof buffer, u);
      }
      out.append(buffer, written.ptr);
      return true;
    }
    case od::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b)) return false;
      out += b ? "true" : "false";
      return true;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) || !is_null) return false;
      out += "null";
      return true;
    }
  }
  return false;
}

// The path arguments of a JSON function (args[1], args[2], ...), each a key (String) or an
// index (an integer), constant or one per row. `args` must outlive the path.
class JsonPath {
 public:
  explicit JsonPath(const std::vector<ColumnPtr>& args);

  // Follows the path from the document's root in row `row` and returns `visit(node)`, node
  // being the document itself for an empty path, else the value reached; false when a key
  // is missing, an index is out of range or the JSON is malformed on the way.
  template <class F>
  bool Visit(simdjson::ondemand::document& doc, size_t row, F&& visit) const {
    if (args_.size() <= 1) return visit(doc);
    simdjson::ondemand::value at;
    if (!Step(doc, 1, row, at)) return false;
    for (size_t i = 2; i < args_.size(); ++i) {
      simdjson::ondemand::value next;
      if (!Step(at, i, row, next)) return false;
      at = next;
    }
    return visit(at);
  }

 private:
  // Moves from `from` by path argument `arg` into `to`.
  template <class V>
  bool Step(V& from, size_t arg, size_t row, simdjson::ondemand::value& to) const {
    namespace od = simdjson::ondemand;
    if (args_[arg]->type->id == TypeId::kString) {
      std::string_view key = args_[arg]->StringAt(row);
      od::object o;
      if (from.get_object().get(o)) return false;
      for (auto field : o) {
        od::field f;
        if (std::move(field).get(f)) return false;
        if (KeyEquals(f, key)) return to = f.value(), true;
      }
      return false;
    }
    // ClickHouse's moveToElementByIndex: 1-based, negative from the end, 0 is nothing; an
    // index into an object picks its n-th member.
    int64_t index = indices_[arg][args_[arg]->At(row)];
    od::json_type type;
    if (from.type().get(type)) return false;
    if (type == od::json_type::array) {
      od::array a;
      if (from.get_array().get(a)) return false;
      if (index < 0) {
        size_t n;
        if (a.count_elements().get(n)) return false;
        index += static_cast<int64_t>(n) + 1;
      }
      return index > 0 && !a.at(static_cast<size_t>(index - 1)).get(to);
    }
    if (type == od::json_type::object) {
      od::object o;
      if (from.get_object().get(o)) return false;
      if (index < 0) {
        size_t n;
        if (o.count_fields().get(n)) return false;
        index += static_cast<int64_t>(n) + 1;
      }
      if (index <= 0) return false;
      for (auto field : o) {
        od::field f;
        if (std::move(field).get(f)) return false;
        if (--index == 0) return to = f.value(), true;
      }
    }
    return false;
  }

  // Whether a field's key, unescaped, is `key`. Most keys have no escapes and are compared
  // as they are in the document, without unescaping.
  static bool KeyEquals(simdjson::ondemand::field& f, std::string_view key) {
    const char* raw = f.key().raw();  // after the opening quote; the string is terminated
    size_t n = 0;
    while (raw[n] != '"' && raw[n] != '\\') ++n;
    if (raw[n] == '"') return std::string_view(raw, n) == key;
    std::string_view unescaped;
    return !f.unescaped_key().get(unescaped) && unescaped == key;
  }

  const std::vector<ColumnPtr>& args_;
  std::vector<std::vector<int64_t>> indices_;  // per integer argument, one per row
};

}  // namespace hedgerow::query
