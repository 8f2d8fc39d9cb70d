#include "hedgerow/api/project_api.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "hedgerow/api/json_body.h"
#include "hedgerow/api/project_auth.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"

namespace hedgerow::api {
namespace {

Result<std::string> ProjectJson(meta::MetaStore& meta, int64_t project_id) {
  HEDGEROW_ASSIGN_OR_RETURN(std::optional<meta::Project> project, meta.FindProjectById(project_id));
  if (!project) return Status::NotFound(fmt::format("no project {}", project_id));
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<meta::AppConfig> apps, meta.Apps(project_id));
  std::string out = fmt::format(R"({{"id":{},"name":)", project->id);
  AppendJsonString(out, project->name);
  out += R"(,"api_token":)";
  AppendJsonString(out, project->api_token);
  out += fmt::format(R"(,"anonymize_ips":{},"created_at":)", project->anonymize_ips);
  AppendJsonString(out, FormatIso8601Micros(project->created_at));
  out += R"(,"apps":[)";
  for (size_t i = 0; i < apps.size(); ++i) {
    out += i == 0 ? R"({"kind":)" : R"(,{"kind":)";
    AppendJsonString(out, apps[i].kind);
    // Stored configs were checked when written; one that is not JSON shows as a string.
    out += R"(,"config":)";
    if (IsJson(apps[i].config)) {
      out += apps[i].config;
    } else {
      AppendJsonString(out, apps[i].config);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

http::Response ProjectResponse(meta::MetaStore& meta, int64_t project_id) {
  Result<std::string> json = ProjectJson(meta, project_id);
  return json.ok() ? http::Response::Json(200, std::move(*json)) : http::Response::Error(json.status());
}

}  // namespace

void AddProjectRoutes(http::Router& router, ProjectApiOptions options) {
  router.Add("GET,PATCH", "/api/projects/:id/", [options](http::Request request, http::Reply reply) {
    meta::MetaStore& meta = *options.meta;
    http::Response refusal;
    std::optional<int64_t> project = AuthorizedProject(request, meta, request.path_params.at("id"), "projects", refusal);
    if (!project) return reply(std::move(refusal));
    if (request.method == "PATCH") {
      rapidjson::Document body;
      if (std::optional<http::Response> bad = ParseJsonObjectBody(request, body)) return reply(std::move(*bad));
      auto anonymize = body.FindMember("anonymize_ips");
      if (anonymize != body.MemberEnd() && !anonymize->value.IsBool()) {
        return reply(ValidationError("invalid_input", "anonymize_ips must be true or false", "anonymize_ips"));
      }
      auto apps = body.FindMember("apps");
      if (apps != body.MemberEnd()) {
        if (!apps->value.IsArray()) return reply(ValidationError("invalid_input", "apps must be an array", "apps"));
        Status replaced = options.replace_apps(*project, WriteJson(apps->value));
        if (!replaced.ok()) {
          return reply(replaced.code() == StatusCode::kInvalidArgument
                           ? ValidationError("invalid_input", replaced.message(), "apps")
                           : http::Response::Error(replaced));
        }
      }
      if (anonymize != body.MemberEnd()) {
        Status set = meta.SetAnonymizeIps(*project, anonymize->value.GetBool());
        if (!set.ok()) return reply(http::Response::Error(set));
      }
    }
    reply(ProjectResponse(meta, *project));
  });
}

}  // namespace hedgerow::api
