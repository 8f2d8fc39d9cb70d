#include "person_updates.h"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <type_traits>
#include <unordered_map>


#include "hedgerow/common/json.h"

namespace hedgerow::ingest {
namespace {

// Parsed on the stack with its parse stack in the same pool: no malloc for most texts.
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                            rapidjson::MemoryPoolAllocator<>>;
constexpr size_t kParseStackBytes = 1024;
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

// JSON text parsed into a pool whose first chunk is on the stack: a person's properties
// parse into about twice their size (plus the parse stack), so most never call malloc.
// Lives on the stack only.
struct Parsed {
  explicit Parsed(std::string_view text)
      : pool(first_chunk, sizeof first_chunk, std::max<size_t>(1024, text.size() * 2), SharedCrtAllocator()),
        doc(&pool, kParseStackBytes, &pool) {
    doc.Parse(text.data(), text.size());
  }
  // The object parsed, or an empty one for anything else.
  Document& Object() {
    if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
    return doc;
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

// One member of a compact JSON object text: its key (between the quotes) and value.
struct RawMember {
  std::string_view key;
  std::string_view value;
};

// The members of a compact object text, or false when it is not one (or a key has escapes).
bool ScanObject(std::string_view t, std::vector<RawMember>& members) {
  members.clear();
  if (t.size() < 2 || t.front() != '{' || t.back() != '}') return false;
  if (t.size() == 2) return true;
  size_t i = 1;
  while (true) {
    if (t[i] != '"') return false;
    size_t key_end = t.find('"', i + 1);
    if (key_end == std::string_view::npos) return false;
    std::string_view key = t.substr(i + 1, key_end - i - 1);
    if (key.find('\\') != std::string_view::npos) return false;
    i = key_end + 1;
    if (i >= t.size() || t[i] != ':') return false;
    size_t value_end = SkipJsonValue(t, i + 1);
    if (value_end == std::string_view::npos || value_end == i + 1 || value_end >= t.size()) return false;
    members.push_back({key, t.substr(i + 1, value_end - i - 1)});
    i = value_end;
    if (t[i] == '}') return i + 1 == t.size();
    if (t[i] != ',') return false;
    ++i;
  }
}

template <typename Items>
int IndexOf(const Items& items, std::string_view key) {
  for (size_t i = 0; i < items.size(); ++i) {
    if constexpr (std::is_same_v<typename Items::value_type, std::string_view>) {
      if (items[i] == key) return static_cast<int>(i);
    } else {
      if (items[i].key == key) return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

PersonUpdates::PersonUpdates(const Value& props) {
  if (!props.IsObject()) return;
  auto name = [](const Value& v) { return std::string_view(v.GetString(), v.GetStringLength()); };
  if (auto it = props.FindMember("$set"); it != props.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) Put(set_entries_, name(m.name), m.value, false);
  }
  if (auto it = props.FindMember("$set_once"); it != props.MemberEnd() && it->value.IsObject()) {
    for (const auto& m : it->value.GetObject()) Put(set_once_entries_, name(m.name), m.value, false);
  }
  if (auto it = props.FindMember("$unset"); it != props.MemberEnd()) {
    if (it->value.IsArray()) {
      for (const auto& k : it->value.GetArray()) {
        if (k.IsString()) unset_keys_.push_back(name(k));
      }
    } else if (it->value.IsObject()) {
      for (const auto& m : it->value.GetObject()) unset_keys_.push_back(name(m.name));
    }
  }
  // Auto-captured properties: explicit $set / $set_once values win.
  const Value* captured[kAutoCapturedCount] = {};
  for (const auto& m : props.GetObject()) {
    size_t i = AutoCapturedIndex(name(m.name));
    if (i < kAutoCapturedCount && !m.value.IsNull() && captured[i] == nullptr) captured[i] = &m.value;
  }
  for (size_t i = 0; i < kAutoCapturedCount; ++i) {
    if (captured[i] == nullptr) continue;
    Put(set_entries_, kAutoCaptured[i].key, *captured[i], true);
    Put(set_once_entries_, kAutoCaptured[i].initial, *captured[i], true);
  }
  WriteEntries();
}

void PersonUpdates::Put(Entries& entries, std::string_view key, const Value& value, bool only_if_absent) {
  if (int i = IndexOf(entries, key); i >= 0) {
    if (!only_if_absent) entries[i].value = &value;
    return;
  }
  entries.push_back({key, &value});
}

void PersonUpdates::WriteEntries() {
  // All texts in one buffer, then views into it.
  texts_.reserve(512);
  for (Entries* entries : {&set_once_entries_, &set_entries_}) {
    for (Entry& e : *entries) {
      AppendJsonString(texts_, e.key);
      e.key_end = texts_.size();
      AppendJson(texts_, *e.value);
      e.value_end = texts_.size();
    }
  }
  std::string_view texts(texts_);
  size_t at = 0;
  for (Entries* entries : {&set_once_entries_, &set_entries_}) {
    for (Entry& e : *entries) {
      e.key_json = texts.substr(at, e.key_end - at);
      e.value_json = texts.substr(e.key_end, e.value_end - e.key_end);
      at = e.value_end;
    }
  }
}

std::string PersonUpdates::InitialProperties() const {
  std::string props = "{}";
  ApplyTo(props);
  return props;
}

bool PersonUpdates::ApplyTo(std::string& properties) const {
  if (std::optional<bool> changed = Splice(properties)) return *changed;
  return ApplyToDocument(properties);
}

// The same steps as ApplyToDocument, in the same order, on the members of the text.
std::optional<bool> PersonUpdates::Splice(std::string& properties) const {
  thread_local std::vector<RawMember> members;
  constexpr size_t kMaxEntries = 64;
  if (set_entries_.size() > kMaxEntries || set_once_entries_.size() > kMaxEntries) return std::nullopt;
  if (!ScanObject(properties, members)) return std::nullopt;
  bool in_set[kMaxEntries] = {}, in_set_once[kMaxEntries] = {};  // already a member
  bool unset_found[kMaxEntries] = {};
  if (unset_keys_.size() > kMaxEntries) return std::nullopt;
  bool changed = false;
  std::string out;
  out.reserve(properties.size() + texts_.size() + 2);
  out += '{';
  auto append = [&](std::string_view key_json, std::string_view value_json) {
    if (out.size() > 1) out += ',';
    out += key_json;
    out += ':';
    out += value_json;
  };
  // Members the updates leave as they are go out as runs of the text they are in (each
  // member's text runs from its key's opening quote to the end of its value; neighbours are
  // one comma apart), so an event that changes one member copies the rest in one or two moves.
  const char* run = nullptr;
  const char* run_end = nullptr;
  auto flush_run = [&] {
    if (run == nullptr) return;
    if (out.size() > 1) out += ',';
    out.append(run, run_end);
    run = nullptr;
  };
  // A key that is there twice and touched by the updates: the document changes only the
  // first, so leave it to the document.
  for (const RawMember& m : members) {
    if (int k = IndexOf(unset_keys_, m.key); k >= 0) {  // $unset removes it, whatever $set did
      if (unset_found[k]) return std::nullopt;
      unset_found[k] = true;
      changed = true;
      flush_run();
      continue;
    }
    if (int j = IndexOf(set_once_entries_, m.key); j >= 0) {
      if (in_set_once[j]) return std::nullopt;
      in_set_once[j] = true;
    }
    if (int i = IndexOf(set_entries_, m.key); i >= 0) {
      if (in_set[i]) return std::nullopt;
      in_set[i] = true;
      const Entry& e = set_entries_[i];
      // WriteJson's texts of equal strings, booleans and nulls are equal; numbers, objects
      // and arrays are compared as values (1 == 1.0, key order), as the document path does.
      bool same = m.value == e.value_json;
      if (!same && (e.value->IsNumber() || e.value->IsObject() || e.value->IsArray())) {
        Parsed old(m.value);
        same = !old.doc.HasParseError() && old.doc == *e.value;
      }
      if (!same) {
        changed = true;
        flush_run();
        out += out.size() > 1 ? ",\"" : "\"";
        out += m.key;
        out += "\":";
        out += e.value_json;
        continue;
      }
    }
    if (run == nullptr) run = m.key.data() - 1;
    run_end = m.value.data() + m.value.size();
  }
  flush_run();
  for (size_t j = 0; j < set_once_entries_.size(); ++j) {
    if (in_set_once[j]) continue;
    const Entry& e = set_once_entries_[j];
    changed = true;  // added, even if $unset takes it away again
    if (IndexOf(unset_keys_, e.key) >= 0) continue;
    std::string_view value = e.value_json;
    if (int i = IndexOf(set_entries_, e.key); i >= 0) {  // $set overwrites it in place, if unequal
      in_set[i] = true;
      if (*set_entries_[i].value != *e.value) value = set_entries_[i].value_json;
    }
    append(e.key_json, value);
  }
  for (size_t i = 0; i < set_entries_.size(); ++i) {
    if (in_set[i]) continue;
    changed = true;
    if (IndexOf(unset_keys_, set_entries_[i].key) >= 0) continue;
    append(set_entries_[i].key_json, set_entries_[i].value_json);
  }
  out += '}';
  if (changed) properties = std::move(out);
  return changed;
}

bool PersonUpdates::ApplyToDocument(std::string& properties) const {
  Parsed parsed(properties);
  Document& d = parsed.Object();
  bool changed = false;
  auto& a = d.GetAllocator();
  auto ref = [](std::string_view key) { return Value(rapidjson::StringRef(key.data(), key.size())); };
  for (const Entry& e : set_once_entries_) {
    if (!d.HasMember(ref(e.key))) {
      d.AddMember(Value(e.key.data(), static_cast<rapidjson::SizeType>(e.key.size()), a), Value(*e.value, a), a);
      changed = true;
    }
  }
  for (const Entry& e : set_entries_) {
    auto it = d.FindMember(ref(e.key));
    if (it == d.MemberEnd()) {
      d.AddMember(Value(e.key.data(), static_cast<rapidjson::SizeType>(e.key.size()), a), Value(*e.value, a), a);
      changed = true;
    } else if (it->value != *e.value) {
      it->value.CopyFrom(*e.value, a);
      changed = true;
    }
  }
  for (std::string_view key : unset_keys_) {
    // EraseMember keeps the order of the remaining keys (RemoveMember would move the last
    // key into the hole), as deleting from a JS object in PostHog does.
    if (auto it = d.FindMember(ref(key)); it != d.MemberEnd()) {
      d.EraseMember(it);
      changed = true;
    }
  }
  if (changed) properties = WriteJson(d, properties.size() + 64);
  return changed;
}

std::string MergeProperties(std::string_view base, std::string_view overlay) {
  Parsed base_object(base);
  Parsed overlay_object(overlay);
  Document& out = base_object.Object();
  Document& top = overlay_object.Object();
  for (const auto& m : top.GetObject()) Put(out, m.name, m.value, false);
  return WriteJson(out, base.size() + overlay.size());
}

}  // namespace hedgerow::ingest
