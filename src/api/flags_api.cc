// /flags and /decide: the flags SDKs ask for (client-api.md §3).
#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "hedgerow/api/flags_api.h"
#include "hedgerow/capture/payload.h"
#include "hedgerow/capture/remote_config.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/uuid.h"

namespace hedgerow::api {
namespace {

constexpr size_t kMaxDistinctIdChars = 200;  // PostHog truncates longer ones
constexpr size_t kMaxGroups = 100;
constexpr size_t kMaxFlagKeys = 1000;

// How the answer is shaped (client-api.md §3.2).
enum class Shape { kDetailed, kLegacy, kEnabledMap, kEnabledList };

http::Response BadRequest(std::string_view detail) {
  return http::Response::Error(400, "validation_error", "invalid_payload", detail);
}

// The first member of `obj` among `names`, or null.
const rapidjson::Value* Member(const rapidjson::Value& obj, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = obj.FindMember(name);
    if (it != obj.MemberEnd() && !it->value.IsNull()) return &it->value;
  }
  return nullptr;
}

// A string, or a number written as JSON (PostHog stringifies numeric ids and keys).
std::optional<std::string> IdText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNumber()) return WriteJson(v, 24);
  return std::nullopt;
}

int VersionParam(const http::Request& request, int absent) {
  std::optional<std::string> v = request.QueryParam("v");
  int version = absent;
  if (v) std::from_chars(v->data(), v->data() + v->size(), version);
  return version;
}

// The keys posthog-js reads from /decide (and /flags?config=true): the remote config plus
// the legacy ones.
void AppendConfig(std::string& out, std::string_view token, bool has_flags) {
  std::string config = capture::RemoteConfigJson(token, has_flags);
  out.append(config, 1, config.size() - 2);  // its members, without the braces
  out += R"(,"isAuthenticated":false,"toolbarParams":{},"editorParams":{},"toolbarVersion":"toolbar",)"
         R"("config":{"enable_collect_everything":true},)";
}

void AppendDetailedFlag(std::string& out, const flags::FlagDefinition& flag, const flags::FlagResult& r) {
  out += "{\"key\":";
  out += flag.key_json;
  out += r.enabled ? ",\"enabled\":true,\"variant\":" : ",\"enabled\":false,\"variant\":";
  if (r.variant) {
    AppendJsonString(out, *r.variant);
  } else {
    out += "null";
  }
  if (r.failed) out += ",\"failed\":true";
  out += ",\"reason\":{\"code\":\"";
  out += flags::ReasonCode(r.reason);  // plain ASCII
  out += '"';
  out += ",\"condition_index\":";
  out += r.condition_index ? std::to_string(*r.condition_index) : "null";
  out += ",\"description\":\"";
  out += flags::ReasonDescription(r.reason);  // plain ASCII: no escaping needed
  if (r.reason == flags::Reason::kConditionMatch) out += std::to_string(r.condition_index.value_or(0) + 1);
  out += '"';
  // Appended by hand (fmt's parsing was a tenth of a 50-flag answer's cost), the metadata
  // rendered once per definition.
  out += "},";
  out += flag.metadata_json;
  out += r.enabled && r.payload_json != nullptr ? std::string_view(*r.payload_json) : std::string_view("null");
  out += ",\"has_experiment\":false}}";
}

void AppendValue(std::string& out, const flags::FlagResult& r) {
  if (r.enabled && r.variant) {
    AppendJsonString(out, *r.variant);
  } else {
    out += r.enabled ? "true" : "false";
  }
}

void AppendFlags(std::string& out, Shape shape, const flags::FlagsResponse& response) {
  const size_t n = response.flags.size();
  out.reserve(out.size() + 64 + 320 * n);
  switch (shape) {
    case Shape::kDetailed:
      out += "\"flags\":{";
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) out += ',';
        out += response.flags[i]->key_json;
        out += ':';
        AppendDetailedFlag(out, *response.flags[i], response.results[i]);
      }
      out += '}';
      break;
    case Shape::kLegacy:
    case Shape::kEnabledMap: {
      out += "\"featureFlags\":{";
      bool first = true;
      for (size_t i = 0; i < n; ++i) {
        if (shape == Shape::kEnabledMap && !response.results[i].enabled) continue;
        if (!first) out += ',';
        first = false;
        out += response.flags[i]->key_json;
        out += ':';
        AppendValue(out, response.results[i]);
      }
      out += '}';
      if (shape == Shape::kLegacy) {
        out += ",\"featureFlagPayloads\":{";
        first = true;
        for (size_t i = 0; i < n; ++i) {
          const flags::FlagResult& r = response.results[i];
          if (!r.enabled || r.payload == nullptr) continue;
          if (!first) out += ',';
          first = false;
          out += response.flags[i]->key_json;
          out += ':';
          out += *r.payload_json;
        }
        out += '}';
      }
      break;
    }
    case Shape::kEnabledList: {
      out += "\"featureFlags\":[";
      bool first = true;
      for (size_t i = 0; i < n; ++i) {
        if (!response.results[i].enabled) continue;
        if (!first) out += ',';
        first = false;
        out += response.flags[i]->key_json;
      }
      out += ']';
      break;
    }
  }
}

