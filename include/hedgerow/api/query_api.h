#pragma once

// The query surfaces: PostHog's query API and the ClickHouse-compatible HTTP interface.
// Both authenticate with a personal API key before they read anything, and run every query
// scoped to one project (its team_id enforced by the planner, never taken from the SQL).

#include <cstdint>

#include "hedgerow/api/query_pool.h"
#include "hedgerow/http/router.h"
#include "hedgerow/meta/meta_store.h"

namespace hedgerow::store {
class Store;
}
namespace hedgerow::query {
class RemoteEngine;
}

namespace hedgerow::api {

struct QueryApiOptions {
  meta::MetaStore* meta = nullptr;
  const store::Store* store = nullptr;
  // Set with --store-backend clickhouse: SELECTs run on the cluster.
  const query::RemoteEngine* remote = nullptr;
  // Where queries run (never on the HTTP threads); inline when null (tests of one surface).
  QueryPool* pool = nullptr;
  // The server's limits; a query's SETTINGS may lower them.
  double max_execution_seconds = 60;
  uint64_t max_memory_bytes = 2ull << 30;
};

// POST /api/projects/:id/query/ with "Authorization: Bearer phx_..." and
// {"query":{"kind":"HogQLQuery","query":"SELECT ..."}} -> {"columns","types","results"}.
// A query without LIMIT gets LIMIT 100; at most 50,000 rows, as PostHog's. 401 for an
// unknown key, 404 for an unknown project, 403 for a project that is not the key's. HogQL's
// sugar (properties.x, person.properties.x, person_id: query/hogql.h) is applied.
void AddQueryApiRoutes(http::Router& router, QueryApiOptions options);

// PostHog's events list, GET /api/projects/:id/events/?event=&distinct_id=&after=&before=&limit=
// (personal API key, as the query API): {"results":[{id, event, distinct_id, properties,
// timestamp, person, elements, elements_chain}], "next": URL|null}, newest first; `after` and
// `before` are ISO 8601 times (exclusive), `limit` 1 to 1000 (default 100); `next` repeats the
// filters with `before` = the page's last timestamp. 400 naming a malformed parameter.
void AddEventsApiRoutes(http::Router& router, QueryApiOptions options);

// The ClickHouse HTTP interface: GET /ping; GET /?query=...; POST / with the query in the
// body (or in ?query= with the body appended). User and password by basic auth,
// X-ClickHouse-User/X-ClickHouse-Key or ?user=&password=; the password is a personal API
// key. Output in the statement's FORMAT, else ?default_format=, else TabSeparated. Errors
// in ClickHouse's text form, "Code: N. DB::Exception: ...", with its HTTP statuses. Queries
// read the project the key belongs to.
void AddClickHouseRoutes(http::Router& router, QueryApiOptions options);

}  // namespace hedgerow::api
