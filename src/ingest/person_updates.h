#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace hedgerow::ingest {

// The person property changes one event asks for: $set, $set_once (with PostHog's
// auto-captured $initial_* and campaign properties) and $unset.
// Owns its JSON; not thread-safe.
class PersonUpdates {
 public:
  // Reads properties.$set / $set_once / $unset and the auto-captured keys (ingestion.md §3).
  explicit PersonUpdates(const rapidjson::Value& properties);

  // {...$set_once, ...$set} minus $unset: the properties of a person this event creates.
  std::string InitialProperties() const;
  // Applies $set_once (keys not yet set), then $set, then $unset to `properties` (a JSON
  // object text, replaced in place). Returns true when anything changed.
  bool ApplyTo(std::string& properties) const;

 private:
  // One small pool for the three documents (rapidjson's default is 64 KB each).
  rapidjson::MemoryPoolAllocator<> pool_{1024};
  rapidjson::Document set_{&pool_};
  rapidjson::Document set_once_{&pool_};
  rapidjson::Document unset_{&pool_};  // array of keys
};

// {...base, ...overlay} for two JSON object texts (a merge keeps the target's values).
std::string MergeProperties(std::string_view base, std::string_view overlay);

}  // namespace hedgerow::ingest