class FlagsHandler {
 public:
  explicit FlagsHandler(FlagsApiOptions options) : options_(options) {}

  void Handle(const http::Request& request, const http::Reply& reply, bool decide) const {
    if (request.method == "HEAD") return reply(http::Response::Text(200, ""));
    Shape shape;
    bool with_config;
    if (decide) {
      int v = VersionParam(request, 1);
      shape = v >= 4 ? Shape::kDetailed : v == 3 ? Shape::kLegacy : v == 2 ? Shape::kEnabledMap : Shape::kEnabledList;
      with_config = true;
    } else {
      // Neither v nor config: upstream answers as v=2&config=true.
      std::optional<std::string> config = request.QueryParam("config");
      int v = VersionParam(request, 2);
      shape = v >= 2 ? Shape::kDetailed : Shape::kLegacy;
      with_config = config ? (*config == "true" || *config == "1") : !request.QueryParam("v").has_value();
    }
    if (request.method == "GET") return reply(Answer(request, shape, with_config, {}, "", false));

    capture::PayloadSource source;
    source.body = request.body;
    source.content_type = request.Header("Content-Type");
    source.query_compression = request.QueryParam("compression");
    Result<std::string> text = capture::DecodePayload(source, options_.max_body_bytes);
    if (!text.ok()) return reply(BadRequest(fmt::format("Failed to decode request: {}", text.status().message())));
    if (JsonNestsDeeperThan(*text)) return reply(BadRequest("Failed to decode request: the JSON nests too deeply"));
    rapidjson::Document body;
    // posthog-js may send NaN and Infinity; they parse (and compare as numbers).
    body.Parse<rapidjson::kParseNanAndInfFlag>(text->data(), text->size());
    if (body.HasParseError() || !body.IsObject()) {
      return reply(BadRequest("Failed to decode request: the body is not a JSON object"));
    }
    const rapidjson::Value* token = Member(body, {"token", "api_key", "$token"});
    if (token == nullptr || !token->IsString() || token->GetStringLength() == 0) {
      return reply(http::Response::Error(401, "authentication_error", "missing_api_key",
                                         "No API token provided. Send the project token as \"token\" in the body."));
    }
    std::optional<meta::Project> project = options_.meta->FindProjectByToken(token->GetString());
    if (!project) {
      return reply(http::Response::Error(401, "authentication_error", "invalid_api_key",
                                         "Project API key invalid. You can find your project API key in your "
                                         "project settings."));
    }
    const rapidjson::Value* disable = Member(body, {"disable_flags"});
    if (disable != nullptr && disable->IsBool() && disable->GetBool()) {
      return reply(Answer(request, shape, with_config, {}, project->api_token,
                          options_.flags->HasActiveFlags(project->id)));
    }
    flags::FlagsRequest req;
    req.project_id = project->id;
    const rapidjson::Value* distinct_id = Member(body, {"distinct_id", "$distinct_id"});
    std::optional<std::string> id = distinct_id == nullptr ? std::nullopt : IdText(*distinct_id);
    if (!id) return reply(BadRequest("distinct_id is required: a string or a number"));
    req.distinct_id = std::move(*id);
    if (req.distinct_id.size() > kMaxDistinctIdChars) req.distinct_id.resize(kMaxDistinctIdChars);
    if (const rapidjson::Value* anon = Member(body, {"$anon_distinct_id", "anon_distinct_id"})) {
      req.anon_distinct_id = IdText(*anon).value_or("");
    }
    req.person_properties = Member(body, {"person_properties", "$properties"});
    rapidjson::Document with_geoip;
    if (const rapidjson::Value* geoip_disable = Member(body, {"geoip_disable"});
        options_.geoip && !(geoip_disable != nullptr && geoip_disable->IsTrue())) {
      if (AddGeoipProperties(request, req.person_properties, with_geoip)) req.person_properties = &with_geoip;
    }
    req.group_properties = Member(body, {"group_properties", "$group_properties"});
    if (const rapidjson::Value* groups = Member(body, {"groups", "$groups"})) {
      if (!groups->IsObject() || groups->MemberCount() > kMaxGroups) {
        return reply(BadRequest(fmt::format("groups must be an object of at most {} group types", kMaxGroups)));
      }
      for (const auto& g : groups->GetObject()) {
        std::optional<std::string> key = IdText(g.value);
        if (key) req.groups.emplace_back(std::string(g.name.GetString(), g.name.GetStringLength()), std::move(*key));
      }
    }
    if (const rapidjson::Value* keys = Member(body, {"flag_keys", "flag_keys_to_evaluate"})) {
      if (!keys->IsArray() || keys->Size() > kMaxFlagKeys) {
        return reply(BadRequest(fmt::format("flag_keys must be an array of at most {} keys", kMaxFlagKeys)));
      }
      for (const rapidjson::Value& k : keys->GetArray()) {
        if (k.IsString()) req.flag_keys.emplace_back(k.GetString(), k.GetStringLength());
      }
    }
    Result<flags::FlagsResponse> evaluated = options_.flags->Evaluate(req);
    if (!evaluated.ok()) {
      LogWarn("flags", "evaluation failed", {{"request_id", request.id}, {"error", evaluated.status().message()}});
      return reply(http::Response::Error(evaluated.status()));
    }
    reply(Answer(request, shape, with_config, *evaluated, project->api_token, evaluated->snapshot->any_active));
  }

