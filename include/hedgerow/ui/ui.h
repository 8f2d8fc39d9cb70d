#pragma once

// The web UI, served by the main listener from files compiled into the binary (src/ui/web,
// third_party/uplot): a single-page app on the query, events, flags and project APIs.
//
// Routes:
//   GET /, /ui/:page, /ui/persons/:id   the app's page (the script draws the page)
//   GET /ui/assets/:name                its script, styles and uPlot (ETag; gzip when accepted)
//   GET  /ui/api/session                who is signed in, and the CSRF token for writes
//   POST /ui/api/login                  {"personal_api_key": "phx_..."} or {"password": "..."}
//   POST /ui/api/logout
//   POST /ui/api/admin_password         {"password": "..."}: set or change the admin password
//   GET  /ui/api/health                 lag per topic and consumer, parts per table
//
// Sign-in makes a session: a random id in an HttpOnly, SameSite=Strict cookie (only its
// SHA-256 is stored, in meta.sqlite), valid for `session_lifetime`. The APIs the UI calls
// accept the cookie in place of a personal API key (api/project_auth.h): from the server's
// own origin only, and writes with the session's CSRF token.
//
// The admin password signs in to project 1. It is stored as PBKDF2-HMAC-SHA256 in Django's
// format ("pbkdf2_sha256$<iterations>$<salt>$<base64>", as PostHog stores passwords), hashed
// on a thread of its own with a brake on guessing (password_worker.h). While none is set, a
// random setup code is written to `setup_code_path` (owner-only) at start: the first
// password can be chosen with it, without signing in (Jenkins' initialAdminPassword: whoever
// can read the data dir owns the server anyway; a peer's address proves nothing behind
// proxies or DNS rebinding). After that, changing it needs project 1's session or key.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "hedgerow/api/query_pool.h"
#include "hedgerow/http/router.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::ui {

struct UiOptions {
  meta::MetaStore* meta = nullptr;
  api::QueryPool* pool = nullptr;  // runs the health endpoint's reads off the I/O threads
  // {"consumers":[{"group","topic","committed","end","lag"}...],"tables":[{"table","parts",
  // "rows","bytes_on_disk","damaged_parts"}...]}: what the health page shows beside the
  // warnings and dead letters it queries.
  std::function<std::string()> ingestion_health;
  int password_iterations = 600000;  // OWASP's 2023 figure for PBKDF2-HMAC-SHA256
  std::string setup_code_path;       // "": no setup code (set the password with a key)
  std::chrono::seconds session_lifetime = std::chrono::hours(24 * 14);
};

// Adds the routes; returns what stops the UI's password thread (queued checks are dropped,
// the one under way finishes). Call it in the server's Stop(), before the listener and the
// stores go.
std::function<void()> AddUiRoutes(http::Router& router, UiOptions options);

}  // namespace hedgerow::ui
