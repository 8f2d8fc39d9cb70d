#include "json_reader.h"

namespace hedgerow::query {

bool JsonDocuments::Open(std::string_view json, simdjson::ondemand::document& doc) {
  const size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
  if (needed > capacity_) {
    capacity_ = std::max(needed, capacity_ * 2);
    buffer_ = std::make_unique<char[]>(capacity_);
  }
  std::memcpy(buffer_.get(), json.data(), json.size());
  // simdjson reads the padding; zeros keep what it reads there defined.
  std::memset(buffer_.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  return !parser_.iterate(buffer_.get(), json.size(), capacity_).get(doc);
}

void WriteJsonString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else if (c == 0xE2 && i + 2 < s.size() && s[i + 1] == '\x80' && (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
          out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void WriteJsonDouble(double d, std::string& out) {
  thread_local std::shared_ptr<Column> scratch = MakeColumn(MakeType(TypeId::kFloat64), 1);
  std::memcpy(scratch->fixed.data(), &d, sizeof d);
  out += FormatValue(*scratch, 0);
}

JsonPath::JsonPath(const std::vector<ColumnPtr>& args) : args_(args), indices_(args.size()) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i]->type->IsInteger()) indices_[i] = NumbersAs<int64_t>(*args[i], args[i]->is_const ? 1 : args[i]->rows);
  }
}

}  // namespace hedgerow::query
