#pragma once

#include <string>
#include <string_view>

namespace hedgerow::ingest {

// The fields of an events_plugin_ingestion message that ingestion reads. Each is empty when
// absent or not a string (a JSON parser's first member of that name wins).
struct MessageFields {
  std::string_view token;
  std::string_view distinct_id;
  std::string_view uuid;
  std::string_view ip;
  std::string_view now;
  std::string_view sent_at;
  // Unescaped into the buffer given to ReadMessage, NUL-terminated and followed by at least
  // 16 more bytes: the event can be parsed in place.
  std::string_view data;
};

// Reads a message shaped as capture writes them (one object of string or null values, keys
// without escapes, no \u escapes or raw control bytes in strings) in one pass, without a
// document: the fields are views into `message` and, for `data` and any other field with
// escapes, into `buffer` (resized here; not to be resized while the fields are in use).
// False for anything else, or invalid JSON: the caller's JSON parser decides what it is.
bool ReadMessage(std::string_view message, std::string& buffer, MessageFields& fields);

}  // namespace hedgerow::ingest
