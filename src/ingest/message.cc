#include "message.h"

#include <iterator>
#include <utility>

#include "hedgerow/common/json.h"

namespace hedgerow::ingest {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The fields ingestion reads, by key.
constexpr std::pair<std::string_view, std::string_view MessageFields::*> kFields[] = {
    {"data", &MessageFields::data}, {"token", &MessageFields::token},   {"distinct_id", &MessageFields::distinct_id},
    {"uuid", &MessageFields::uuid}, {"ip", &MessageFields::ip},         {"now", &MessageFields::now},
    {"sent_at", &MessageFields::sent_at}};
constexpr size_t kFieldCount = std::size(kFields);

// Index in kFields of the field a key names; kFieldCount for keys ingestion ignores.
size_t FieldIndex(std::string_view key) {
  size_t i = 0;
  while (i < kFieldCount && kFields[i].first != key) ++i;
  return i;
}

}  // namespace

bool ReadMessage(std::string_view m, std::string& buffer, MessageFields& fields) {
  fields = MessageFields();
  // Unescaped texts are never longer than the message; each gets a NUL, `data` 16 more.
  constexpr size_t kPadding = 16;
  buffer.resize(m.size() + kFieldCount + kPadding);
  size_t at = 0;  // where the next unescaped text goes in `buffer`
  bool seen[kFieldCount] = {};
  size_t i = 0;
  auto skip_space = [&] {
    while (i < m.size() && IsJsonSpace(m[i])) ++i;
  };
  skip_space();
  if (i >= m.size() || m[i] != '{') return false;
  ++i;
  skip_space();
  if (i < m.size() && m[i] == '}') return true;
  while (true) {
    skip_space();
    if (i >= m.size() || m[i] != '"') return false;
    size_t key_end = m.find('"', i + 1);
    if (key_end == std::string_view::npos) return false;
    std::string_view key = m.substr(i + 1, key_end - i - 1);
    for (char c : key) {
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    i = key_end + 1;
    skip_space();
    if (i >= m.size() || m[i] != ':') return false;
    ++i;
    skip_space();
    if (i >= m.size()) return false;
    const size_t index = FieldIndex(key);
    bool wanted = index < kFieldCount && !seen[index];
    if (index < kFieldCount) seen[index] = true;
    if (m[i] == '"') {
      // Wanted fields are unescaped into `buffer` as they are read; the others only skipped.
      char* out = wanted ? buffer.data() + at : nullptr;
      size_t written = 0;
      size_t end = ReadJsonString(m, i, out, written);
      if (end == std::string_view::npos) return false;
      if (wanted) {
        std::string_view raw = m.substr(i + 1, end - i - 2);
        const bool is_data = kFields[index].second == &MessageFields::data;
        if (is_data || written != raw.size()) {  // `data`, or escaped: keep the copy
          fields.*kFields[index].second = std::string_view(out, written);
          at += written;
          buffer[at++] = '\0';
          if (is_data) at += kPadding;
        } else {
          fields.*kFields[index].second = raw;
        }
      }
      i = end;
    } else if (m.compare(i, 4, "null") == 0) {
      i += 4;
    } else {
      return false;  // numbers, booleans, objects, arrays: the parser's
    }
    skip_space();
    if (i >= m.size()) return false;
    if (m[i] == '}') return true;
    if (m[i] != ',') return false;
    ++i;
  }
}

}  // namespace hedgerow::ingest