 private:
  // PostHog's flags service's GeoIP: the location of the client's address as seven string
  // properties, under the request's own (which win unless null). False when there is none.
  bool AddGeoipProperties(const http::Request& request, const rapidjson::Value* person_properties,
                          rapidjson::Document& out) const {
    std::string ip = options_.client_ip ? options_.client_ip(request) : request.remote_address;
    std::shared_ptr<const ingest::GeoLocation> location = options_.geoip->Lookup(ip);
    if (!location) return false;
    out.SetObject();
    auto& a = out.GetAllocator();
    if (person_properties != nullptr && person_properties->IsObject()) out.CopyFrom(*person_properties, a);
    const std::pair<const char*, const std::optional<std::string>*> fields[] = {
        {"$geoip_country_name", &location->country_name}, {"$geoip_city_name", &location->city_name},
        {"$geoip_country_code", &location->country_code}, {"$geoip_continent_name", &location->continent_name},
        {"$geoip_continent_code", &location->continent_code}, {"$geoip_postal_code", &location->postal_code},
        {"$geoip_time_zone", &location->time_zone}};
    for (const auto& [key, value] : fields) {
      if (!*value) continue;
      rapidjson::Value text((*value)->c_str(), static_cast<rapidjson::SizeType>((*value)->size()), a);
      auto it = out.FindMember(key);
      if (it == out.MemberEnd()) {
        out.AddMember(rapidjson::StringRef(key), text, a);
      } else if (it->value.IsNull()) {
        it->value = text;
      }
    }
    return true;
  }

  static http::Response Answer(const http::Request& request, Shape shape, bool with_config,
                               const flags::FlagsResponse& response, std::string_view token, bool has_flags) {
    std::string out = "{";
    if (with_config) AppendConfig(out, token, has_flags || request.method == "GET");
    AppendFlags(out, shape, response);
    out += fmt::format(R"(,"errorsWhileComputingFlags":{},"requestId":"{}","evaluatedAt":{}}})", response.errors,
                       Uuid::V4().ToString(), NowMicros() / 1000);
    return http::Response::Json(200, std::move(out));
  }

  FlagsApiOptions options_;
};

}  // namespace

void AddFlagsRoutes(http::Router& router, FlagsApiOptions options) {
  auto handler = std::make_shared<FlagsHandler>(options);
  router.Add("GET,POST,HEAD", "/flags/", [handler](http::Request request, http::Reply reply) {
    handler->Handle(request, reply, false);
  });
  router.Add("GET,POST,HEAD", "/decide/", [handler](http::Request request, http::Reply reply) {
    handler->Handle(request, reply, true);
  });
}

}  // namespace hedgerow::api
