#include "event_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "hedgerow/common/json.h"

namespace hedgerow::ingest {

std::string TruncateChars(std::string_view s, size_t n) {
  size_t chars = 0, i = 0;
  while (i < s.size() && chars < n) {
    auto c = static_cast<uint8_t>(s[i]);
    i += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
    ++chars;
  }
  return std::string(s.substr(0, std::min(i, s.size())));
}

size_t CountChars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xc0) != 0x80;
  return n;
}

bool IsIllegalDistinctId(std::string_view id) {
  std::string_view t = id;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (t.empty()) return true;
  if (t.size() >= 2 && ((t.front() == '"' && t.back() == '"') || (t.front() == '\'' && t.back() == '\''))) {
    t = t.substr(1, t.size() - 2);
  }
  static const char* kCaseInsensitive[] = {"anonymous", "guest", "distinctid", "distinct_id", "id",
                                           "not_authenticated", "email", "undefined", "true", "false"};
  static const char* kCaseSensitive[] = {"[object Object]", "NaN", "None", "none", "null", "0"};
  std::string lower(t);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* bad : kCaseInsensitive) {
    if (lower == bad) return true;
  }
  for (const char* bad : kCaseSensitive) {
    if (t == bad) return true;
  }
  return false;
}

std::string Details(std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  std::string out = "{";
  for (const auto& [k, v] : fields) {
    if (out.size() > 1) out += ',';
    AppendJsonString(out, k);
    out += ':';
    AppendJsonString(out, v);
  }
  return out + "}";
}

}  // namespace hedgerow::ingest
