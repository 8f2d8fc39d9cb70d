// PostHog's flag management API and the local-evaluation definitions (client-api.md §5).
#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "hedgerow/api/flags_api.h"
#include "hedgerow/api/json_body.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/json.h"
#include "hedgerow/api/project_auth.h"

namespace hedgerow::api {
namespace {

http::Response Invalid(std::string_view code, std::string_view detail, std::string_view attr) {
  return ValidationError(code, detail, attr);
}

http::Response NotFound(std::string_view what) { return http::Response::Error(404, "invalid_request", "not_found", what); }

// The flag as PostHog's API returns it. `filters` is the stored JSON, passed through.
void AppendFlag(std::string& out, const flags::FlagDefinition& flag) {
  const meta::FeatureFlagRow& row = flag.row;
  const bool simple = flag.conditions.size() == 1 && flag.conditions[0].properties.empty() && flag.variants.empty();
  out += fmt::format(R"({{"id":{},"team_id":{},"key":)", row.id, row.project_id);
  AppendJsonString(out, row.key);
  out += R"(,"name":)";
  AppendJsonString(out, row.name);
  out += R"(,"filters":)";
  out += row.filters;
  out += fmt::format(R"(,"active":{},"deleted":{},"ensure_experience_continuity":{},"version":{},"created_at":")",
                     row.active, row.deleted, row.ensure_experience_continuity, row.version);
  out += FormatIso8601Micros(row.created_at);
  out += R"(","updated_at":")";
  out += FormatIso8601Micros(row.updated_at);
  out += R"(","created_by":null,"is_simple_flag":)";
  out += simple ? "true" : "false";
  out += R"(,"rollout_percentage":)";
  const auto& rollout = simple ? flag.conditions[0].rollout_percentage : std::nullopt;
  out += rollout ? fmt::format("{}", *rollout) : "null";
  out += R"(,"tags":[],"evaluation_tags":[],"experiment_set":[],"surveys":[],"features":[],)"
         R"("has_encrypted_payloads":false,"evaluation_runtime":"all","bucketing_identifier":"distinct_id"})";
}

void AppendFlagRow(std::string& out, const meta::FeatureFlagRow& row) {
  Result<flags::FlagDefinition> flag = flags::CompileFlag(row);
  if (flag.ok()) return AppendFlag(out, *flag);
  flags::FlagDefinition raw;  // stored by something that bypassed the checks: shown as it is
  raw.row = row;
  AppendFlag(out, raw);
}

// Applies the fields of a create or update body to `row`. Fields absent stay as they are.
std::optional<http::Response> ApplyFlagFields(const rapidjson::Value& body, meta::FeatureFlagRow& row) {
  if (auto key = body.FindMember("key"); key != body.MemberEnd()) {
    if (!key->value.IsString()) return Invalid("invalid_input", "key must be a string", "key");
    row.key = key->value.GetString();
  }
  if (Status s = flags::CheckFlagKey(row.key); !s.ok()) return Invalid("invalid_input", s.message(), "key");
  if (auto name = body.FindMember("name"); name != body.MemberEnd() && !name->value.IsNull()) {
    if (!name->value.IsString()) return Invalid("invalid_input", "name must be a string", "name");
    row.name = name->value.GetString();
  }
  struct BoolField {
    const char* name;
    bool* field;
  };
  for (BoolField f : {BoolField{"active", &row.active}, BoolField{"deleted", &row.deleted},
                      BoolField{"ensure_experience_continuity", &row.ensure_experience_continuity}}) {
    auto it = body.FindMember(f.name);
    if (it == body.MemberEnd()) continue;
    if (!it->value.IsBool()) return Invalid("invalid_input", fmt::format("{} must be true or false", f.name), f.name);
    *f.field = it->value.GetBool();
  }
  if (auto filters = body.FindMember("filters"); filters != body.MemberEnd()) {
    if (!filters->value.IsObject()) return Invalid("invalid_input", "filters must be an object", "filters");
    row.filters = WriteJson(filters->value);
  }
  Result<flags::FlagDefinition> compiled = flags::CompileFlag(row);
  Status valid = compiled.ok() ? flags::CheckFlagForWrite(*compiled) : compiled.status();
  if (!valid.ok()) return Invalid("invalid_input", valid.message(), "filters");
  return std::nullopt;
}

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

