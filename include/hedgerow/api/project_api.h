#pragma once

// PostHog's project settings API (/api/projects/:id/), with the personal API key or the web
// UI's session:
//   GET   -> {"id","name","api_token","anonymize_ips","created_at","apps":[{"kind","config"}]}
//   PATCH {"anonymize_ips": bool, "apps": [{"kind": ..., "config": {...}}, ...]} (either or
//         both) -> the project as GET returns it. `apps` replaces the project's apps, in
//         order (as the `apps` option of the config does); every app is built first, so a bad
//         one changes nothing and is a 400 naming it. The pipeline picks changes up within a
//         second.

#include <cstdint>
#include <functional>
#include <string_view>

#include "hedgerow/common/status.h"
#include "hedgerow/http/router.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::api {

struct ProjectApiOptions {
  meta::MetaStore* meta = nullptr;
  // Checks and stores a project's apps, given as the JSON array of the PATCH body;
  // kInvalidArgument naming what is wrong.
  std::function<Status(int64_t project_id, std::string_view apps_json)> replace_apps;
};

void AddProjectRoutes(http::Router& router, ProjectApiOptions options);

}  // namespace hedgerow::api
