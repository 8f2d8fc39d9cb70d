// Ingestion's one-pass message reader, against rapidjson: whatever it accepts must be a JSON
// object whose fields it read are the object's own (first member of the name, string values).

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdlib>
#include <string>

#include "ingest/message.h"

namespace {

// The first member named `name` when it is a string, else "" (what ReadMessage promises).
std::string Expected(const rapidjson::Value& object, std::string_view name) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == name) {
      return it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength()) : std::string();
    }
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);
  std::string buffer;
  hedgerow::ingest::MessageFields fields;
  if (!hedgerow::ingest::ReadMessage(message, buffer, fields)) return 0;
  rapidjson::Document doc;
  std::string copy(message);
  doc.Parse<rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseIterativeFlag>(copy.c_str(), copy.size());
  if (doc.HasParseError() || !doc.IsObject()) std::abort();  // accepted what is not an object
  const std::pair<std::string_view, std::string_view> read[] = {
      {"token", fields.token}, {"distinct_id", fields.distinct_id}, {"uuid", fields.uuid}, {"ip", fields.ip},
      {"now", fields.now},     {"sent_at", fields.sent_at},         {"data", fields.data}};
  for (const auto& [name, value] : read) {
    if (Expected(doc, name) != value) std::abort();
  }
  return 0;
}