class FlagManagement {
 public:
  explicit FlagManagement(FlagsApiOptions options) : options_(options), meta_(*options.meta) {}

  void Flags(const http::Request& request, const http::Reply& reply) {
    http::Response refusal;
    std::optional<int64_t> project = Authorize(request, refusal);
    if (!project) return reply(std::move(refusal));
    if (request.method == "GET") {
      Result<std::vector<meta::FeatureFlagRow>> rows = meta_.FeatureFlags(*project);
      if (!rows.ok()) return reply(http::Response::Error(rows.status()));
      std::string out = fmt::format(R"({{"count":{},"next":null,"previous":null,"results":[)", rows->size());
      for (size_t i = 0; i < rows->size(); ++i) {
        if (i > 0) out += ',';
        AppendFlagRow(out, (*rows)[i]);
      }
      out += "]}";
      return reply(http::Response::Json(200, std::move(out)));
    }
    rapidjson::Document body;
    if (std::optional<http::Response> bad = ParseBody(request, body)) return reply(std::move(*bad));
    meta::FeatureFlagRow row;
    row.project_id = *project;
    // PostHog's default: one condition set, everyone.
    row.filters = R"({"groups":[{"properties":[],"rollout_percentage":null}]})";
    if (!body.HasMember("key")) return reply(Invalid("required", "This field is required.", "key"));
    if (std::optional<http::Response> bad = ApplyFlagFields(body, row)) return reply(std::move(*bad));
    Status inserted = meta_.InsertFeatureFlag(row);
    if (!inserted.ok()) return reply(WriteError(inserted));
    options_.flags->Invalidate();
    std::string out;
    AppendFlagRow(out, row);
    reply(http::Response::Json(201, std::move(out)));
  }

  void Flag(const http::Request& request, const http::Reply& reply) {
    http::Response refusal;
    std::optional<int64_t> project = Authorize(request, refusal);
    if (!project) return reply(std::move(refusal));
    std::optional<int64_t> id = ParseId(request.path_params.at("flag_id"));
    Result<std::optional<meta::FeatureFlagRow>> found =
        id ? meta_.FeatureFlag(*project, *id) : Result<std::optional<meta::FeatureFlagRow>>(std::nullopt);
    if (!found.ok()) return reply(http::Response::Error(found.status()));
    if (!*found || ((*found)->deleted && request.method != "GET")) {
      return reply(NotFound(fmt::format("feature flags: project {} has no flag {}", *project,
                                        request.path_params.at("flag_id"))));
    }
    meta::FeatureFlagRow row = **found;
    if (request.method == "GET") {
      std::string out;
      AppendFlagRow(out, row);
      return reply(http::Response::Json(200, std::move(out)));
    }
    if (request.method == "DELETE") {
      row.deleted = true;
    } else {
      rapidjson::Document body;
      if (std::optional<http::Response> bad = ParseBody(request, body)) return reply(std::move(*bad));
      if (std::optional<http::Response> bad = ApplyFlagFields(body, row)) return reply(std::move(*bad));
    }
    Status updated = meta_.UpdateFeatureFlag(row);
    if (!updated.ok()) return reply(WriteError(updated));
    options_.flags->Invalidate();
    if (request.method == "DELETE") return reply(http::Response::Text(204, ""));
    std::string out;
    AppendFlagRow(out, row);
    reply(http::Response::Json(200, std::move(out)));
  }

