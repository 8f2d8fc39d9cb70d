#include <atomic>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "embedded_files.h"
#include "hedgerow/api/json_body.h"
#include "hedgerow/api/project_auth.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/ui/ui.h"
#include "password.h"

namespace hedgerow::ui {
namespace {

// The pages the app draws; any other /ui/... path is a 404.
constexpr std::string_view kPages[] = {"events", "persons", "sql", "trends", "funnels", "flags", "settings", "health",
                                       "login"};

// Scripts, styles and connections from this origin only; no framing (clickjacking).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// At most this many password checks run at once: each is a third of a second of CPU on the
// query pool, and a flood of sign-ins must not starve queries.
constexpr int kMaxPasswordChecks = 2;

struct Asset {
  std::string content_type;
  std::string bytes;
  std::string gzipped;
  std::string etag;
};

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

std::map<std::string, Asset, std::less<>> LoadAssets() {
  std::map<std::string, Asset, std::less<>> assets;
  for (const EmbeddedFile& file : EmbeddedFiles()) {
    Asset& a = assets[std::string(file.name)];
    a.content_type = ContentTypeOf(file.name);
    a.bytes = std::string(file.bytes);
    a.gzipped = Gzip(file.bytes);
    a.etag = "\"" + HexEncode(Sha256(file.bytes)).substr(0, 16) + "\"";
  }
  return assets;
}

bool AcceptsGzip(const http::Request& request) {
  return request.Header("Accept-Encoding").find("gzip") != std::string_view::npos;
}

http::Response ServeAsset(const http::Request& request, const Asset& asset, bool page) {
  http::Response response;
  response.SetHeader("ETag", asset.etag);
  response.SetHeader("Cache-Control", "no-cache");  // revalidate: the ETag makes that a 304
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Vary", "Accept-Encoding");
  if (page) {
    response.SetHeader("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.SetHeader("X-Frame-Options", "DENY");
    response.SetHeader("Referrer-Policy", "same-origin");
  }
  if (request.Header("If-None-Match") == asset.etag) {
    response.status = 304;
    return response;
  }
  response.SetHeader("Content-Type", asset.content_type);
  if (AcceptsGzip(request)) {
    response.SetHeader("Content-Encoding", "gzip");
    response.body = asset.gzipped;
  } else {
    response.body = asset.bytes;
  }
  return response;
}

bool IsLocalPeer(const http::Request& request) {
  const std::string& peer = request.remote_address;
  bool loopback = peer == "::1" || peer.starts_with("127.") || peer.starts_with("::ffff:127.");
  // A reverse proxy on the same machine makes every peer look local.
  return loopback && request.Header("X-Forwarded-For").empty() && request.Header("Forwarded").empty();
}

http::Response Refuse(int status, std::string_view code, std::string_view detail) {
  return http::Response::Error(status, status == 401 || status == 403 ? "authentication_error" : "invalid_request", code,
                               detail);
}

class UiRoutes : public std::enable_shared_from_this<UiRoutes> {
 public:
  explicit UiRoutes(UiOptions options) : options_(std::move(options)), assets_(LoadAssets()) {}

  void Add(http::Router& router) {
    auto self = shared_from_this();
    auto page = [self](http::Request request, http::Reply reply) {
      reply(ServeAsset(request, self->assets_.find("index.html")->second, true));
    };
    router.Add("GET,HEAD", "/", page);
    router.Add("GET,HEAD", "/ui", page);
    router.Add("GET,HEAD", "/ui/persons/:id", page);
    router.Add("GET,HEAD", "/ui/assets/:name", [self](http::Request request, http::Reply reply) {
      auto it = self->assets_.find(request.path_params.at("name"));
      if (it == self->assets_.end() || it->first == "index.html") {
        return reply(Refuse(404, "not_found", "no such file of the web UI"));
      }
      reply(ServeAsset(request, it->second, false));
    });
    router.Add("GET", "/ui/api/session", [self](http::Request request, http::Reply reply) {
      reply(self->Session(request));
    });
    router.Add("POST", "/ui/api/login", [self](http::Request request, http::Reply reply) {
      self->Login(std::move(request), std::move(reply));
    });
    router.Add("POST", "/ui/api/logout", [self](http::Request request, http::Reply reply) {
      reply(self->Logout(request));
    });
    router.Add("POST", "/ui/api/admin_password", [self](http::Request request, http::Reply reply) {
      self->SetAdminPassword(std::move(request), std::move(reply));
    });
    router.Add("GET", "/ui/api/health", [self](http::Request request, http::Reply reply) {
      http::Response refusal;
      if (!api::AuthenticatedProject(request, *self->options_.meta, "ingestion health", refusal)) {
        return reply(std::move(refusal));
      }
      bool queued = self->options_.pool->Submit(
          [self, reply] { reply(http::Response::Json(200, self->options_.ingestion_health())); });
      if (!queued) reply(Refuse(503, "busy", "the server is busy: try again"));
    });
    // Last: the page names (the routes above are more specific).
    router.Add("GET,HEAD", "/ui/:page", [self, page](http::Request request, http::Reply reply) {
      for (std::string_view p : kPages) {
        if (request.path_params.at("page") == p) return page(std::move(request), std::move(reply));
      }
      reply(Refuse(404, "not_found", "no such page of the web UI"));
    });
  }

 private:
  // The signed-in state: the project and CSRF token, or what the sign-in page may offer.
  http::Response Session(const http::Request& request) {
    std::string_view session_id = api::CookieValue(request, api::kSessionCookie);
    if (!session_id.empty() && api::SameOriginOrNone(request)) {
      Result<std::optional<meta::UiSession>> session = options_.meta->FindUiSession(session_id, NowMicros());
      if (!session.ok()) return http::Response::Error(session.status());
      if (*session) return SignedIn(**session);
    }
    Result<std::string> stored = options_.meta->AdminPasswordHash();
    if (!stored.ok()) return http::Response::Error(stored.status());
    return http::Response::Json(
        200, fmt::format(R"({{"signed_in":false,"admin_password_set":{},"can_set_admin_password":{}}})", !stored->empty(),
                         stored->empty() && IsLocalPeer(request)));
  }

  http::Response SignedIn(const meta::UiSession& session, std::string cookie = {}) {
    Result<std::optional<meta::Project>> project = options_.meta->FindProjectById(session.project_id);
    if (!project.ok()) return http::Response::Error(project.status());
    if (!*project) return Refuse(404, "not_found", "the session's project is gone");
    std::string out = fmt::format(R"({{"signed_in":true,"project":{{"id":{},"name":)", session.project_id);
    AppendJsonString(out, (*project)->name);
    out += R"(},"csrf_token":)";
    AppendJsonString(out, session.csrf_token);
    out += '}';
    http::Response response = http::Response::Json(200, std::move(out));
    if (!cookie.empty()) response.SetHeader("Set-Cookie", std::move(cookie));
    response.SetHeader("Cache-Control", "no-store");
    return response;
  }

  std::string Cookie(const http::Request& request, std::string_view value, int64_t max_age_seconds) {
    // Secure when a TLS-terminating proxy says the browser used https.
    bool https = request.Header("X-Forwarded-Proto") == "https";
    return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", api::kSessionCookie, value,
                       max_age_seconds, https ? "; Secure" : "");
  }

  http::Response StartSession(const http::Request& request, int64_t project_id) {
    const int64_t lifetime = options_.session_lifetime.count();
    Result<std::pair<std::string, meta::UiSession>> made =
        options_.meta->CreateUiSession(project_id, NowMicros() + lifetime * 1'000'000);
    if (!made.ok()) return http::Response::Error(made.status());
    LogInfo("ui", "signed in", {{"request_id", request.id}, {"project_id", project_id}});
    return SignedIn(made->second, Cookie(request, made->first, lifetime));
  }

  void Login(http::Request request, http::Reply reply) {
    if (!api::SameOriginOrNone(request)) return reply(Refuse(403, "cross_origin", "sign in from the UI's own pages"));
    rapidjson::Document body;
    if (std::optional<http::Response> bad = api::ParseJsonObjectBody(request, body)) return reply(std::move(*bad));
    auto key = body.FindMember("personal_api_key");
    auto password = body.FindMember("password");
    if (key != body.MemberEnd() && key->value.IsString()) {
      Result<std::optional<int64_t>> project = options_.meta->ProjectOfPersonalApiKey(key->value.GetString());
      if (!project.ok()) return reply(http::Response::Error(project.status()));
      if (!*project) return reply(Refuse(401, "invalid_credentials", "no such personal API key"));
      return reply(StartSession(request, **project));
    }
    if (password == body.MemberEnd() || !password->value.IsString()) {
      return reply(api::ValidationError("required", "send personal_api_key or password", "password"));
    }
    Result<std::string> stored = options_.meta->AdminPasswordHash();
    if (!stored.ok()) return reply(http::Response::Error(stored.status()));
    if (stored->empty()) return reply(Refuse(401, "invalid_credentials", "no admin password is set yet"));
    std::string given(password->value.GetString(), password->value.GetStringLength());
    if (given.size() > kMaxPasswordBytes) return reply(Refuse(401, "invalid_credentials", "wrong password"));
    RunPasswordWork(std::move(reply), [self = shared_from_this(), request, given, hash = *stored] {
      if (!VerifyPassword(given, hash)) {
        LogWarn("ui", "wrong admin password", {{"request_id", request.id}, {"peer", request.remote_address}});
        return Refuse(401, "invalid_credentials", "wrong password");
      }
      return self->StartSession(request, 1);
    });
  }

  http::Response Logout(const http::Request& request) {
    http::Response refusal;
    if (!api::AuthenticatedProject(request, *options_.meta, "sign out", refusal)) return refusal;
    Status deleted = options_.meta->DeleteUiSession(api::CookieValue(request, api::kSessionCookie));
    if (!deleted.ok()) return http::Response::Error(deleted);
    http::Response response = http::Response::Json(200, R"({"signed_in":false})");
    response.SetHeader("Set-Cookie", Cookie(request, "", 0));
    return response;
  }

  // Signed in (with the CSRF token): sets or changes it. Not signed in: the first run's
  // form, from the server's own machine, while none is set; it signs that visitor in.
  void SetAdminPassword(http::Request request, http::Reply reply) {
    bool has_credentials = !api::CookieValue(request, api::kSessionCookie).empty() ||
                           !request.Header("Authorization").empty();
    http::Response refusal;
    std::optional<int64_t> signed_in;
    if (has_credentials) {
      signed_in = api::AuthenticatedProject(request, *options_.meta, "admin password", refusal);
      if (!signed_in) return reply(std::move(refusal));
    } else if (!IsLocalPeer(request) || !api::SameOriginOrNone(request)) {
      return reply(Refuse(403, "permission_denied",
                          "sign in with the personal API key to set the admin password, or open the UI on the "
                          "server's own machine"));
    }
    rapidjson::Document body;
    if (std::optional<http::Response> bad = api::ParseJsonObjectBody(request, body)) return reply(std::move(*bad));
    auto password = body.FindMember("password");
    if (password == body.MemberEnd() || !password->value.IsString() ||
        password->value.GetStringLength() < kMinPasswordBytes || password->value.GetStringLength() > kMaxPasswordBytes) {
      return reply(api::ValidationError(
          "invalid_input", fmt::format("the password must be {} to {} bytes", kMinPasswordBytes, kMaxPasswordBytes),
          "password"));
    }
    std::string given(password->value.GetString(), password->value.GetStringLength());
    RunPasswordWork(std::move(reply), [self = shared_from_this(), request, given, first_run = !signed_in] {
      Result<bool> stored = self->options_.meta->SetAdminPasswordHash(
          HashPassword(given, self->options_.password_iterations), first_run);
      if (!stored.ok()) return http::Response::Error(stored.status());
      if (!*stored) return Refuse(409, "already_set", "an admin password is set already: sign in");
      LogInfo("ui", first_run ? "admin password set (first run)" : "admin password changed",
              {{"request_id", request.id}, {"peer", request.remote_address}});
      return first_run ? self->StartSession(request, 1) : http::Response::Json(200, R"({"admin_password_set":true})");
    });
  }

  // Hashing on the pool, at most kMaxPasswordChecks at once (429 past that).
  void RunPasswordWork(http::Reply reply, std::function<http::Response()> work) {
    if (password_checks_.fetch_add(1) >= kMaxPasswordChecks) {
      password_checks_.fetch_sub(1);
      return reply(Refuse(429, "throttled", "too many sign-ins at once: try again in a second"));
    }
    auto self = shared_from_this();
    bool queued = options_.pool->Submit([self, reply, work = std::move(work)] {
      http::Response response = work();
      self->password_checks_.fetch_sub(1);
      reply(std::move(response));
    });
    if (!queued) {
      password_checks_.fetch_sub(1);
      reply(Refuse(503, "busy", "the server is busy: try again"));
    }
  }

  UiOptions options_;
  const std::map<std::string, Asset, std::less<>> assets_;
  std::atomic<int> password_checks_{0};
};

}  // namespace

void AddUiRoutes(http::Router& router, UiOptions options) { std::make_shared<UiRoutes>(std::move(options))->Add(router); }

}  // namespace hedgerow::ui
