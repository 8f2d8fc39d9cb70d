#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <rapidjson/document.h>

#include "embedded_files.h"
#include "hedgerow/api/json_body.h"
#include "hedgerow/api/project_auth.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/compression.h"
#include "hedgerow/common/digest.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/random.h"
#include "hedgerow/http/header_list.h"
#include "hedgerow/ui/ui.h"
#include "password.h"
#include "password_worker.h"

namespace hedgerow::ui {
namespace {

// The pages the app draws; any other /ui/... path is a 404.
constexpr std::string_view kPages[] = {"events", "persons", "sql", "trends", "funnels", "flags", "settings", "health",
                                       "login"};

// Scripts, styles and connections from this origin only; no framing (clickjacking).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Asset {
  std::string content_type;
  std::string bytes;
  std::string gzipped;
  std::string etag;
  std::string gzip_etag;
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
    std::string digest = HexEncode(Sha256(file.bytes)).substr(0, 16);
    a.etag = fmt::format("\"{}\"", digest);
    a.gzip_etag = fmt::format("\"{}-gzip\"", digest);
  }
  return assets;
}

// Whether Accept-Encoding takes gzip: listed (or "*"), and not with q=0.
bool AcceptsGzip(const http::Request& request) {
  std::string_view rest = request.Header("Accept-Encoding");
  while (!rest.empty()) {
    std::string_view params = http::NextListItem(rest, ',');
    std::string_view coding = http::NextListItem(params, ';');
    if (coding != "gzip" && coding != "*") continue;
    size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view value = params.substr(q + 2);
    return !(value.starts_with("0") && value.find_first_not_of("0. ") == std::string_view::npos);
  }
  return false;
}

// True when If-None-Match lists `etag` (weak or strong) or is "*".
bool Matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    std::string_view tag = http::NextListItem(if_none_match, ',');
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag || tag == "*") return true;
  }
  return false;
}

http::Response ServeAsset(const http::Request& request, const Asset& asset, bool page) {
  http::Response response;
  const bool gzip = AcceptsGzip(request);
  // The two encodings are two representations: each has its own ETag (RFC 9110 8.8.3).
  const std::string& etag = gzip ? asset.gzip_etag : asset.etag;
  response.SetHeader("ETag", etag);
  response.SetHeader("Cache-Control", "no-cache");  // revalidate: the ETag makes that a 304
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("Vary", "Accept-Encoding");
  if (page) {
    response.SetHeader("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.SetHeader("X-Frame-Options", "DENY");
    response.SetHeader("Referrer-Policy", "same-origin");
  }
  if (Matches(request.Header("If-None-Match"), etag)) {
    response.status = 304;
    return response;
  }
  response.SetHeader("Content-Type", asset.content_type);
  if (gzip) {
    response.SetHeader("Content-Encoding", "gzip");
    response.body = asset.gzipped;
  } else {
    response.body = asset.bytes;
  }
  return response;
}

http::Response Refuse(int status, std::string_view code, std::string_view detail) {
  return http::Response::Error(status, status == 401 || status == 403 ? "authentication_error" : "invalid_request", code,
                               detail);
}

std::string Cookie(const http::Request& request, std::string_view value, int64_t max_age_seconds) {
  // Secure when a TLS-terminating proxy says the browser used https.
  bool https = request.Header("X-Forwarded-Proto") == "https";
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", api::kSessionCookie, value,
                     max_age_seconds, https ? "; Secure" : "");
}

