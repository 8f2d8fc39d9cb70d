#include "project_auth.h"

#include <charconv>

#include <fmt/format.h>

namespace hedgerow::api {

std::optional<int64_t> BearerKeyProject(const http::Request& request, meta::MetaStore& meta, std::string_view what,
                                        http::Response& refusal) {
  std::string_view auth = request.Header("Authorization");
  std::string_view key = auth.substr(0, 7) == "Bearer " ? auth.substr(7) : std::string_view();
  Result<std::optional<int64_t>> project =
      key.empty() ? Result<std::optional<int64_t>>(std::nullopt) : meta.ProjectOfPersonalApiKey(key);
  if (project.ok() && *project) return **project;
  refusal = http::Response::Error(401, "authentication_error", "authentication_failed",
                                  fmt::format("{}: send a personal API key as Authorization: Bearer phx_...", what));
  return std::nullopt;
}

std::optional<int64_t> AuthorizedProject(const http::Request& request, meta::MetaStore& meta, std::string_view id_text,
                                         std::string_view what, http::Response& refusal) {
  std::optional<int64_t> key_project = BearerKeyProject(request, meta, what, refusal);
  if (!key_project) return std::nullopt;
  if (id_text == "@current") return key_project;
  int64_t project_id = 0;
  auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), project_id);
  Result<std::optional<meta::Project>> project = error == std::errc() && end == id_text.data() + id_text.size()
                                                     ? meta.FindProjectById(project_id)
                                                     : Result<std::optional<meta::Project>>(std::nullopt);
  if (!project.ok() || !*project) {
    refusal = http::Response::Error(404, "invalid_request", "not_found", fmt::format("{}: no project {}", what, id_text));
    return std::nullopt;
  }
  if (*key_project != project_id) {
    refusal = http::Response::Error(403, "authentication_error", "permission_denied",
                                    fmt::format("{}: this personal API key has no access to project {}", what, project_id));
    return std::nullopt;
  }
  return project_id;
}

}  // namespace hedgerow::api
