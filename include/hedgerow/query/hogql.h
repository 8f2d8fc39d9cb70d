#pragma once

// PostHog's HogQL sugar over ClickHouse's dialect, as PostHog's query API accepts it:
// names that reach into the JSON of `properties` and into the person an event belongs to.
// A rewrite of the parsed query into plain ClickHouse SQL, before planning; the
// ClickHouse-compatible listener speaks plain SQL and does not use it.

#include "hedgerow/common/status.h"
#include "hedgerow/query/ast.h"

namespace hedgerow::query {

// Rewrites, in every SELECT of `query` (subqueries, CTEs and UNION ALL branches too) that
// reads the `events` table (plain, `default.events`, or under an alias):
//   properties.$browser, properties.a.b, properties['$browser'], e.properties.$x
//     -> replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, 'a', 'b'), ''), 'null'), '^"|"$', '')
//        (PostHog's printer: NULL for a missing key or a JSON null, strings unquoted);
//   person_id, person.id -> the person of the event's distinct_id: the highest version of
//     person_distinct_id2 per distinct_id that is not deleted (ingestion.md §8), by a LEFT
//     JOIN added once per SELECT and events table; a distinct_id with no person gets the
//     zero UUID, as ClickHouse fills unmatched LEFT JOIN rows;
//   person.properties.email, person.properties['email'], person.properties,
//   person.created_at -> the same person's newest non-deleted row of `person`, by a second
//     LEFT JOIN on that person_id (unmatched: '' and the zero time).
// `properties.x` on the `person` table is extracted the same way. Unqualified names are
// sugar only when FROM is events; a name is left alone where the query gives it another
// meaning (a table aliased `person` or `properties`, a lambda parameter, a CTE named
// `events`). The joins are aliased by names the query does not use. A SELECT column that
// changes keeps its name as written (`properties.$browser`), as ClickHouse names columns by
// their text. `SELECT *` in a SELECT that gets the joins lists only the query's own inputs.
// InvalidArgument when the tree nests deeper than the parser allows (trees built by hand).
Status ApplyHogQLSugar(SelectUnion& query);

}  // namespace hedgerow::query