// Replaces `path` with `text`, readable by the owner only. Made anew at each start, so not
// fsync'd.
Status WritePrivateFile(const std::string& path, std::string_view text) {
  std::remove(path.c_str());  // an old file keeps its mode through O_TRUNC
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(fmt::format("{}: {}", path, std::strerror(errno)));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int error = errno;
  ::close(fd);
  return ok ? Status::Ok() : Status::IOError(fmt::format("{}: {}", path, std::strerror(error)));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Starts sessions; copied into the password worker's jobs (which must not own the routes).
struct Sessions {
  meta::MetaStore* meta = nullptr;
  int64_t lifetime_seconds = 0;

  http::Response SignedIn(const meta::UiSession& session, std::string cookie = {}) const {
    Result<std::optional<meta::Project>> project = meta->FindProjectById(session.project_id);
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

  http::Response Start(const http::Request& request, int64_t project_id) const {
    Result<std::pair<std::string, meta::UiSession>> made =
        meta->CreateUiSession(project_id, NowMicros() + lifetime_seconds * 1'000'000);
    if (!made.ok()) return http::Response::Error(made.status());
    LogInfo("ui", "signed in", {{"request_id", request.id}, {"project_id", project_id}});
    return SignedIn(made->second, Cookie(request, made->first, lifetime_seconds));
  }
};

class UiRoutes : public std::enable_shared_from_this<UiRoutes> {
 public:
  void Stop() { worker_.Stop(); }

  explicit UiRoutes(UiOptions options)
      : options_(std::move(options)),
        sessions_{options_.meta, options_.session_lifetime.count()},
        assets_(LoadAssets()) {
    MakeSetupCode();
  }

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
      bool queued = self->options_.pool->Submit([health = self->options_.ingestion_health, reply] {
        reply(http::Response::Json(200, health()));
      });
      if (!queued) reply(Refuse(503, "busy", "the server is busy: try again"));
    });
    // Last: the page names (the routes above are more specific).
    router.Add("GET,HEAD", "/ui/:page", [page](http::Request request, http::Reply reply) {
      for (std::string_view p : kPages) {
        if (request.path_params.at("page") == p) return page(std::move(request), std::move(reply));
      }
      reply(Refuse(404, "not_found", "no such page of the web UI"));
    });
  }

 private:
  // No admin password yet: a setup code in a file of the data dir (Jenkins'
  // initialAdminPassword) lets whoever can read it choose the first one.
  void MakeSetupCode() {
    Result<std::string> stored = options_.meta->AdminPasswordHash();
    if (!stored.ok() || !stored->empty() || options_.setup_code_path.empty()) return;
    setup_code_ = RandomAlphanumeric(24);
    Status written = WritePrivateFile(options_.setup_code_path, setup_code_ + "\n");
    if (!written.ok()) {
      LogWarn("ui", "cannot write the admin password's setup code: sign in with a personal API key",
              {{"error", written.ToString()}});
      setup_code_.clear();
      return;
    }
    LogInfo("ui", "no admin password yet: choose one on the sign-in page with the setup code in the file",
            {{"file", options_.setup_code_path}});
  }

  // The session of the request's cookie: nullopt for no cookie or another origin, a null
  // session for one that ended (or never was).
  Result<std::optional<meta::UiSession>> CookieSession(const http::Request& request) {
    std::string_view session_id = api::CookieValue(request, api::kSessionCookie);
    if (session_id.empty() || !api::SameOriginOrNone(request)) return std::optional<meta::UiSession>();
    return options_.meta->FindUiSession(session_id, NowMicros());
  }

  // The signed-in state: the project and CSRF token, or what the sign-in page may offer. The
  // cookie of a session that ended is cleared (only when the lookup said so, from our origin).
  http::Response Session(const http::Request& request) {
    Result<std::optional<meta::UiSession>> session = CookieSession(request);
    if (!session.ok()) return http::Response::Error(session.status());
    if (*session) return sessions_.SignedIn(**session);
    const bool ended = !api::CookieValue(request, api::kSessionCookie).empty() && api::SameOriginOrNone(request);
    Result<std::string> stored = options_.meta->AdminPasswordHash();
    if (!stored.ok()) return http::Response::Error(stored.status());
    std::string out = fmt::format(R"({{"signed_in":false,"admin_password_set":{},"setup_code_file":)", !stored->empty());
    if (stored->empty() && !setup_code_.empty()) {
      AppendJsonString(out, options_.setup_code_path);
    } else {
      out += "null";
    }
    out += '}';
    http::Response response = http::Response::Json(200, std::move(out));
    if (ended) response.SetHeader("Set-Cookie", Cookie(request, "", 0));
    return response;
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
      return reply(sessions_.Start(request, **project));
    }
    if (password == body.MemberEnd() || !password->value.IsString()) {
      return reply(api::ValidationError("required", "send personal_api_key or password", "password"));
    }
    Result<std::string> stored = options_.meta->AdminPasswordHash();
    if (!stored.ok()) return reply(http::Response::Error(stored.status()));
    if (stored->empty()) return reply(Refuse(401, "invalid_credentials", "no admin password is set yet"));
    std::string given(password->value.GetString(), password->value.GetStringLength());
    if (given.size() > kMaxPasswordBytes) return reply(Refuse(401, "invalid_credentials", "wrong password"));
    auto answer = std::make_shared<http::Response>();
    RunPasswordCheck(request, reply, answer, [sessions = sessions_, request, given, hash = *stored, answer] {
      if (!VerifyPassword(given, hash)) {
        LogWarn("ui", "wrong admin password", {{"request_id", request.id}, {"peer", request.remote_address}});
        *answer = Refuse(401, "invalid_credentials", "wrong password");
        return false;
      }
      *answer = sessions.Start(request, 1);
      return true;
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

  // Signed in to project 1 (with the CSRF token), or with project 1's key: sets or changes
  // it. Otherwise only the first run's form, with the setup code, while none is set; that
  // signs the visitor in.
  void SetAdminPassword(http::Request request, http::Reply reply) {
    // A key (Bearer) or a live session; any other Authorization (a proxy's Basic) is neither.
    Result<std::optional<meta::UiSession>> session = CookieSession(request);
    if (!session.ok()) return reply(http::Response::Error(session.status()));
    const bool signed_in = request.Header("Authorization").starts_with("Bearer ") || session->has_value();
    if (signed_in) {
      http::Response refusal;
      std::optional<int64_t> project = api::AuthenticatedProject(request, *options_.meta, "admin password", refusal);
      if (!project) return reply(std::move(refusal));
      if (*project != 1) {
        return reply(Refuse(403, "permission_denied", "the admin password signs in to project 1: only its key or "
                                                      "sessions may set it"));
      }
    } else if (!api::SameOriginOrNone(request)) {
      return reply(Refuse(403, "cross_origin", "set the admin password from the UI's own pages"));
    }
    rapidjson::Document body;
    if (std::optional<http::Response> bad = api::ParseJsonObjectBody(request, body)) return reply(std::move(*bad));
    if (!signed_in) {
      Result<std::string> stored = options_.meta->AdminPasswordHash();
      if (!stored.ok()) return reply(http::Response::Error(stored.status()));
      if (!stored->empty()) return reply(Refuse(409, "already_set", "an admin password is set already: sign in"));
      auto code = body.FindMember("setup_code");
      if (setup_code_.empty() || code == body.MemberEnd() || !code->value.IsString() ||
          !ConstantTimeEquals(code->value.GetString(), setup_code_)) {
        return reply(Refuse(403, "permission_denied",
                            setup_code_.empty() ? "sign in to change the admin password"
                                                : fmt::format("wrong setup code: it is in the file {}", options_.setup_code_path)));
      }
    }
    auto password = body.FindMember("password");
    if (password == body.MemberEnd() || !password->value.IsString() ||
        password->value.GetStringLength() < kMinPasswordBytes || password->value.GetStringLength() > kMaxPasswordBytes) {
      return reply(api::ValidationError(
          "invalid_input", fmt::format("the password must be {} to {} bytes", kMinPasswordBytes, kMaxPasswordBytes),
          "password"));
    }
    std::string given(password->value.GetString(), password->value.GetStringLength());
    // A change ends the project's other sessions: one opened with a leaked password goes.
    std::string keep_session(signed_in && *session ? api::CookieValue(request, api::kSessionCookie) : "");
    auto answer = std::make_shared<http::Response>();
    RunPasswordCheck(request, reply, answer, [sessions = sessions_, request, given, signed_in, keep_session,
                                              code_file = options_.setup_code_path,
                                              iterations = options_.password_iterations, answer] {
      Result<std::string> hash = HashPassword(given, iterations);
      Result<bool> stored = hash.ok() ? sessions.meta->SetAdminPasswordHash(*hash, !signed_in) : hash.status();
      if (!stored.ok()) {
        *answer = http::Response::Error(stored.status());
      } else if (!*stored) {
        *answer = Refuse(409, "already_set", "an admin password is set already: sign in");
      } else {
        LogInfo("ui", signed_in ? "admin password changed" : "admin password set (first run)",
                {{"request_id", request.id}, {"peer", request.remote_address}});
        if (!code_file.empty()) std::remove(code_file.c_str());  // whichever way it was set
        Status ended = signed_in ? sessions.meta->DeleteUiSessions(1, keep_session) : Status::Ok();
        if (!ended.ok()) {
          *answer = http::Response::Error(ended);
        } else {
          *answer = signed_in ? http::Response::Json(200, R"({"admin_password_set":true})") : sessions.Start(request, 1);
        }
      }
      return true;
    });
  }

  // `check` fills `answer`, which goes to `reply` once its outcome counts for the address.
  void RunPasswordCheck(const http::Request& request, const http::Reply& reply, std::shared_ptr<http::Response> answer,
                        std::function<bool()> check) {
    *answer = http::Response::Error(Status::Internal("the password check failed"));  // unless it answers
    auto send = [reply, answer] { reply(std::move(*answer)); };
    switch (worker_.Submit(request.remote_address, std::move(check), std::move(send))) {
      case PasswordWorker::Admission::kQueued: return;
      case PasswordWorker::Admission::kPeerBusy:
        return reply(Refuse(429, "throttled", "one password check at a time: wait for the last one"));
      case PasswordWorker::Admission::kPeerWaiting:
        return reply(Refuse(429, "throttled", "too many wrong passwords from this address: wait and try again"));
      case PasswordWorker::Admission::kFull:
        return reply(Refuse(503, "busy", "too many sign-ins at once: try again in a second"));
    }
  }

  UiOptions options_;
  const Sessions sessions_;
  const std::map<std::string, Asset, std::less<>> assets_;
  std::string setup_code_;  // set once, before the routes exist; valid while no password is stored
  PasswordWorker worker_;   // last: its jobs finish before the rest goes
};

}  // namespace

std::function<void()> AddUiRoutes(http::Router& router, UiOptions options) {
  auto routes = std::make_shared<UiRoutes>(std::move(options));
  routes->Add(router);
  return [weak = std::weak_ptr<UiRoutes>(routes)] {
    if (auto routes = weak.lock()) routes->Stop();
  };
}

}  // namespace hedgerow::ui
