#include "json_spans.h"

namespace hedgerow::capture {
namespace {

size_t SkipSpace(std::string_view t, size_t pos) {
  while (pos < t.size() && (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n' || t[pos] == '\r')) ++pos;
  return pos;
}

// One past the closing quote of the string starting at `pos`.
size_t SkipString(std::string_view t, size_t pos) {
  for (++pos; pos < t.size(); ++pos) {
    if (t[pos] == '\\') {
      ++pos;
    } else if (t[pos] == '"') {
      return pos + 1;
    }
  }
  return std::string_view::npos;
}

// One past the end of the value starting at `pos`.
size_t SkipValue(std::string_view t, size_t pos) {
  if (pos >= t.size()) return std::string_view::npos;
  if (t[pos] == '"') return SkipString(t, pos);
  if (t[pos] == '{' || t[pos] == '[') {
    int depth = 0;
    while (pos < t.size()) {
      char c = t[pos];
      if (c == '"') {
        pos = SkipString(t, pos);
        if (pos == std::string_view::npos) return pos;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return pos + 1;
      }
      ++pos;
    }
    return std::string_view::npos;
  }
  while (pos < t.size() && t[pos] != ',' && t[pos] != ']' && t[pos] != '}' && t[pos] != ' ' && t[pos] != '\n' &&
         t[pos] != '\r' && t[pos] != '\t') {
    ++pos;
  }
  return pos;
}

std::optional<std::vector<TextSpan>> ArrayElements(std::string_view t, size_t pos) {
  if (pos >= t.size() || t[pos] != '[') return std::nullopt;
  std::vector<TextSpan> out;
  pos = SkipSpace(t, pos + 1);
  if (pos < t.size() && t[pos] == ']') return out;
  while (pos < t.size()) {
    size_t end = SkipValue(t, pos);
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
    size_t end = SkipValue(text, pos);  // a single event: the root object itself
    if (end == std::string_view::npos) return std::nullopt;
    return std::vector<TextSpan>{{pos, end}};
  }
  if (member.empty()) return ArrayElements(text, pos);
  if (pos >= text.size() || text[pos] != '{') return std::nullopt;
  pos = SkipSpace(text, pos + 1);
  while (pos < text.size() && text[pos] == '"') {
    size_t key_end = SkipString(text, pos);
    if (key_end == std::string_view::npos) return std::nullopt;
    // Keys written with escapes do not match; the caller then serializes, which is correct.
    bool match = text.substr(pos + 1, key_end - pos - 2) == member;
    pos = SkipSpace(text, key_end);
    if (pos >= text.size() || text[pos] != ':') return std::nullopt;
    pos = SkipSpace(text, pos + 1);
    if (match) return ArrayElements(text, pos);  // the first of duplicate keys, as rapidjson
    pos = SkipValue(text, pos);
    if (pos == std::string_view::npos) return std::nullopt;
    pos = SkipSpace(text, pos);
    if (pos < text.size() && text[pos] == ',') pos = SkipSpace(text, pos + 1);
  }
  return std::nullopt;
}

}  // namespace hedgerow::capture