  // GET /flags/definitions?token=..., /api/feature_flag/local_evaluation?token=... and the
  // project-scoped path: what server SDKs evaluate locally.
  void Definitions(const http::Request& request, const http::Reply& reply) {
    http::Response refusal;
    std::optional<int64_t> project;
    if (request.path_params.count("id") != 0) {
      project = Authorize(request, refusal);
    } else {
      project = AuthenticatedProject(request, meta_, "local evaluation", refusal);
      std::optional<std::string> token = request.QueryParam("token");
      if (project && token) {
        std::optional<meta::Project> named = meta_.FindProjectByToken(*token);
        if (!named || named->id != *project) {
          refusal = http::Response::Error(403, "authentication_error", "permission_denied",
                                          "local evaluation: the token names a project this personal API key cannot read");
          project.reset();
        }
      }
    }
    if (!project) return reply(std::move(refusal));
    Result<std::shared_ptr<const flags::ProjectFlags>> snapshot = options_.flags->Flags(*project);
    if (!snapshot.ok()) return reply(http::Response::Error(snapshot.status()));
    const flags::ProjectFlags& p = **snapshot;
    std::vector<std::string> types = options_.flags->GroupTypes(*project);
    // The ETag covers the group types too: SDKs need them to evaluate group flags.
    std::string version = p.etag;
    for (const std::string& t : types) version += '\0' + t;
    const std::string etag = fmt::format("\"{}\"", HexEncode(Sha1({version})).substr(0, 32));
    if (request.Header("If-None-Match") == etag) {
      http::Response not_modified = http::Response::Text(304, "");
      not_modified.SetHeader("ETag", etag);
      return reply(std::move(not_modified));
    }
    std::string out = R"({"flags":[)";
    for (size_t i = 0; i < p.flags.size(); ++i) {
      if (i > 0) out += ',';
      AppendFlag(out, p.flags[i]);
    }
    out += R"(],"group_type_mapping":{)";
    for (size_t i = 0; i < types.size(); ++i) {
      if (i > 0) out += ',';
      out += fmt::format("\"{}\":", i);
      AppendJsonString(out, types[i]);
    }
    out += R"(},"cohorts":{)";
    bool first = true;
    for (const auto& [id, filters] : p.cohort_filters) {
      if (!first) out += ',';
      first = false;
      out += fmt::format("\"{}\":", id);
      out += UnwrappedCohort(filters);
    }
    out += "}}";
    http::Response r = http::Response::Json(200, std::move(out));
    r.SetHeader("ETag", etag);
    reply(std::move(r));
  }

  // GET|POST /api/projects/:id/cohorts/: {"name", "filters": {"properties": group}} for a
  // dynamic cohort, {"name", "is_static": true, "person_ids": [uuid, ...]} for a static one.
  void Cohorts(const http::Request& request, const http::Reply& reply) {
    http::Response refusal;
    std::optional<int64_t> project = Authorize(request, refusal);
    if (!project) return reply(std::move(refusal));
    if (request.method == "GET") {
      Result<std::vector<meta::CohortRow>> rows = meta_.Cohorts(*project);
      if (!rows.ok()) return reply(http::Response::Error(rows.status()));
      std::string out = fmt::format(R"({{"count":{},"next":null,"previous":null,"results":[)", rows->size());
      for (size_t i = 0; i < rows->size(); ++i) {
        if (i > 0) out += ',';
        AppendCohort(out, (*rows)[i]);
      }
      out += "]}";
      return reply(http::Response::Json(200, std::move(out)));
    }
    rapidjson::Document body;
    if (std::optional<http::Response> bad = ParseBody(request, body)) return reply(std::move(*bad));
    meta::CohortRow row;
    row.project_id = *project;
    if (auto name = body.FindMember("name"); name != body.MemberEnd() && name->value.IsString()) row.name = name->value.GetString();
    if (auto s = body.FindMember("is_static"); s != body.MemberEnd() && s->value.IsBool()) row.is_static = s->value.GetBool();
    std::vector<std::string> people;
    if (row.is_static) {
      auto ids = body.FindMember("person_ids");
      if (ids == body.MemberEnd() || !ids->value.IsArray()) {
        return reply(Invalid("required", "a static cohort needs person_ids: an array of person uuids", "person_ids"));
      }
      for (const rapidjson::Value& id : ids->value.GetArray()) {
        if (!id.IsString()) return reply(Invalid("invalid_input", "person_ids must be strings", "person_ids"));
        people.emplace_back(id.GetString(), id.GetStringLength());
      }
    } else {
      auto filters = body.FindMember("filters");
      if (filters == body.MemberEnd() || !filters->value.IsObject()) {
        return reply(Invalid("required", "a cohort needs filters: {\"properties\": {\"type\": \"OR\", \"values\": [...]}}",
                             "filters"));
      }
      row.filters = WriteJson(filters->value);
      if (Result<flags::PropertyGroup> group = flags::CompileCohort(row.filters); !group.ok()) {
        return reply(Invalid("invalid_input", group.status().message(), "filters"));
      }
    }
    Status inserted = meta_.InsertCohort(row);
    if (inserted.ok() && row.is_static) inserted = meta_.AddCohortPeople(row.id, people);
    if (!inserted.ok()) return reply(http::Response::Error(inserted));
    options_.flags->Invalidate();
    std::string out;
    AppendCohort(out, row);
    reply(http::Response::Json(201, std::move(out)));
  }

