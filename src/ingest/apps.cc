#include "hedgerow/ingest/apps.h"

#include <array>
#include <cctype>

#include <fmt/format.h>

#include "hedgerow/common/json.h"
#include "hedgerow/ingest/user_agent.h"
#include "ingest/event_text.h"

namespace hedgerow::ingest {
namespace {

using rapidjson::Document;
using rapidjson::Value;

Value& Properties(Document& event) {
  if (!event.HasMember("properties") || !event["properties"].IsObject()) {
    if (event.HasMember("properties")) event.EraseMember(event.FindMember("properties"));
    event.AddMember("properties", Value(rapidjson::kObjectType), event.GetAllocator());
  }
  return event["properties"];
}

void EraseKey(Value& object, std::string_view key) {
  if (!object.IsObject()) return;
  auto it = object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
  if (it != object.MemberEnd()) object.EraseMember(it);
}

std::string_view EventName(const Document& e) {
  auto it = e.FindMember("event");
  return it != e.MemberEnd() && it->value.IsString() ? std::string_view(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string_view();
}

class PropertyFilter final : public App {
 public:
  PropertyFilter(std::string event, std::string property, std::optional<Document> value)
      : event_(std::move(event)), property_(std::move(property)), value_(std::move(value)) {}
  std::string_view kind() const override { return "property_filter"; }
  Result<AppOutcome> Apply(Document& e, AppEnv&) const override {
    if (!event_.empty() && EventName(e) != event_) return AppOutcome::kKeep;
    if (!property_.empty()) {
      const Value& props = Properties(e);
      auto it = props.FindMember(Value(rapidjson::StringRef(property_.c_str())));
      if (it == props.MemberEnd()) return AppOutcome::kKeep;
      if (value_ && it->value != *value_) return AppOutcome::kKeep;
    }
    return AppOutcome::kDrop;
  }

 private:
  std::string event_, property_;
  std::optional<Document> value_;
};

class PropertyRemover final : public App {
 public:
  explicit PropertyRemover(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  std::string_view kind() const override { return "property_remover"; }
  Result<AppOutcome> Apply(Document& e, AppEnv&) const override {
    Value& props = Properties(e);
    for (const std::string& k : keys_) {
      EraseKey(props, k);
      for (const char* nested : {"$set", "$set_once"}) {
        if (props.HasMember(nested)) EraseKey(props[nested], k);
        if (e.HasMember(nested)) EraseKey(e[nested], k);
      }
    }
    return AppOutcome::kKeep;
  }

 private:
  std::vector<std::string> keys_;
};

class PropertyRenamer final : public App {
 public:
  explicit PropertyRenamer(std::vector<std::pair<std::string, std::string>> renames) : renames_(std::move(renames)) {}
  std::string_view kind() const override { return "property_renamer"; }
  Result<AppOutcome> Apply(Document& e, AppEnv&) const override {
    Value& props = Properties(e);
    auto& a = e.GetAllocator();
    for (const auto& [from, to] : renames_) {
      auto it = props.FindMember(Value(rapidjson::StringRef(from.c_str())));
      if (it == props.MemberEnd()) continue;
      Value moved(it->value, a);
      props.EraseMember(it);
      EraseKey(props, to);
      props.AddMember(Value(to.c_str(), a), moved, a);
    }
    return AppOutcome::kKeep;
  }

 private:
  std::vector<std::pair<std::string, std::string>> renames_;
};

// Splits "Order Placed", "orderPlaced", "order-placed", "order_placed" into lower-case words.
std::vector<std::string> Words(std::string_view name) {
  std::vector<std::string> words;
  std::string current;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    bool boundary = c == ' ' || c == '_' || c == '-' || c == '.';
    if (boundary) {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
      continue;
    }
    if (std::isupper(c) && !current.empty() && std::islower(static_cast<unsigned char>(current.back()))) {
      words.push_back(std::move(current));
      current.clear();
    }
    current += static_cast<char>(std::tolower(c));
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

class Taxonomy final : public App {
 public:
  explicit Taxonomy(bool camel) : camel_(camel) {}
  std::string_view kind() const override { return "taxonomy"; }
  Result<AppOutcome> Apply(Document& e, AppEnv&) const override {
    std::string_view name = EventName(e);
    if (name.empty() || name[0] == '$') return AppOutcome::kKeep;  // PostHog's own events keep their names
    std::string out;
    for (const std::string& w : Words(name)) {
      if (camel_ && !out.empty()) {
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
        out += w.substr(1);
      } else {
        if (!camel_ && !out.empty()) out += '_';
        out += w;
      }
    }
    e["event"].SetString(out.c_str(), static_cast<rapidjson::SizeType>(out.size()), e.GetAllocator());
    return AppOutcome::kKeep;
  }

 private:
  bool camel_;
};

// JavaScript truthiness, as PostHog's apps test `event.properties.$geoip_disable`.
bool Truthy(const Value& v) {
  if (v.IsBool()) return v.GetBool();
  if (v.IsNumber()) return v.GetDouble() != 0;
  if (v.IsString()) return v.GetStringLength() > 0;
  return v.IsObject() || v.IsArray();
}

// The GeoIP app's fields, in PostHog's order, with their property names; `cleared`: the
// fields PostHog's app sets to null in $set/$set_once when the location lacks them.
struct GeoField {
  std::string_view name, set_once_name;  // name: on the event and in $set
  bool cleared;
};
constexpr GeoField kGeoFields[] = {
    {"$geoip_city_name", "$initial_geoip_city_name", true},
    {"$geoip_country_name", "$initial_geoip_country_name", true},
    {"$geoip_country_code", "$initial_geoip_country_code", true},
    {"$geoip_continent_name", "$initial_geoip_continent_name", true},
    {"$geoip_continent_code", "$initial_geoip_continent_code", true},
    {"$geoip_postal_code", "$initial_geoip_postal_code", true},
    {"$geoip_latitude", "$initial_geoip_latitude", true},
    {"$geoip_longitude", "$initial_geoip_longitude", true},
    {"$geoip_accuracy_radius", "$initial_geoip_accuracy_radius", true},
    {"$geoip_time_zone", "$initial_geoip_time_zone", true},
    {"$geoip_subdivision_1_code", "$initial_geoip_subdivision_1_code", true},
    {"$geoip_subdivision_1_name", "$initial_geoip_subdivision_1_name", true},
    {"$geoip_subdivision_2_code", "$initial_geoip_subdivision_2_code", true},
    {"$geoip_subdivision_2_name", "$initial_geoip_subdivision_2_name", true},
    {"$geoip_subdivision_3_code", "$initial_geoip_subdivision_3_code", false},
    {"$geoip_subdivision_3_name", "$initial_geoip_subdivision_3_name", false},
    {"$geoip_subdivision_4_code", "$initial_geoip_subdivision_4_code", false},
    {"$geoip_subdivision_4_name", "$initial_geoip_subdivision_4_name", false},
    {"$geoip_city_confidence", "$initial_geoip_city_confidence", true},  // enterprise databases only
};
constexpr size_t kGeoFieldCount = std::size(kGeoFields);
constexpr size_t kFirstSubdivisionField = 10;
static_assert(kFirstSubdivisionField + 2 * GeoLocation::kMaxSubdivisions + 1 == kGeoFieldCount);

// A name that lives as long as the program: rapidjson keeps the pointer instead of a copy.
Value StaticName(std::string_view name) { return Value(rapidjson::StringRef(name.data(), name.size())); }

// object[name] = value (a copy), in place when the key is there.
void Assign(Value& object, std::string_view name, const Value& value, Document::AllocatorType& a) {
  auto it = object.FindMember(StaticName(name));
  if (it != object.MemberEnd()) {
    it->value.CopyFrom(value, a);
  } else {
    object.AddMember(StaticName(name), Value(value, a), a);
  }
}

// PostHog's GeoIP app (posthog-plugin-geoip): the location's fields as $geoip_* properties,
// and as person properties: $set gets $geoip_* and $set_once $initial_geoip_*, over nulls for
// the fields the app always clears (so a person who moved loses a stale postal code), which
// the event's own $set/$set_once values override.
class GeoIp final : public App {
 public:
  explicit GeoIp(std::shared_ptr<GeoIpDatabase> database) : database_(std::move(database)) {}
  std::string_view kind() const override { return "geoip"; }
  bool never_fails() const override { return true; }
  Result<AppOutcome> Apply(Document& e, AppEnv& env) const override {
    if (!database_) return AppOutcome::kKeep;
    Value& props = Properties(e);
    if (auto it = props.FindMember("$geoip_disable"); it != props.MemberEnd() && Truthy(it->value)) {
      return AppOutcome::kKeep;
    }
    std::string_view ip = Str(props, "$ip");
    if (ip.empty()) ip = env.ip;
    std::shared_ptr<const GeoLocation> location = ip.empty() ? nullptr : database_->Lookup(ip);
    if (!location) return AppOutcome::kKeep;
    auto& a = e.GetAllocator();
    std::array<Value, kGeoFieldCount> values;  // null: the location lacks it
    auto text = [&](size_t i, const std::optional<std::string>& v) {
      if (v) values[i].SetString(v->c_str(), static_cast<rapidjson::SizeType>(v->size()), a);
    };
    text(0, location->city_name);
    text(1, location->country_name);
    text(2, location->country_code);
    text(3, location->continent_name);
    text(4, location->continent_code);
    text(5, location->postal_code);
    if (location->latitude) values[6].SetDouble(*location->latitude);
    if (location->longitude) values[7].SetDouble(*location->longitude);
    if (location->accuracy_radius) values[8].SetUint64(*location->accuracy_radius);
    text(9, location->time_zone);
    for (size_t i = 0; i < location->subdivisions.size(); ++i) {
      text(kFirstSubdivisionField + 2 * i, location->subdivisions[i].code);
      text(kFirstSubdivisionField + 2 * i + 1, location->subdivisions[i].name);
    }
    for (bool once : {false, true}) {
      const char* set_key = once ? "$set_once" : "$set";
      auto it = props.FindMember(set_key);
      if (it == props.MemberEnd() || !it->value.IsObject()) {
        EraseKey(props, set_key);
        props.AddMember(StaticName(set_key), Value(rapidjson::kObjectType), a);
        it = props.MemberEnd() - 1;
      }
      Value& updates = it->value;
      for (size_t i = 0; i < kGeoFieldCount; ++i) {
        std::string_view name = once ? kGeoFields[i].set_once_name : kGeoFields[i].name;
        if (!values[i].IsNull()) {
          Assign(updates, name, values[i], a);
        } else if (kGeoFields[i].cleared && !updates.HasMember(StaticName(name))) {
          updates.AddMember(StaticName(name), Value(), a);
        }
      }
    }
    for (size_t i = 0; i < kGeoFieldCount; ++i) {
      if (!values[i].IsNull()) Assign(props, kGeoFields[i].name, values[i], a);
    }
    return AppOutcome::kKeep;
  }

 private:
  std::shared_ptr<GeoIpDatabase> database_;
};

// The browser, OS and device of a user agent the event carries, parsed by uap-core's regexes
// and named as posthog-js names them; only properties the event lacks are filled.
class UserAgent final : public App {
 public:
  std::string_view kind() const override { return "user_agent"; }
  bool never_fails() const override { return true; }
  Result<AppOutcome> Apply(Document& e, AppEnv&) const override {
    Value& props = Properties(e);
    std::string_view ua;
    for (const char* key : {"$raw_user_agent", "$useragent", "$user_agent", "$user-agent"}) {
      if (ua = Str(props, key); !ua.empty()) break;
    }
    if (ua.empty()) return AppOutcome::kKeep;
    UserAgentProperties parsed = UserAgentParser::Builtin().Parse(ua);
    auto& a = e.GetAllocator();
    auto fill = [&](const char* key, const std::string& value) {
      if (!value.empty() && !props.HasMember(key)) {
        props.AddMember(Value(key, a), Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), a), a);
      }
    };
    fill("$browser", parsed.browser);
    if (parsed.browser_version && !props.HasMember("$browser_version")) {
      props.AddMember("$browser_version", Value(*parsed.browser_version), a);
    }
    fill("$os", parsed.os);
    fill("$os_version", parsed.os_version);
    fill("$device_type", parsed.device_type);
    return AppOutcome::kKeep;
  }
};

class FirstTimeEvent final : public App {
 public:
  std::string_view kind() const override { return "first_time_event"; }
  bool reads_persons() const override { return true; }
  Result<AppOutcome> Apply(Document& e, AppEnv& env) const override {
    HEDGEROW_ASSIGN_OR_RETURN(auto firsts, env.txn->MarkEventSeen(env.team_id, EventName(e), env.distinct_id));
    Value& props = Properties(e);
    auto& a = e.GetAllocator();
    EraseKey(props, "is_first_event_ever");
    EraseKey(props, "is_first_event_for_user");
    props.AddMember("is_first_event_ever", Value(firsts.first), a);
    props.AddMember("is_first_event_for_user", Value(firsts.second), a);
    return AppOutcome::kKeep;
  }
};

Status BadConfig(std::string_view kind, std::string_view why) {
  return Status::InvalidArgument(fmt::format("apps: {} config: {}", kind, why));
}

}  // namespace

Result<std::unique_ptr<App>> MakeApp(std::string_view kind, std::string_view config_text,
                                     const AppResources& resources) {
  // Stored in meta.sqlite and read at every start: a config that crashed the parse would
  // crash every start.
  if (JsonNestsDeeperThan(config_text)) return BadConfig(kind, fmt::format("nests deeper than {} levels", kMaxJsonDepth));
  Document config;
  config.Parse(config_text.data(), config_text.size());
  if (config.HasParseError() || !config.IsObject()) return BadConfig(kind, "must be a JSON object");
  auto str = [&](const char* key) -> std::string {
    auto it = config.FindMember(key);
    return it != config.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  if (kind == "property_filter") {
    std::optional<Document> value;
    if (auto it = config.FindMember("value"); it != config.MemberEnd()) {
      value.emplace();
      value->CopyFrom(it->value, value->GetAllocator());
    }
    if (str("event").empty() && str("property").empty()) return BadConfig(kind, "needs \"event\" or \"property\"");
    return std::unique_ptr<App>(new PropertyFilter(str("event"), str("property"), std::move(value)));
  }
  if (kind == "property_remover") {
    auto it = config.FindMember("properties");
    if (it == config.MemberEnd() || !it->value.IsArray()) return BadConfig(kind, "\"properties\" must be a list of names");
    std::vector<std::string> keys;
    for (const auto& k : it->value.GetArray()) {
      if (!k.IsString()) return BadConfig(kind, "\"properties\" must hold strings");
      keys.emplace_back(k.GetString());
    }
    return std::unique_ptr<App>(new PropertyRemover(std::move(keys)));
  }
  if (kind == "property_renamer") {
    auto it = config.FindMember("renames");
    if (it == config.MemberEnd() || !it->value.IsObject()) return BadConfig(kind, "\"renames\" must map old to new names");
    std::vector<std::pair<std::string, std::string>> renames;
    for (const auto& m : it->value.GetObject()) {
      if (!m.value.IsString()) return BadConfig(kind, "new names must be strings");
      renames.emplace_back(m.name.GetString(), m.value.GetString());
    }
    return std::unique_ptr<App>(new PropertyRenamer(std::move(renames)));
  }
  if (kind == "taxonomy") {
    std::string style = str("style");
    if (style != "snake_case" && style != "camelCase") return BadConfig(kind, "\"style\" must be snake_case or camelCase");
    return std::unique_ptr<App>(new Taxonomy(style == "camelCase"));
  }
  if (kind == "geoip") return std::unique_ptr<App>(new GeoIp(resources.geoip));
  if (kind == "user_agent") return std::unique_ptr<App>(new UserAgent());
  if (kind == "first_time_event") return std::unique_ptr<App>(new FirstTimeEvent());
  return Status::InvalidArgument(fmt::format(
      "apps: unknown app \"{}\"; known: property_filter, property_remover, property_renamer, taxonomy, geoip, "
      "user_agent, first_time_event",
      kind));
}

}  // namespace hedgerow::ingest
