#pragma once

// Small rules on an event's text that the processing steps share: JSON member access,
// UTF-8 character counts, PostHog's illegal distinct ids, warning details.

#include <rapidjson/document.h>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace hedgerow::ingest {

// Removes `key` keeping the order of the other members (rapidjson's RemoveMember does not).
inline void Erase(rapidjson::Value& object, const char* key) {
  if (auto it = object.FindMember(key); it != object.MemberEnd()) object.EraseMember(it);
}
// The string member `key` of `object`; empty when absent or not a string. Inline: every
// event reads a dozen.
inline std::string_view Str(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}
// The first `n` UTF-8 characters of `s`.
std::string TruncateChars(std::string_view s, size_t n);
size_t CountChars(std::string_view s);
// PostHog refuses to merge on ids that many users share by mistake (ingestion.md §4).
bool IsIllegalDistinctId(std::string_view id);
// A JSON object of string fields, for ingestion warnings' details.
std::string Details(std::initializer_list<std::pair<const char*, std::string_view>> fields);

}  // namespace hedgerow::ingest
