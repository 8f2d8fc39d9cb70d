#include "json_spans.h"

#include "hedgerow/common/json.h"

namespace hedgerow::capture {
namespace {

size_t SkipSpace(std::string_view t, size_t pos) {
  while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r')) ++pos;
  return pos;
}

std::optional<std::vector<TextSpan>> ArrayElements(std::string_view t, size_t pos) {
  if (pos >= t.size() || t[pos] != '[') return std::nullopt;
  std::vector<TextSpan> out;
  pos = SkipSpace(t, pos + 1);
  if (pos < t.size() && t[pos] == ']') return out;
  while (pos < t.size()) {
    size_t end = SkipJsonValue(t, pos);
    if (end == std::string_view::npos) return std::nullopt;
    out.push_back({pos, end});
    pos = SkipSpace(t, end);
    if (pos >= t.size()) return std::nullopt;
    if (t[pos] == ']') return out;
    if (t[pos] != ',') return std::nullopt;
    pos = SkipSpace(t, pos + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<TextSpan>> EventSpans(std::string_view text, std::string_view member) {
  size_t pos = SkipSpace(text, 0);
  if (member.empty() && pos < text.size() && text[pos] == '{') {
    size_t end = SkipJsonValue(text, pos);  // a single event: the root object itself
    if (end == std::string_view::npos) return std::nullopt;
    return std::vector<TextSpan>{{pos, end}};
  }
  if (member.empty()) return ArrayElements(text, pos);
  if (pos >= text.size() || text[pos] != '{') return std::nullopt;
  pos = SkipSpace(text, pos + 1);
  while (pos < text.size() && text[pos] == '"') {
    size_t key_end = SkipJsonString(text, pos);
    if (key_end == std::string_view::npos) return std::nullopt;
    // Keys written with escapes do not match; the caller then serializes, which is correct.
    bool match = text.substr(pos + 1, key_end - pos - 2) == member;
    pos = SkipSpace(text, key_end);
    if (pos >= text.size() || text[pos] != ':') return std::nullopt;
    pos = SkipSpace(text, pos + 1);
    if (match) return ArrayElements(text, pos);  // the first of duplicate keys, as rapidjson
    pos = SkipJsonValue(text, pos);
    if (pos == std::string_view::npos) return std::nullopt;
    pos = SkipSpace(text, pos);
    if (pos < text.size() && text[pos] == ',') pos = SkipSpace(text, pos + 1);
  }
  return std::nullopt;
}

}  // namespace hedgerow::capture
