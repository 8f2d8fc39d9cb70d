#include "person_updates.h"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>

#include "hedgerow/common/json.h"

namespace hedgerow::ingest {
namespace {

using rapidjson::Document;
using rapidjson::Value;

// Properties copied to the person, in this order: each also sets $initial_<name> once.
struct AutoCaptured {
  const char* key;
  const char* initial;
};
constexpr AutoCaptured kAutoCaptured[] = {
    {"$browser", "$initial_browser"},
    {"$browser_version", "$initial_browser_version"},
    {"$os", "$initial_os"},
    {"$os_version", "$initial_os_version"},
    {"$device_type", "$initial_device_type"},
    {"$current_url", "$initial_current_url"},
    {"$pathname", "$initial_pathname"},
    {"$referrer", "$initial_referrer"},
    {"$referring_domain", "$initial_referring_domain"},
    {"$screen_height", "$initial_screen_height"},
    {"$screen_width", "$initial_screen_width"},
    {"$viewport_height", "$initial_viewport_height"},
    {"$viewport_width", "$initial_viewport_width"},
    {"$app_name", "$initial_app_name"},
    {"$app_version", "$initial_app_version"},
    {"$app_build", "$initial_app_build"},
    {"$app_namespace", "$initial_app_namespace"},
    {"$raw_user_agent", "$initial_raw_user_agent"},
    // Campaign parameters.
    {"utm_source", "$initial_utm_source"},
    {"utm_medium", "$initial_utm_medium"},
    {"utm_campaign", "$initial_utm_campaign"},
    {"utm_content", "$initial_utm_content"},
    {"utm_term", "$initial_utm_term"},
    {"gclid", "$initial_gclid"},
    {"gad_source", "$initial_gad_source"},
    {"fbclid", "$initial_fbclid"},
    {"msclkid", "$initial_msclkid"},
};
constexpr size_t kAutoCapturedCount = std::size(kAutoCaptured);

// Position in kAutoCaptured by name: one hash probe per event property instead of a scan
// of the properties per auto-captured name.
size_t AutoCapturedIndex(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, size_t>();
    for (size_t i = 0; i < kAutoCapturedCount; ++i) m->emplace(kAutoCaptured[i].key, i);
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? kAutoCapturedCount : it->second;
}

// A JSON object parsed into a pool whose first chunk is on the stack: a person's properties
// parse into about twice their size, so most never call malloc. Lives on the stack only.
struct ParsedObject {
  explicit ParsedObject(std::string_view text)
      : pool(first_chunk, sizeof first_chunk, std::max<size_t>(1024, text.size() * 2)), doc(&pool) {
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
  }
  char first_chunk[8192];
  rapidjson::MemoryPoolAllocator<> pool;
  Document doc;
};

// Sets `key` in `target` unless present (when `only_if_absent`) or always.
void Put(Document& target, const Value& key, const Value& value, bool only_if_absent) {
  auto& a = target.GetAllocator();
  auto it = target.FindMember(key);
  if (it != target.MemberEnd()) {
    if (!only_if_absent) it->value.CopyFrom(value, a);
    return;
  }
  target.AddMember(Value(key, a), Value(value, a), a);
}

}  // namespace

PersonUpdates::PersonUpdates(const Value& props) {
  set_.SetObject();
  set_once_.SetObject();
  unset_.SetArray();
  if (!props.IsObject()) return;
  if (auto it = props.FindMember("$set"); it != props.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) Put(set_, m.name, m.value, false);
  }
  if (auto it = props.FindMember("$set_once"); it != props.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) Put(set_once_, m.name, m.value, false);
  }
  if (auto it = props.FindMember("$unset"); it != props.MemberEnd()) {
    auto& a = unset_.GetAllocator();
    if (it->value.IsArray()) {
      for (const auto& k : it->value.GetArray()) {
        if (k.IsString()) unset_.PushBack(Value(k, a), a);
      }
    } else if (it->value.IsObject()) {
      for (const auto& m : it->value.GetObject()) unset_.PushBack(Value(m.name, a), a);
    }
  }
  // Auto-captured properties: explicit $set / $set_once values win.
  const Value* captured[kAutoCapturedCount] = {};
  for (const auto& m : props.GetObject()) {
    size_t i = AutoCapturedIndex(std::string_view(m.name.GetString(), m.name.GetStringLength()));
    if (i < kAutoCapturedCount && !m.value.IsNull() && captured[i] == nullptr) captured[i] = &m.value;
  }
  for (size_t i = 0; i < kAutoCapturedCount; ++i) {
    if (captured[i] == nullptr) continue;
    Put(set_, Value(rapidjson::StringRef(kAutoCaptured[i].key)), *captured[i], true);
    Put(set_once_, Value(rapidjson::StringRef(kAutoCaptured[i].initial)), *captured[i], true);
  }
}

std::string PersonUpdates::InitialProperties() const {
  std::string props = "{}";
  ApplyTo(props);
  return props;
}

bool PersonUpdates::ApplyTo(std::string& properties) const {
  ParsedObject parsed(properties);
  Document& d = parsed.doc;
  bool changed = false;
  auto& a = d.GetAllocator();
  for (const auto& m : set_once_.GetObject()) {
    if (!d.HasMember(m.name)) {
      d.AddMember(Value(m.name, a), Value(m.value, a), a);
      changed = true;
    }
  }
  for (const auto& m : set_.GetObject()) {
    auto it = d.FindMember(m.name);
    if (it == d.MemberEnd()) {
      d.AddMember(Value(m.name, a), Value(m.value, a), a);
      changed = true;
    } else if (it->value != m.value) {
      it->value.CopyFrom(m.value, a);
      changed = true;
    }
  }
  for (const auto& k : unset_.GetArray()) {
    // EraseMember keeps the order of the remaining keys (RemoveMember would move the last
    // key into the hole), as deleting from a JS object in PostHog does.
    if (auto it = d.FindMember(k); it != d.MemberEnd()) {
      d.EraseMember(it);
      changed = true;
    }
  }
  if (changed) properties = WriteJson(d, properties.size() + 64);
  return changed;
}

std::string MergeProperties(std::string_view base, std::string_view overlay) {
  ParsedObject base_object(base);
  ParsedObject overlay_object(overlay);
  Document& out = base_object.doc;
  Document& top = overlay_object.doc;
  for (const auto& m : top.GetObject()) Put(out, m.name, m.value, false);
  return WriteJson(out, base.size() + overlay.size());
}

}  // namespace hedgerow::ingest
