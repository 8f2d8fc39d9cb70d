#include "hedgerow/ingest/apps.h"

#include <cctype>

#include <fmt/format.h>

#include "hedgerow/common/json.h"

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

class UserAgentParser final : public App {
 public:
  std::string_view kind() const override { return "user_agent"; }
  Result<AppOutcome> Apply(Document& e, AppEnv&) const override {
    Value& props = Properties(e);
    auto it = props.FindMember("$raw_user_agent");
    if (it == props.MemberEnd() || !it->value.IsString()) return AppOutcome::kKeep;
    std::string ua(it->value.GetString(), it->value.GetStringLength());
    auto has = [&](const char* s) { return ua.find(s) != std::string::npos; };
    // Order matters: Edge and Opera say "Chrome", Chrome says "Safari".
    const char* browser = has("Edg/") ? "Microsoft Edge" : has("OPR/") ? "Opera" : has("Firefox/") ? "Firefox"
                          : has("Chrome/") ? "Chrome" : has("Safari/") ? "Safari" : nullptr;
    const char* os = has("Windows") ? "Windows" : has("iPhone") || has("iPad") ? "iOS" : has("Android") ? "Android"
                     : has("Mac OS X") ? "Mac OS X" : has("Linux") ? "Linux" : nullptr;
    const char* device = has("iPad") || has("Tablet") ? "Tablet" : has("Mobi") || has("iPhone") ? "Mobile" : "Desktop";
    auto& a = e.GetAllocator();
    auto fill = [&](const char* key, const char* value) {
      if (value != nullptr && !props.HasMember(key)) props.AddMember(Value(key, a), Value(value, a), a);
    };
    fill("$browser", browser);
    fill("$os", os);
    fill("$device_type", device);
    return AppOutcome::kKeep;
  }
};

class FirstTimeEvent final : public App {
 public:
  std::string_view kind() const override { return "first_time_event"; }
  Result<AppOutcome> Apply(Document& e, AppEnv& env) const override {
    HEDGEROW_ASSIGN_OR_RETURN(auto firsts, env.txn.MarkEventSeen(env.team_id, EventName(e), env.distinct_id));
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

Result<std::unique_ptr<App>> MakeApp(std::string_view kind, std::string_view config_text) {
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
  if (kind == "user_agent") return std::unique_ptr<App>(new UserAgentParser());
  if (kind == "first_time_event") return std::unique_ptr<App>(new FirstTimeEvent());
  return Status::InvalidArgument(fmt::format(
      "apps: unknown app \"{}\"; known: property_filter, property_remover, property_renamer, taxonomy, user_agent, "
      "first_time_event",
      kind));
}

}  // namespace hedgerow::ingest
