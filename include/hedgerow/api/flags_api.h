#pragma once

// Feature flags over HTTP (client-api.md §3–§5): /flags and /decide for the SDKs, the
// local-evaluation definitions server SDKs poll, and PostHog's flag management API.

#include <functional>
#include <memory>
#include <string>

#include "hedgerow/flags/flag_service.h"
#include "hedgerow/http/router.h"
#include "hedgerow/ingest/geoip.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::api {

struct FlagsApiOptions {
  meta::MetaStore* meta = nullptr;
  flags::FlagService* flags = nullptr;
  size_t max_body_bytes = 20u << 20;  // decoded /flags body
  // GeoIP person properties for evaluation, as PostHog's flags service adds them: the seven
  // $geoip_* strings of the client's address fill the request's person_properties where it
  // has no value (or null), unless the body says "geoip_disable": true. Null: none.
  std::shared_ptr<ingest::GeoIpDatabase> geoip;
  std::function<std::string(const http::Request&)> client_ip;  // capture's (trusted proxies)
};

// POST /flags/?v=2 and /decide/?v=3|4 in every body form posthog-js sends (JSON, gzip,
// base64, a form's data=), authenticated by the project token in the body: 401 for a
// missing or unknown token, 400 for a body that is not a flags request. GET /flags answers
// the config without evaluating.
void AddFlagsRoutes(http::Router& router, FlagsApiOptions options);

// With a personal API key (Authorization: Bearer phx_...):
//   GET /flags/definitions?token=..., GET /api/feature_flag/local_evaluation?token=... and
//   GET /api/projects/:id/feature_flags/local_evaluation: every flag that is not deleted,
//   group_type_mapping and cohorts, with an ETag (304 for a matching If-None-Match);
//   GET|POST /api/projects/:id/feature_flags/, GET|PATCH|DELETE .../feature_flags/:flag_id/
//   (DELETE and PATCH {"deleted": true} soft-delete); GET|POST /api/projects/:id/cohorts/.
void AddFlagManagementRoutes(http::Router& router, FlagsApiOptions options);

}  // namespace hedgerow::api
