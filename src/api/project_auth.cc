#include "hedgerow/api/project_auth.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "hedgerow/common/clock.h"
#include "hedgerow/http/header_list.h"

namespace hedgerow::api {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::optional<int64_t> SessionProject(const http::Request& request, meta::MetaStore& meta, std::string_view session_id,
                                      std::string_view what, http::Response& refusal) {
  if (!SameOriginOrNone(request)) {
    refusal = http::Response::Error(403, "authentication_error", "permission_denied",
                                    fmt::format("{}: the web UI's session works from its own pages only; other sites "
                                                "send a personal API key", what));
    return std::nullopt;
  }
  Result<std::optional<meta::UiSession>> session = meta.FindUiSession(session_id, NowMicros());
  if (!session.ok() || !*session) {
    refusal = http::Response::Error(401, "authentication_error", "not_authenticated",
                                    fmt::format("{}: the session has ended: sign in again", what));
    return std::nullopt;
  }
  const std::string& expected = (*session)->csrf_token;
  std::string_view sent = request.Header("X-CSRF-Token");
  bool reads = request.method == "GET" || request.method == "HEAD";
  if (!reads && (sent.size() != expected.size() || CRYPTO_memcmp(sent.data(), expected.data(), sent.size()) != 0)) {
    refusal = http::Response::Error(403, "authentication_error", "csrf_failed",
                                    fmt::format("{}: a write with the session needs its X-CSRF-Token", what));
    return std::nullopt;
  }
  return (*session)->project_id;
}

}  // namespace

std::string_view CookieValue(const http::Request& request, std::string_view name) {
  std::string_view rest = request.Header("Cookie");
  while (!rest.empty()) {
    std::string_view pair = http::NextListItem(rest, ';');
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

bool SameOriginOrNone(const http::Request& request) {
  std::string_view origin = request.Header("Origin");
  if (origin.empty()) return true;
  size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;  // "null" from sandboxed frames and files
  return EqualsIgnoreCase(origin.substr(scheme_end + 3), request.Header("Host"));
}

std::optional<int64_t> AuthenticatedProject(const http::Request& request, meta::MetaStore& meta, std::string_view what,
                                            http::Response& refusal) {
  std::string_view auth = request.Header("Authorization");
  std::string_view key = auth.substr(0, 7) == "Bearer " ? auth.substr(7) : std::string_view();
  std::string_view session_id = CookieValue(request, kSessionCookie);
  if (key.empty() && !session_id.empty()) return SessionProject(request, meta, session_id, what, refusal);
  Result<std::optional<int64_t>> project =
      key.empty() ? Result<std::optional<int64_t>>(std::nullopt) : meta.ProjectOfPersonalApiKey(key);
  if (project.ok() && *project) return **project;
  refusal = http::Response::Error(401, "authentication_error", "authentication_failed",
                                  fmt::format("{}: send a personal API key as Authorization: Bearer phx_...", what));
  return std::nullopt;
}

std::optional<int64_t> AuthorizedProject(const http::Request& request, meta::MetaStore& meta, std::string_view id_text,
                                         std::string_view what, http::Response& refusal) {
  std::optional<int64_t> key_project = AuthenticatedProject(request, meta, what, refusal);
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
