#include "person_updates.h"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace hedgerow::ingest {
namespace {

using rapidjson::Document;
using rapidjson::Value;

constexpr const char* kAutoCaptured[] = {
    "$browser",      "$browser_version", "$os",           "$os_version",       "$device_type",
    "$current_url",  "$pathname",        "$referrer",     "$referring_domain", "$screen_height",
    "$screen_width", "$viewport_height", "$viewport_width", "$app_name",       "$app_version",
    "$app_build",    "$app_namespace",   "$raw_user_agent"};
constexpr const char* kCampaign[] = {"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
                                     "gclid",      "gad_source", "fbclid",       "msclkid"};

std::string Serialize(const Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// A pool sized for the text: a person's properties parse into about twice their size.
struct ParsedObject {
  explicit ParsedObject(std::string_view text) : pool(std::max<size_t>(1024, text.size() * 2)), doc(&pool) {
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
  }
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
  auto capture = [&](const char* key) {
    auto it = props.FindMember(key);
    if (it == props.MemberEnd() || it->value.IsNull()) return;
    Put(set_, Value(rapidjson::StringRef(key)), it->value, true);
    std::string initial = std::string("$initial_") + (key[0] == '$' ? key + 1 : key);
    Put(set_once_, Value(initial.c_str(), set_once_.GetAllocator()), it->value, true);
  };
  for (const char* k : kAutoCaptured) capture(k);
  for (const char* k : kCampaign) capture(k);
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
  if (changed) properties = Serialize(d);
  return changed;
}

std::string MergeProperties(std::string_view base, std::string_view overlay) {
  ParsedObject base_object(base);
  ParsedObject overlay_object(overlay);
  Document& out = base_object.doc;
  Document& top = overlay_object.doc;
  for (const auto& m : top.GetObject()) Put(out, m.name, m.value, false);
  return Serialize(out);
}

}  // namespace hedgerow::ingest