 private:
  std::optional<int64_t> Authorize(const http::Request& request, http::Response& refusal) {
    return AuthorizedProject(request, meta_, request.path_params.at("id"), "feature flags", refusal);
  }

  static std::optional<http::Response> ParseBody(const http::Request& request, rapidjson::Document& body) {
    return ParseJsonObjectBody(request, body);
  }

  static http::Response WriteError(const Status& s) {
    if (s.code() == StatusCode::kInvalidArgument) return Invalid("unique", s.message(), "key");
    if (s.code() == StatusCode::kNotFound) return NotFound(s.message());
    return http::Response::Error(s);
  }

  // Local evaluation ships a cohort's property group itself; PostHog stores it under
  // "properties".
  static std::string UnwrappedCohort(const std::string& filters) {
    rapidjson::Document doc;
    doc.Parse(filters.data(), filters.size());
    if (doc.IsObject()) {
      auto props = doc.FindMember("properties");
      if (props != doc.MemberEnd() && props->value.IsObject()) return WriteJson(props->value);
    }
    return filters;
  }

  static void AppendCohort(std::string& out, const meta::CohortRow& row) {
    out += fmt::format(R"({{"id":{},"name":)", row.id);
    AppendJsonString(out, row.name);
    out += fmt::format(R"(,"is_static":{},"filters":{},"created_at":")", row.is_static,
                       row.filters.empty() ? "null" : row.filters);
    out += FormatIso8601Micros(row.created_at);
    out += "\"}";
  }

  FlagsApiOptions options_;
  meta::MetaStore& meta_;
};

}  // namespace

void AddFlagManagementRoutes(http::Router& router, FlagsApiOptions options) {
  auto api = std::make_shared<FlagManagement>(options);
  auto route = [api](void (FlagManagement::*method)(const http::Request&, const http::Reply&)) {
    return [api, method](http::Request request, http::Reply reply) { ((*api).*method)(request, reply); };
  };
  router.Add("GET", "/flags/definitions", route(&FlagManagement::Definitions));
  router.Add("GET", "/api/feature_flag/local_evaluation", route(&FlagManagement::Definitions));
  router.Add("GET", "/api/projects/:id/feature_flags/local_evaluation", route(&FlagManagement::Definitions));
  router.Add("GET,POST", "/api/projects/:id/feature_flags/", route(&FlagManagement::Flags));
  router.Add("GET,PATCH,DELETE", "/api/projects/:id/feature_flags/:flag_id/", route(&FlagManagement::Flag));
  router.Add("GET,POST", "/api/projects/:id/cohorts/", route(&FlagManagement::Cohorts));
}

}  // namespace hedgerow::api
