#pragma once

#include <rapidjson/document.h>

#include <boost/container/small_vector.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hedgerow::ingest {

// The person property changes one event asks for: $set, $set_once (with PostHog's
// auto-captured $initial_* and campaign properties) and $unset.
// Points into the event's properties, which must outlive it unchanged; not thread-safe.
class PersonUpdates {
 public:
  // Reads properties.$set / $set_once / $unset and the auto-captured keys (ingestion.md §3).
  explicit PersonUpdates(const rapidjson::Value& properties);

  // {...$set_once, ...$set} minus $unset: the properties of a person this event creates.
  std::string InitialProperties() const;
  // Applies $set_once (keys not yet set), then $set, then $unset to `properties` (a JSON
  // object text, replaced in place). Returns true when anything changed.
  bool ApplyTo(std::string& properties) const;

  // The two ways ApplyTo works, public so that tests hold one against the other.
  // Splice: on the text itself, for compact objects as WriteJson writes them (every
  // person's properties): no parse into a document, no serialization. nullopt when the text
  // is anything else (or has escaped keys).
  std::optional<bool> Splice(std::string& properties) const;
  bool ApplyToDocument(std::string& properties) const;

  // The views below point into members.
  PersonUpdates(const PersonUpdates&) = delete;
  PersonUpdates& operator=(const PersonUpdates&) = delete;

 private:
  // A $set or $set_once entry, with its key and value as JSON texts.
  struct Entry {
    std::string_view key;  // unescaped
    const rapidjson::Value* value;
    std::string_view key_json;  // in texts_, set by WriteEntries
    std::string_view value_json;
    size_t key_end = 0, value_end = 0;  // the texts' ends in texts_ (which moves while written)
  };
  // Inline room for a typical event's entries (posthog-js: a few $set keys and the
  // auto-captured ones): no allocation per event.
  using Entries = boost::container::small_vector<Entry, 8>;
  // Sets `key` to `value` in `entries`: in place if there, else at the end unless only_if_absent.
  static void Put(Entries& entries, std::string_view key, const rapidjson::Value& value, bool only_if_absent);
  void WriteEntries();

  std::string texts_;  // the JSON texts of the entries
  Entries set_entries_, set_once_entries_;
  boost::container::small_vector<std::string_view, 4> unset_keys_;
};

// {...base, ...overlay} for two JSON object texts (a merge keeps the target's values).
std::string MergeProperties(std::string_view base, std::string_view overlay);

}  // namespace hedgerow::ingest
